"""The ``zkcheck`` command: a thin surface over the role layer, no cryptography."""

from zkcheck.cli.main import main

__all__ = ["main"]
