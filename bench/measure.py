"""Timing primitives and the result model every benchmark returns.

A `Measurement` is repeated runs of one thing (seconds per call, or bytes); a `Ratio` is the
per-round quotient of two measurements taken side by side; a `Target` judges one ratio against a
limit (PASS or MISS). `interleaved` times several callables round-robin, rotating the order each
round, so that both sides of every ratio see the same machine load.
"""

from __future__ import annotations

import enum
import gc
import math
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "BenchResult",
    "Config",
    "Measurement",
    "Ratio",
    "Status",
    "Target",
    "batch_seconds",
    "calibrate",
    "interleaved",
    "per_round_ratios",
]


def _floats(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


class Status(enum.StrEnum):
    """The verdict on a target."""

    PASS = "PASS"
    MISS = "MISS"
    SKIP = "SKIP"  # a side could not be measured (e.g. the official SDK is not installed)


@attrs.frozen
class Config:
    """How a benchmark run is sized.

    Attributes:
        quick: prove each benchmark runs, in a few seconds in all: small inputs, few rounds; the
            numbers are not meaningful.
        profile: `"auto"` profiles the slow side of every missed target in full mode only;
            `"always"` profiles every target's side; `"never"` profiles nothing.
        log: called with progress lines (stderr).
    """

    quick: bool = False
    profile: str = "auto"
    log: Callable[[str], None] = attrs.field(default=lambda _line: None, repr=False)

    def should_profile(self, missed: bool) -> bool:
        """Whether to profile the slow side of a target, given whether it was missed."""
        if self.profile == "always":
            return True
        if self.profile == "never":
            return False
        return missed and not self.quick


@attrs.frozen
class Measurement:
    """Repeated runs of one thing.

    Attributes:
        name: a dotted name, unique within its benchmark (`example.decode_notebook`).
        runs: one value per round.
        unit: `"s"` (seconds), `"B"` (bytes), or any other word for a count (`"requests"`).
        per: what one value measures (`"call"`, `"1000 notebooks"`, `"process"`).
        label: a readable description for the table.
    """

    name: str
    runs: tuple[float, ...] = attrs.field(converter=_floats)
    unit: str = "s"
    per: str = "call"
    label: str = ""

    @property
    def median(self) -> float:
        """The median of the runs."""
        return statistics.median(self.runs)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "label": self.label,
            "unit": self.unit,
            "per": self.per,
            "median": self.median,
            "min": min(self.runs),
            "max": max(self.runs),
            "n": len(self.runs),
            "runs": list(self.runs),
        }


@attrs.frozen
class Ratio:
    """`numerator / denominator`, computed round by round (both measured in the same round).

    Attributes:
        name: unique within its benchmark (`example.decode/json_loads`).
        numerator: the measurement name above the line (or a constant's description).
        denominator: the measurement name below it.
        runs: one quotient per round; the reported value is their median.
        label: a readable description for the table.
    """

    name: str
    numerator: str
    denominator: str
    runs: tuple[float, ...] = attrs.field(converter=_floats)
    label: str = ""

    @property
    def median(self) -> float:
        """The median of the per-round quotients."""
        return statistics.median(self.runs)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "median": self.median,
            "min": min(self.runs),
            "max": max(self.runs),
            "runs": list(self.runs),
        }


@attrs.frozen
class Target:
    """A limit on one ratio: `ratio <= limit` (`at_most`) or `ratio >= limit`.

    Attributes:
        name: what is promised, in words (`decode <= 3x json.loads`).
        ratio: the name of the ratio judged; None when a side could not be measured.
        limit: the bound.
        at_most: True for an upper bound, False for a lower bound.
        value: the ratio's median, or None.
        reason: why it was skipped, when it was.
    """

    name: str
    ratio: str | None
    limit: float
    at_most: bool = True
    value: float | None = None
    reason: str = ""

    @property
    def status(self) -> Status:
        """PASS, MISS, or SKIP when there is no value."""
        if self.value is None or math.isnan(self.value):
            return Status.SKIP
        ok = self.value <= self.limit if self.at_most else self.value >= self.limit
        return Status.PASS if ok else Status.MISS

    @classmethod
    def judge(
        cls, name: str, ratio: Ratio | None, limit: float, *, at_most: bool = True, reason: str = ""
    ) -> Target:
        """The target for `ratio` (None: skipped, for `reason`)."""
        if ratio is None:
            return cls(name, None, limit, at_most, None, reason or "not measured")
        return cls(name, ratio.name, limit, at_most, ratio.median)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "name": self.name,
            "ratio": self.ratio,
            "limit": self.limit,
            "bound": "at_most" if self.at_most else "at_least",
            "value": self.value,
            "status": self.status.value,
            "reason": self.reason,
        }


@attrs.frozen
class BenchResult:
    """What one benchmark measured.

    Attributes:
        name: the benchmark name (`decode`).
        title: one line saying what it measures.
        measurements: medians and runs.
        ratios: side-by-side quotients.
        targets: the verdicts.
        notes: anything the reader must know to trust the numbers (what was skipped, scaled...).
        details: benchmark-specific data (input sizes, per-stage split, import-time offenders).
        profiles: profiler output for the slow side of missed targets, by what was profiled.
        seconds: how long the benchmark took to run.
        error: the exception text when the benchmark failed.
    """

    name: str
    title: str
    measurements: tuple[Measurement, ...] = ()
    ratios: tuple[Ratio, ...] = ()
    targets: tuple[Target, ...] = ()
    notes: tuple[str, ...] = ()
    details: Mapping[str, Any] = attrs.field(factory=dict)
    profiles: Mapping[str, str] = attrs.field(factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "title": self.title,
            "seconds": self.seconds,
            "error": self.error,
            "measurements": {m.name: m.to_json() for m in self.measurements},
            "ratios": {r.name: r.to_json() for r in self.ratios},
            "targets": [t.to_json() for t in self.targets],
            "notes": list(self.notes),
            "details": dict(self.details),
            "profiles": dict(self.profiles),
        }


# -- timing ---------------------------------------------------------------------------------------


def batch_seconds(fn: Callable[[], object], number: int) -> float:
    """Seconds for `number` calls of `fn`, with the garbage collector paused (as `timeit` does)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def calibrate(fn: Callable[[], object], budget: float) -> int:
    """How many calls of `fn` take about `budget` seconds (at least 1), after a warm-up call."""
    fn()
    number = 1
    while True:
        took = batch_seconds(fn, number)
        if took >= budget / 4 or number >= 1 << 20:
            return max(1, round(number * budget / max(took, 1e-9)))
        number *= 4


def interleaved(
    cases: Mapping[str, Callable[[], object]], *, rounds: int, budget: float
) -> dict[str, list[float]]:
    """Seconds per call of each case, one batch per case per round, round-robin.

    Each case gets its own batch size (about `budget` seconds per batch). The order of the cases
    rotates every round, so no case always runs first (cold) or last.

    Returns:
        The per-call seconds of every round, by case name.
    """
    names = list(cases)
    numbers = {name: calibrate(cases[name], budget) for name in names}
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            out[name].append(batch_seconds(cases[name], numbers[name]) / numbers[name])
    return out


def per_round_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """`numerator[i] / denominator[i]` for every round both have."""
    return [a / b for a, b in zip(numerator, denominator, strict=True) if b > 0]
