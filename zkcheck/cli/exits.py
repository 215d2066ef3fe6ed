"""Exit codes of the ``zkcheck`` command: stable, since scripts branch on them.

==== ============ ==========================================================================
code name         meaning
==== ============ ==========================================================================
0    ok           done as asked; ``verify``: the presentation was accepted
1    refused      the answer is not "yes": ``verify`` refused the presentation (it counts as
                  not shown, whatever the reason), ``present`` had nothing the request
                  accepts, ``issue`` issued nothing because no requested check holds (or,
                  in the credential tier, the operator does not know the subscriber or
                  refuses it a second pseudonym secret);
                  ``vectors --check`` found a vector file that differs
2    usage        unknown command or option, a required option missing, an option value
                  that is not valid (such as a check the operators' menus do not offer)
3    unavailable  the part asked for is not in this installation: a tier not built yet,
                  the benchmarks outside a source checkout
4    bad input    an input file is missing, unreadable, too large or not the zkcheck object
                  expected (an issuance message whose proof or signature does not verify,
                  a key file of an ended epoch); an output cannot be written, or would
                  overwrite a secret key; ``vectors --check`` has no directory to compare
5    internal     zkcheck failed in a way it should not (a bug); the traceback goes to
                  standard error. ``demo`` also exits 5 when an outcome differs from the
                  one its scenario expects.
==== ============ ==========================================================================

For ``verify`` every code but 0 means the same to the relying party: the
checks are not shown.
"""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "CommandError",
]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_BAD_INPUT = 4
EXIT_INTERNAL = 5

EXIT_CODES = {
    EXIT_OK: "ok: done as asked (verify: the presentation was accepted)",
    EXIT_REFUSED: "refused: verify refused the presentation (not shown), present had "
    "nothing to show, or issue had nothing to issue",
    EXIT_USAGE: "usage error: unknown command or option, or an option value that is not valid",
    EXIT_UNAVAILABLE: "unavailable: a tier not built yet, or benchmarks outside a checkout",
    EXIT_BAD_INPUT: "bad input: a file missing, unreadable or not the object expected; "
    "an output that cannot be written",
    EXIT_INTERNAL: "internal error: a bug in zkcheck (traceback on standard error)",
}
"""Each code with its meaning in one line, as ``zkcheck --help`` prints them."""


class CommandError(Exception):
    """A command ends with ``code`` and ``message`` on standard error (never a secret)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
