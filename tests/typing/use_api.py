"""A library user's code, checked by `mypy --strict` in CI and never run: the public API's types.

If a change to `reconcile/__init__.py` breaks this file, it breaks users' code the same way.
"""

from __future__ import annotations

from pathlib import Path

import reconcile


def drift_report(spec_files: list[Path], observed: Path) -> tuple[str, int]:
    """Plan offline and return the text plan and how many notebooks would change."""
    spec: reconcile.Spec = reconcile.load_spec(*spec_files)
    observations = reconcile.observe_offline(spec, observed)
    plan: reconcile.Plan = reconcile.plan(spec, observations)
    text: str = reconcile.render(plan, "text")
    changed = [rc for rc in plan.resource_changes if rc.is_change]
    for rc in changed:
        address: str = rc.address
        actions: tuple[reconcile.Action, ...] = rc.actions
        for difference in rc.differences:
            path: tuple[str, ...] = difference.path
            assert address and actions and path
    for error in plan.errors:
        message: str = error.message
        where: reconcile.Location | None = error.location
        assert message or where
    return text, len(changed)


def one_call(spec_files: list[str], observed: str) -> bool:
    """The one-call helper and the JSON round trip."""
    plan = reconcile.plan_offline(spec_files, observed)
    again = reconcile.read_plan(reconcile.render(plan, "json").encode())
    return plan.has_changes == again.has_changes and plan.summary.add == again.summary.add


def live(spec: reconcile.Spec) -> dict[str, reconcile.Observation]:
    """Live observation with explicit settings and the errors a caller handles."""
    try:
        return reconcile.observe_live(spec, endpoint="https://modelarts.example", parallelism=4)
    except reconcile.ConfigError as exc:
        raise SystemExit(str(exc)) from exc


def spec_problems(path: str) -> list[str]:
    """Every problem of a bad spec, as `FILE:LINE: path: message` lines."""
    try:
        reconcile.load_spec(path)
    except reconcile.SpecError as exc:
        return [str(problem) for problem in exc.problems]
    return []


def decode(body: bytes) -> str | None:
    """Decoding one API response; the token is a Secret, never a str."""
    notebook: reconcile.Notebook = reconcile.decode_notebook(body)
    token: reconcile.Secret | None = notebook.token
    assert token is None or isinstance(token, reconcile.Secret)
    return notebook.id


VERSION: str = reconcile.__version__
FORMATS: tuple[str, ...] = reconcile.FORMATS
