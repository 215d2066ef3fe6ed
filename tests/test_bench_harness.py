"""The benchmark harness, driven by a fake clock so the checks are exact."""

import json
from pathlib import Path

import pytest

from benchmarks.harness import Session, interleave


class FakeClock:
    """A clock that advances only when the fake operations say so."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[str] = []

    def __call__(self) -> float:
        return self.now

    def work(self, name: str, seconds: float):  # type: ignore[no-untyped-def]
        def op() -> None:
            self.calls.append(name)
            self.now += seconds

        return op


def test_ratio_and_rates_come_from_interleaved_medians(tmp_path: Path) -> None:
    clock = FakeClock()
    out = _Sink()
    session = Session("unit", timer=clock, out=out)
    result = session.measure(
        "op",
        clock.work("op", 0.004),
        floor=clock.work("floor", 0.001),
        floor_name="floor",
        bound=5.0,
        rounds=7,
        min_batch_s=0.01,
    )
    assert result.ratio == pytest.approx(4.0)
    assert result.ops_per_s == pytest.approx(250.0)
    assert result.floor_ops_per_s == pytest.approx(1000.0)
    assert result.within_bound
    assert result.batch == 3 and result.floor_batch == 10
    assert len(result.samples_s) == len(result.floor_samples_s) == 7
    assert "4.00x floor" in out.text and "ok" in out.text

    path = session.write_json(tmp_path)
    saved = json.loads(path.read_text())
    assert saved["suite"] == "unit"
    assert saved["results"][0]["ratio"] == pytest.approx(4.0)
    assert "cpu" in saved["machine"] and "packages" in saved["machine"]


def test_over_bound_is_reported() -> None:
    clock = FakeClock()
    out = _Sink()
    session = Session("unit", timer=clock, out=out)
    result = session.measure(
        "slow", clock.work("op", 0.003), floor=clock.work("f", 0.001), floor_name="f", bound=2.0
    )
    assert not result.within_bound
    assert "OVER BOUND" in out.text


def test_rounds_alternate_which_side_goes_first() -> None:
    clock = FakeClock()
    interleave(clock.work("a", 1.0), clock.work("b", 1.0), rounds=4, min_batch_s=0.0, timer=clock)
    timed = clock.calls[4:]  # after two warm-up and two calibration calls
    assert timed == ["a", "b", "b", "a", "a", "b", "b", "a"]


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, chunk: str) -> None:
        self.text += chunk
