"""Vocabulary shared by the renderers: action and method wording, secrets, value formatting.

Every renderer reads a `Plan` and nothing else; what they must say alike (how an `ApplyMethod` is
described, the sentences derived from a change's steps, which top-level keys are secret, how a JSON
value prints on one line) lives here so the text, Markdown and JUnit outputs never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import attrs

from reconcile._core.lifecycle import STARTING_STATES
from reconcile._core.plan import Action, ApplyMethod, Difference, Health, ResourceChange, Step
from reconcile._core.secrets import REDACTED
from reconcile._core.text import clean_text

__all__ = [
    "METHOD_COMMENT",
    "METHOD_LABEL",
    "SENSITIVE_KEYS",
    "action_label",
    "clean_text",
    "compact_json",
    "is_noteworthy",
    "notes_of",
    "redacted",
    "secret_keys",
    "sensitive_fields",
    "step_notes",
    "terminal_safe",
    "without_sensitive",
]

#: Top-level notebook keys whose values are secrets. The plan says which ones the observed notebook
#: has in `ResourceChange.sensitive` and keeps their values out of `before`; renderers also treat
#: these names as secret wherever they meet them, so a mistake upstream cannot leak a value.
SENSITIVE_KEYS: Final = frozenset({"token"})


#: The comment the text renderer appends to a changed attribute, by how the change is applied.
METHOD_COMMENT: Final[Mapping[ApplyMethod, str | None]] = {
    ApplyMethod.IN_PLACE: None,  # the `~` already says "in place"
    ApplyMethod.STOPPED_UPDATE: None,  # in place too: the notebook is (or ends) STOPPED anyway
    ApplyMethod.RESTART: "requires stop and restart",
    ApplyMethod.GROW: "grows in place",
    ApplyMethod.LEASE: "through the lease API",
    ApplyMethod.TAGS: None,  # in place, through the tags API
    ApplyMethod.START: "starts the notebook",
    ApplyMethod.STOP: "stops the notebook",
    ApplyMethod.REPLACE: "forces replacement",
    ApplyMethod.RECOVER: "failed: needs recovery",
}

#: How a change is applied, in a few words (Markdown's "how applied" column, JUnit messages).
METHOD_LABEL: Final[Mapping[ApplyMethod, str]] = {
    ApplyMethod.IN_PLACE: "update in place",
    ApplyMethod.STOPPED_UPDATE: "update in place",
    ApplyMethod.RESTART: "stop, update, start",
    ApplyMethod.GROW: "grow in place",
    ApplyMethod.LEASE: "lease update",
    ApplyMethod.TAGS: "update in place",
    ApplyMethod.START: "start",
    ApplyMethod.STOP: "stop",
    ApplyMethod.REPLACE: "forces replacement",
    ApplyMethod.RECOVER: "recover (failed notebook)",
}

_ACTION_LABELS: Final[Mapping[tuple[Action, ...], str]] = {
    (Action.NO_OP,): "no changes",
    (Action.CREATE,): "create",
    (Action.UPDATE,): "update in place",
    (Action.DELETE,): "destroy",
    (Action.DELETE, Action.CREATE): "replace",
    (Action.CREATE, Action.DELETE): "replace (create first)",
}


def action_label(actions: tuple[Action, ...]) -> str:
    """Say what the actions of a resource change do, in a few words (`update in place`)."""
    return _ACTION_LABELS.get(actions) or "+".join(a.value for a in actions)


def terminal_safe(text: str) -> str:
    """Make untrusted text safe to print on a terminal or in a CI log (stderr messages, for example).

    Every character that could drive the terminal or mislead the reader (C0/C1 controls such as ESC,
    DEL, bidirectional controls, line separators, lone surrogates) is written as a visible `\\uXXXX`
    escape, newlines and tabs included, so one message stays one line. Everything else, non-ASCII
    text included, is kept as it is.
    """
    return clean_text(text)


def compact_json(value: Any) -> str:
    """Write a plan value as one line of JSON with sorted keys (`{"a": 1}`, `"text"`, `null`)."""
    return clean_text(json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False))


def sensitive_fields(rc: ResourceChange) -> frozenset[str]:
    """The secret fields the notebook has: those the plan names, and any secret key in `before`/`after`."""
    found = set(rc.sensitive)
    for values in (rc.before, rc.after):
        if values:
            found |= SENSITIVE_KEYS & values.keys()
    return frozenset(found)


def secret_keys(rc: ResourceChange) -> frozenset[str]:
    """The top-level keys whose values must never be printed for this notebook."""
    return SENSITIVE_KEYS | frozenset(rc.sensitive)


def without_sensitive(values: Mapping[str, Any], secrets: frozenset[str]) -> Mapping[str, Any]:
    """A `before`/`after` mapping without its secret keys: `values` itself when it has none (the
    common case: the plan keeps secrets out of `before` already), else a copy without them."""
    if secrets.isdisjoint(values.keys()):
        return values
    return {k: v for k, v in values.items() if k not in secrets}


def is_noteworthy(rc: ResourceChange) -> bool:
    """Whether a resource change is worth showing: it changes something, is not healthy, or has notes."""
    return rc.is_change or rc.health is not Health.HEALTHY or bool(notes_of(rc))


#: Said when a running notebook is stopped for an update and started again.
_RESTART_NOTE: Final = "the notebook is RUNNING: it will be stopped, updated and started again"
#: Said when a stopped notebook is started for a PUT (name, description, storage) and stopped again.
_START_FOR_UPDATE_NOTE: Final = (
    "name, description and storage change only while RUNNING: "
    "the notebook will be started for the update and stopped again"
)


def step_notes(rc: ResourceChange) -> tuple[str, ...]:
    """The sentences that explain how `rc` is applied, derived from its steps and differences.

    A replacement names the paths that force it; a running notebook stopped for an update and
    started again says so; so does a stopped one started for a PUT and stopped again.
    """
    steps = rc.steps
    if Step.DELETE in steps:
        forcing = ", ".join(d.dotted_path for d in rc.differences if d.forces_replacement)
        return (f"replacement forced by {forcing}",)
    notes: list[str] = []
    if Step.AWAIT_SETTLED in steps:
        # On its way to RUNNING: said as of a running notebook; STOPPING: planned, not explained.
        if rc.status in STARTING_STATES:
            restart = any(d.method is ApplyMethod.RESTART for d in rc.differences)
            then = "stopped, updated and started again" if restart else "updated"
            notes.append(f"the notebook is {rc.status} and about to run: once RUNNING it will be {then}")
        return tuple(notes)
    if Step.STOP_FOR_UPDATE in steps:
        notes.append(_RESTART_NOTE)
    if Step.START_FOR_UPDATE in steps and Step.UPDATE_WHILE_RUNNING in steps:
        notes.append(_START_FOR_UPDATE_NOTE)
    return tuple(notes)


def notes_of(rc: ResourceChange) -> tuple[str, ...]:
    """Every sentence shown for `rc`: what was observed (`rc.notes`), then how it is applied."""
    derived = step_notes(rc)
    return rc.notes + derived if derived else rc.notes


def redacted(difference: Difference, secrets: frozenset[str] = SENSITIVE_KEYS) -> Difference:
    """The difference itself, or, for a path under a secret key, one whose values read `<redacted>`.

    The comparator never compares a secret; this keeps a mistake there from reaching any output.
    """
    if not difference.path or difference.path[0] not in secrets:
        return difference
    return attrs.evolve(
        difference,
        observed=None if difference.observed is None else REDACTED,
        desired=None if difference.desired is None else REDACTED,
    )
