"""`reconcile plan` makes its plan without cyclic garbage collection (but observes a live service with
it), and restores the collector."""

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


def test_objects_the_caller_froze_stay_frozen() -> None:
    """A host that froze its objects (before a fork, say) finds them frozen after a plan."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with _rare_collections():
            _ = [{"n": i} for i in range(1000)]
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


def test_live_observation_runs_with_the_collector_on() -> None:
    """Inside the plan's pause, `resumed()` (what live observation runs in) turns the collector on
    as it was, and off again after; a collector the caller had switched off stays off."""
    with _rare_collections() as paused:
        with paused.resumed():
            assert gc.isenabled()
        assert not gc.isenabled()
    gc.disable()
    try:
        with _rare_collections() as paused, paused.resumed():
            assert not gc.isenabled()
    finally:
        gc.enable()
