"""Sample plans for the renderer tests, built directly from `reconcile._core.plan` classes.

Each function returns a fresh `Plan`; `SAMPLES` names them all so a test can run over every one.
The observed notebooks follow the API page's example body (`show-notebook-example.json`) as the
comparator puts them in a plan: the secret `token` left out of `before`, and named in `sensitive`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from reconcile._core.plan import (
    Action,
    ApplyMethod,
    Difference,
    Health,
    Plan,
    PlanError,
    ResourceChange,
    Unmanaged,
)
from reconcile._core.secrets import REDACTED
from reconcile._render import jsonplan

__all__ = [
    "SAMPLES",
    "create",
    "errors",
    "failed",
    "long_plan",
    "many",
    "nested",
    "no_drift",
    "observed",
    "pending",
    "plans",
    "replace",
    "special_characters",
    "update_restart",
]

#: A stand-in for a real notebook token: no renderer may ever print it, whatever holds it.
SECRET_VALUE = "7b22482a-SECRET-TOKEN-VALUE"

NOTEBOOK_ID = "f9937afa-631e-4a8f-a8f7-3b6c800585f0"


def observed(notebook_id: str = NOTEBOOK_ID, **changes: Any) -> dict[str, Any]:
    """An observed notebook as a plan holds it (`before`): the API example without its token."""
    body: dict[str, Any] = {
        "description": "api-test",
        "feature": "NOTEBOOK",
        "flavor": "modelarts.vm.cpu.2u",
        "id": notebook_id,
        "image": {
            "id": "e1a07296-22a8-4f05-8bc8-e936c8e54090",
            "name": "notebook2.0-mul-kernel-cpu-cp36",
            "swr_path": "swr.xxxxx.com/atelier/notebook2.0-mul-kernel-cpu-cp36:3.3.1.B007_V2",
            "type": "BUILD_IN",
        },
        "lease": {
            "create_at": 1638778344300,
            "duration": 3600000,
            "enable": True,
            "update_at": 1638778344300,
        },
        "name": "notebooks_test",
        "status": "RUNNING",
        "url": f"https://authoring-modelarts-xxxxx.xxxxx.com/{notebook_id}/lab",
        "workspace_id": "0",
    }
    body.update(changes)
    return body


def _after(before: dict[str, Any], differences: tuple[Difference, ...]) -> dict[str, Any]:
    """The desired values merged onto the observed notebook, as the comparator builds `after`."""
    after = copy.deepcopy(before)
    for d in differences:
        target = after
        for part in d.path[:-1]:
            nxt = target.get(part)
            if not isinstance(nxt, dict):
                nxt = target[part] = {}
            target = nxt
        target[d.path[-1]] = d.desired
    return after


def _change(
    name: str,
    actions: tuple[Action, ...],
    differences: tuple[Difference, ...] = (),
    *,
    notebook_id: str = NOTEBOOK_ID,
    before: dict[str, Any] | None = None,
    **kwargs: Any,
) -> ResourceChange:
    before = observed(notebook_id) if before is None else before
    return ResourceChange(
        name=name,
        notebook_id=notebook_id,
        actions=actions,
        differences=differences,
        status=kwargs.pop("status", before.get("status")),
        sensitive=kwargs.pop("sensitive", ("token",)),
        before=before,
        after=_after(before, differences),
        **kwargs,
    )


def no_drift() -> Plan:
    """One notebook that matches its spec."""
    return Plan([_change("train-box", (Action.NO_OP,))])


def update_restart() -> Plan:
    """A flavor change on a running notebook: stop, update, start (the README example)."""
    diff = Difference(("flavor",), "modelarts.vm.cpu.2u", "modelarts.vm.cpu.8u", ApplyMethod.RESTART)
    return Plan(
        [
            _change(
                "train-box",
                (Action.UPDATE,),
                (diff,),
                notes=("the notebook is RUNNING: it is stopped for the update and started again afterwards",),
            )
        ]
    )


def nested() -> Plan:
    """Differences below the top level: lease, SSH endpoint IPs (a set), volume growth, a start."""
    before = observed(
        status="STOPPED",
        endpoints=[
            {
                "allowed_access_ips": ["192.0.2.1/32", "203.0.113.0/24"],
                "dev_service": "SSH",
                "key_pair_names": ["ops-key"],
                "service": "SSH",
                "uri": "192.168.0.10:22",
            }
        ],
        volume={
            "capacity": 50,
            "category": "EVS",
            "mount_path": "/home/ma-user/work/",
            "ownership": "MANAGED",
        },
    )
    diffs = (
        Difference(
            ("endpoints", "SSH", "allowed_access_ips"),
            ["192.0.2.1/32", "203.0.113.0/24"],
            ["198.51.100.0/24", "203.0.113.0/24"],
            ApplyMethod.RESTART,
        ),
        Difference(("lease", "duration"), 3600000, 7200000, ApplyMethod.LEASE),
        Difference(("status",), "STOPPED", "RUNNING", ApplyMethod.START),
        Difference(("volume", "capacity"), 50, 100, ApplyMethod.GROW),
    )
    return Plan([_change("dev-box", (Action.UPDATE,), diffs, before=before, ignored=("lease.enable",))])


def replace() -> Plan:
    """A volume category change forces replacement; a description change rides along."""
    before = observed(volume={"capacity": 50, "category": "EFS", "ownership": "MANAGED"})
    diffs = (
        Difference(("description",), "api-test", "team sandbox", ApplyMethod.IN_PLACE),
        Difference(("volume", "category"), "EFS", "EVS", ApplyMethod.REPLACE),
    )
    return Plan([_change("train-box", (Action.DELETE, Action.CREATE), diffs, before=before)])


def create() -> Plan:
    """A spec entry whose notebook does not exist: create it from the desired values."""
    after = {
        "description": "team sandbox",
        "flavor": "modelarts.vm.cpu.8u",
        "image": {"name": "notebook2.0-mul-kernel-cpu-cp36", "tag": "3.3.1.B007_V2"},
        "name": "new-box",
        "volume": {"capacity": 100, "category": "EVS"},
    }
    rc = ResourceChange(
        name="new-box",
        notebook_id=None,
        actions=(Action.CREATE,),
        health=Health.MISSING,
        status=None,
        notes=("no notebook named new-box exists",),
        before=None,
        after=after,
    )
    return Plan([rc])


def pending() -> Plan:
    """A notebook still starting: pending, not drift; another one drifted."""
    starting = _change(
        "warm-box",
        (Action.NO_OP,),
        notebook_id="0b7e2f3c-1111-4a8f-a8f7-3b6c800585f0",
        before=observed("0b7e2f3c-1111-4a8f-a8f7-3b6c800585f0", status="STARTING"),
        health=Health.PENDING,
        notes=("STARTING is a transitional state; plan again once it settles",),
    )
    return Plan([starting])


def failed() -> Plan:
    """A notebook in ERROR: drift whatever the spec says, with the service's fail_reason."""
    before = observed(status="ERROR", fail_reason="insufficient resources in the pool")
    diff = Difference(("status",), "ERROR", "RUNNING", ApplyMethod.RECOVER)
    return Plan(
        [
            _change(
                "broken-box",
                (Action.UPDATE,),
                (diff,),
                before=before,
                health=Health.FAILED,
                notes=("fail_reason: insufficient resources in the pool",),
            )
        ]
    )


def errors() -> Plan:
    """Two notebooks could not be observed; a third drifted and is still planned."""
    return Plan(
        resource_changes=update_restart().resource_changes,
        errors=[
            PlanError("gone-box", "GET /v1/p/notebooks/x: HTTP 503 Service Unavailable (request id 42)", "x"),
            PlanError("bad-body", 'notebooks/bad.json: image.size: expected int, got "big"'),
        ],
    )


def many(count: int = 24) -> Plan:
    """Many notebooks with every kind of action, plus errors."""
    changes = []
    for i in range(count):
        nid = f"00000000-0000-4000-8000-{i:012d}"
        kind = i % 4
        if kind == 0:
            changes.append(_change(f"box-{i:02d}", (Action.NO_OP,), notebook_id=nid, before=observed(nid)))
        elif kind == 1:
            diff = Difference(("description",), "api-test", f"box {i}", ApplyMethod.IN_PLACE)
            changes.append(
                _change(f"box-{i:02d}", (Action.UPDATE,), (diff,), notebook_id=nid, before=observed(nid))
            )
        elif kind == 2:
            diff = Difference(("workspace_id",), "0", f"ws-{i}", ApplyMethod.REPLACE)
            changes.append(
                _change(
                    f"box-{i:02d}",
                    (Action.DELETE, Action.CREATE),
                    (diff,),
                    notebook_id=nid,
                    before=observed(nid),
                )
            )
        else:
            changes.append(
                ResourceChange(
                    name=f"box-{i:02d}",
                    notebook_id=None,
                    actions=(Action.CREATE,),
                    health=Health.MISSING,
                    after={"flavor": "modelarts.vm.cpu.2u", "name": f"box-{i:02d}"},
                )
            )
    errs = [PlanError(f"err-{i}", f"HTTP 500 for notebook {i}") for i in range(3)]
    return Plan(changes, errs)


NASTY = 'a|b <script>alert("x")</script> `code` **bold** [link](http://x) & \\ @team\nnext line\x1b[31m'


def special_characters() -> Plan:
    """Values, notes and messages full of Markdown, HTML/XML and terminal control characters."""
    before = observed(description=NASTY, tags={"odd key|<>": "v`"})
    diffs = (
        Difference(("description",), NASTY, "plain <b>&amp;</b> | ``", ApplyMethod.IN_PLACE),
        Difference(("tags",), {"odd key|<>": "v`"}, {"odd key|<>": "w]]>"}, ApplyMethod.IN_PLACE),
    )
    rc = _change("weird|<name>`", (Action.UPDATE,), diffs, before=before, notes=(NASTY,))
    return Plan([rc], [PlanError("err<&>", NASTY)])


def long_plan(count: int = 120) -> Plan:
    """A plan whose Markdown is far over GitHub's 65,536-character comment limit."""
    changes = []
    for i in range(count):
        nid = f"11111111-0000-4000-8000-{i:012d}"
        big = [f"10.{i % 256}.{j}.0/24" for j in range(40)]
        diffs = (
            Difference(("description",), "x" * 200, "y" * 200, ApplyMethod.IN_PLACE),
            Difference(("endpoints", "SSH", "allowed_access_ips"), big, big[:-1], ApplyMethod.RESTART),
        )
        changes.append(
            _change(f"box-{i:03d}", (Action.UPDATE,), diffs, notebook_id=nid, before=observed(nid))
        )
    return Plan(changes)


def unmanaged() -> Plan:
    """A listing with two unmanaged notebooks (one ignored by a spec rule, one with an odd name)."""
    nid = "22222222-0000-4000-8000-000000000001"
    rc = _change("train-box", (Action.NO_OP,), (), notebook_id=nid, before=observed(nid))
    strays = (
        Unmanaged("33333333-0000-4000-8000-000000000002", "scratch-1", "STOPPED", "0", "personal scratch"),
        Unmanaged("33333333-0000-4000-8000-000000000003", NASTY, "RUNNING", None, None),
        Unmanaged("33333333-0000-4000-8000-000000000004", None, None, "ws-9", None),
    )
    return Plan([rc], unmanaged=strays, listed=4)


SAMPLES: dict[str, Callable[[], Plan]] = {
    "create": create,
    "errors": errors,
    "failed": failed,
    "long_plan": long_plan,
    "many": many,
    "nested": nested,
    "no_drift": no_drift,
    "pending": pending,
    "replace": replace,
    "special_characters": special_characters,
    "unmanaged": unmanaged,
    "update_restart": update_restart,
}


# --- Hypothesis -----------------------------------------------------------------------------------

#: Any text, including control characters, Markdown and XML specials (but no lone surrogates:
#: a plan holds JSON values, and JSON text cannot carry those through UTF-8).
_text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    [NASTY, "|", "<", "]]>", "`", "&amp;", "token", "\x1b[31m", "-/+", "#"]
)
_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_objects = st.dictionaries(_text.filter(lambda k: k != "token"), json_values, max_size=5)


@st.composite
def _notebook_values(draw: st.DrawFn) -> dict[str, Any] | None:
    """A `before`/`after` mapping, sometimes (against the contract) holding the token, even its value."""
    values = draw(st.none() | _objects)
    if values is not None and draw(st.booleans()):
        values["token"] = draw(st.sampled_from([REDACTED, SECRET_VALUE]))
    return values


_differences = st.builds(
    Difference,
    path=st.lists(_text, min_size=1, max_size=3).map(tuple),
    observed=json_values,
    desired=json_values,
    method=st.sampled_from(ApplyMethod),
)
_actions = st.sampled_from(sorted(jsonplan.VALID_ACTIONS))


@st.composite
def _resource_change(draw: st.DrawFn, name: str) -> ResourceChange:
    differences = tuple(draw(st.lists(_differences, max_size=4)))
    # Actions that agree with the differences, as the planner makes them (the reader refuses others).
    if any(d.forces_replacement for d in differences):
        actions = draw(st.sampled_from([(Action.DELETE, Action.CREATE), (Action.CREATE,)]))
    elif differences:
        actions = draw(_actions.filter(lambda a: a != (Action.NO_OP,)))
    else:
        actions = draw(_actions)
    return ResourceChange(
        name=name,
        notebook_id=draw(st.none() | _text),
        actions=actions,
        differences=differences,
        ignored=tuple(draw(st.lists(_text, max_size=2))),
        health=draw(st.sampled_from(Health)),
        status=draw(st.none() | _text),
        notes=tuple(draw(st.lists(_text, max_size=2))),
        sensitive=draw(st.sampled_from([(), ("token",)])),
        before=draw(_notebook_values()),
        after=draw(_notebook_values()),
    )


@st.composite
def plans(draw: st.DrawFn, max_notebooks: int = 5) -> Plan:
    """Arbitrary plans: any names, values, actions, health, notes and errors."""
    names = draw(st.lists(_text.filter(bool), unique=True, max_size=max_notebooks))
    split = draw(st.integers(0, len(names)))
    changes = [draw(_resource_change(name)) for name in names[:split]]
    errs = [PlanError(name, draw(_text), draw(st.none() | _text)) for name in names[split:]]
    strays = draw(
        st.lists(
            st.builds(Unmanaged, _text.filter(bool), *(st.none() | _text for _ in range(4))),
            max_size=3,
            unique_by=lambda u: u.notebook_id,
        )
    )
    listed = None if not strays and draw(st.booleans()) else len(strays) + draw(st.integers(0, 3))
    return Plan(changes, errs, unmanaged=strays, listed=listed)
