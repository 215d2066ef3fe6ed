"""Shared test configuration.

Hypothesis runs under the "ci" profile unless HYPOTHESIS_PROFILE names another:
no deadline (pure-Python cross-checks are slow and their timing varies) and
derandomised, so a run is reproducible and cannot flake on a lucky draw.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
