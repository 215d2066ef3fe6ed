"""zkcheck benchmarks: every operation measured against a floor in the same run.

Run all of them with ``make bench`` (or ``zkcheck bench``), one with
``python -m benchmarks NAME``; see :mod:`benchmarks.harness`.
"""
