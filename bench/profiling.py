"""Where the time goes: cProfile of a callable (or a saved profile), as a short readable table.

The table lists the functions with the most own time (`tottime`) and, separately, the most
cumulative time, with paths shortened to `reconcile/convert.py:312` or `site:cattrs/gen/...`.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

__all__ = ["format_stats", "profile_call"]

_ROOT = str(Path(__file__).resolve().parent.parent) + "/"
_PREFIXES = sorted(
    {p for p in (sysconfig.get_paths().get("purelib"), sysconfig.get_paths().get("platlib")) if p},
    key=len,
    reverse=True,
)
_STDLIB = sysconfig.get_paths().get("stdlib", "")


def _where(filename: str, line: int, func: str) -> str:
    if filename == "~":  # a builtin
        return func
    short = filename
    if short.startswith(_ROOT):
        short = short[len(_ROOT) :]
    else:
        for prefix in _PREFIXES:
            if short.startswith(prefix + "/"):
                short = "site:" + short[len(prefix) + 1 :]
                break
        else:
            if _STDLIB and short.startswith(_STDLIB + "/"):
                short = "std:" + short[len(_STDLIB) + 1 :]
    return f"{short}:{line}({func})"


def format_stats(stats: pstats.Stats, *, top: int = 15, total: float | None = None) -> str:
    """The `top` functions by own time and by cumulative time, as fixed-width text.

    Args:
        stats: the profile.
        top: rows per table.
        total: the wall time of the profiled run, for the header (default: the profile's total).
    """
    raw = stats.stats  # type: ignore[attr-defined]  # {(file, line, func): (cc, nc, tt, ct, callers)}
    rows = [(tt, ct, nc, _where(*key)) for key, (_cc, nc, tt, ct, _callers) in raw.items()]
    whole = total if total is not None else stats.total_tt  # type: ignore[attr-defined]
    lines = [f"profiled total {whole * 1000:.1f} ms (cProfile adds overhead to every call)"]
    for title, index in (("own time", 0), ("cumulative time", 1)):
        lines.append(f"-- top {top} by {title}: own ms, cumulative ms, calls, function")
        for tt, ct, nc, where in sorted(rows, key=lambda r: r[index], reverse=True)[:top]:
            lines.append(f"{tt * 1000:10.1f} {ct * 1000:10.1f} {nc:9d}  {where}")
    return "\n".join(lines)


def profile_call(fn: Callable[[], object], *, repeat: int = 1, top: int = 15) -> str:
    """Profile `repeat` calls of `fn` (after one unprofiled warm-up call) and format the result."""
    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        for _ in range(repeat):
            fn()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    header = f"{repeat} call{'s' if repeat != 1 else ''}\n" if repeat != 1 else ""
    return header + format_stats(stats, top=top)
