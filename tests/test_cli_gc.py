"""`reconcile plan` makes its plan without cyclic garbage collection, and restores the collector."""

from __future__ import annotations

import gc
from typing import Any

from reconcile._cli.plan import _rare_collections


def test_no_collection_runs_while_a_plan_is_made_and_the_collector_is_restored() -> None:
    """Inside the plan's context no collection starts however much is allocated; afterwards the
    collector is enabled again and what was allocated sits in the oldest generation (the next
    allocation does not walk it all)."""
    phases: list[str] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        phases.append(phase)

    assert gc.isenabled()
    gc.callbacks.append(record)
    try:
        with _rare_collections():
            assert not gc.isenabled()
            kept = [{"n": i} for i in range(300_000)]  # far beyond any generation's threshold
            assert phases == []
        assert gc.isenabled()
        assert gc.get_count()[0] < 100  # the young generation was emptied into the oldest
    finally:
        gc.callbacks.remove(record)
    assert len(kept) == 300_000


def test_a_disabled_collector_stays_disabled() -> None:
    """A caller that had switched the collector off finds it off afterwards."""
    gc.disable()
    try:
        with _rare_collections():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
