"""``python -m zkcheck`` runs the command-line interface."""

import sys

from zkcheck.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
