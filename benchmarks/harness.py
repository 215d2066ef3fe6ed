"""The harness every zkcheck benchmark uses.

Speed claims are ratios, never absolute times: each measured operation is timed
in rounds interleaved with a *floor* (the cheapest primitive the operation
cannot avoid, such as a raw pairing check or OpenSSL's RSA signature), both in
the same process and the same minutes, so machine load and CPU frequency affect
both alike. A result reports the median time per call of each, operations per
second, and ``ratio = median(op) / median(floor)``: the operation costs that
many floors. A bound, when given, is the acceptance ceiling for the ratio.

A benchmark module is ``benchmarks/bench_<name>.py`` defining
``run(session: Session) -> None``; the runner (``python -m benchmarks``)
discovers them, and each session writes ``benchmarks/results/<name>-<UTC
time>.json`` with the machine description and every sample.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["Result", "Session", "cpu_flags", "interleave", "machine_description"]

Timer = Callable[[], float]
Operation = Callable[[], object]

RESULTS_DIR = Path(__file__).resolve().parent / "results"

_PACKAGES = (
    "zkcheck",
    "py-arkworks-bls12381",
    "py_ecc",
    "pynacl",
    "cryptography",
    "gmpy2",
    "cbor2",
    "pyblst",  # optional: installed, it makes arkworks+blst the default backend
)


@dataclass(frozen=True)
class Result:
    """One operation measured against its floor in the same run."""

    name: str
    floor: str
    median_s: float
    floor_median_s: float
    rounds: int
    batch: int
    floor_batch: int
    bound: float | None = None
    note: str = ""
    samples_s: list[float] = field(default_factory=list)
    floor_samples_s: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """How many floors one operation costs (lower is faster)."""
        return self.median_s / self.floor_median_s

    @property
    def ops_per_s(self) -> float:
        return 1.0 / self.median_s

    @property
    def floor_ops_per_s(self) -> float:
        return 1.0 / self.floor_median_s

    @property
    def within_bound(self) -> bool:
        return self.bound is None or self.ratio <= self.bound

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            ratio=self.ratio,
            ops_per_s=self.ops_per_s,
            floor_ops_per_s=self.floor_ops_per_s,
            within_bound=self.within_bound,
        )
        return data


def _batch_size(op: Operation, min_batch_s: float, timer: Timer) -> int:
    """Calls per timed batch so one batch lasts at least ``min_batch_s``."""
    op()  # warm caches and lazily built tables before anything is timed
    start = timer()
    op()
    once = max(timer() - start, 1e-9)
    return max(1, math.ceil(min_batch_s / once))


def _time_batch(op: Operation, batch: int, timer: Timer) -> float:
    start = timer()
    for _ in range(batch):
        op()
    return (timer() - start) / batch


def interleave(
    op: Operation,
    floor: Operation,
    *,
    rounds: int,
    min_batch_s: float,
    timer: Timer = time.perf_counter,
) -> tuple[list[float], list[float], int, int]:
    """Time ``op`` and ``floor`` in alternating batches.

    Returns the per-call seconds of each round for both, and the two batch
    sizes. The order within a round alternates so that a drift in machine
    speed does not favour either side.
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    batch = _batch_size(op, min_batch_s, timer)
    floor_batch = _batch_size(floor, min_batch_s, timer)
    op_samples: list[float] = []
    floor_samples: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            op_samples.append(_time_batch(op, batch, timer))
            floor_samples.append(_time_batch(floor, floor_batch, timer))
        else:
            floor_samples.append(_time_batch(floor, floor_batch, timer))
            op_samples.append(_time_batch(op, batch, timer))
    return op_samples, floor_samples, batch, floor_batch


# The instruction-set extensions the floors' native code takes faster paths
# with (OpenSSL's RSA: ADX/BMI2, AVX2, AVX-512 IFMA; libsodium and arkworks:
# ADX/BMI2), recorded so ratios from different machines can be compared.
_FLOOR_FEATURES = ("adx", "bmi2", "avx2", "avx512f", "avx512ifma")


def _cpuinfo_field(name: str) -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith(name):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux reports them (empty elsewhere)."""
    return frozenset((_cpuinfo_field("flags") or "").split())


def _openssl_version() -> str | None:
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
    except ImportError:  # pragma: no cover - cryptography is a dependency
        return None
    return str(backend.openssl_version_text())


def machine_description() -> dict[str, Any]:
    """What the numbers were measured on, stored beside them."""
    cpu = _cpuinfo_field("model name") or platform.processor() or platform.machine()
    flags = cpu_flags()
    versions: dict[str, str] = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": cpu,
        "cpu_features": [feature for feature in _FLOOR_FEATURES if feature in flags],
        # The RSA floors are OpenSSL's, and the mask a child run may set changes them.
        "openssl": _openssl_version(),
        "openssl_ia32cap": os.environ.get("OPENSSL_ia32cap"),  # noqa: SIM112 (OpenSSL spells it so)
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "packages": versions,
    }


class Session:
    """Measurements of one benchmark module, printed as they come and saved as JSON."""

    def __init__(
        self,
        suite: str,
        *,
        quick: bool = False,
        timer: Timer = time.perf_counter,
        out: Any = None,
    ) -> None:
        self.suite = suite
        self.quick = quick
        self.results: list[Result] = []
        self._timer = timer
        self._out = out if out is not None else sys.stdout
        self._started = datetime.now(UTC)

    def measure(
        self,
        name: str,
        op: Operation,
        *,
        floor: Operation,
        floor_name: str,
        bound: float | None = None,
        rounds: int | None = None,
        min_batch_s: float | None = None,
        note: str = "",
    ) -> Result:
        """Measure ``op`` against ``floor``; ``bound`` is the ceiling for the ratio.

        ``rounds`` lowers the default for operations too slow to repeat often
        (the pure-Python backend); quick mode uses three short rounds.
        """
        if self.quick:
            rounds, min_batch_s = 3, 0.0
        else:
            rounds = rounds if rounds is not None else 15
            min_batch_s = min_batch_s if min_batch_s is not None else 0.05
        if sys.stderr.isatty():
            sys.stderr.write(f"  measuring {name} ...\r")
            sys.stderr.flush()
        op_samples, floor_samples, batch, floor_batch = interleave(
            op, floor, rounds=rounds, min_batch_s=min_batch_s, timer=self._timer
        )
        result = Result(
            name=name,
            floor=floor_name,
            median_s=statistics.median(op_samples),
            floor_median_s=statistics.median(floor_samples),
            rounds=rounds,
            batch=batch,
            floor_batch=floor_batch,
            bound=bound,
            note=note,
            samples_s=op_samples,
            floor_samples_s=floor_samples,
        )
        self.results.append(result)
        self._report(result)
        return result

    def _report(self, result: Result) -> None:
        verdict = ""
        if result.bound is not None:
            status = "ok" if result.within_bound else "OVER BOUND"
            verdict = f"  (bound {result.bound:g}x: {status})"
        self._out.write(
            f"  {result.name:<44} {_human(result.median_s):>10} "
            f"{result.ops_per_s:>10.1f}/s  {result.ratio:>7.2f}x {result.floor}{verdict}\n"
        )
        if self._out is sys.stdout:
            self._out.flush()

    def write_json(self, directory: Path = RESULTS_DIR) -> Path:
        """Save the session to ``directory/<suite>-<UTC time>.json``."""
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self._started.strftime("%Y%m%dT%H%M%SZ")
        path = directory / f"{self.suite}-{stamp}.json"
        document = {
            "suite": self.suite,
            "started": self._started.isoformat(),
            "quick": self.quick,
            "machine": machine_description(),
            "results": [result.to_json() for result in self.results],
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return path


def _human(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} us"
