"""Execute a plan: each notebook's `steps`, in order, through the client; then re-read and verify.

`apply_plan(plan, client, ...)` runs the changes of a plan concurrently (at most `parallelism`
notebooks at once). Per notebook it runs `ResourceChange.steps` one after the other (never the
plan's English notes): a failed step stops that notebook's remaining steps, the others go on. Each
write waits for the notebook to settle (STARTING, STOPPING, CREATING, ...) by polling with backoff,
within a per-notebook deadline. After its steps, each notebook is read again and every planned
difference is compared with the new observation (`Verdict.drift` lists what still differs).

Starts never switch auto-stop off. A TIMING lease's `duration` counts from its `create_at`, and a
start begins a new lease, so: `start-after-update` (a running notebook put back after a stop for an
update) of a TIMING lease sends the time it had left, `create_at + duration - now` as read before
the stop, within the API's 1 h to 72 h, so its auto-stop moment stays where it was; an IDLE lease
(an idle timeout) is sent as it was; when the spec states the duration, the plan follows the start
with `update-lease` and the start sends the stated duration (the spec wins); the other starts send
the lease the notebook should end with (the spec's where the plan changes it, else the observed
duration and type). A notebook whose auto-stop is off stays off (`duration=-1`, as the service
reads it).

Tags are changed as the Terraform provider does: the pairs that change or go are deleted, then the
new and changed pairs created. A replacement deletes the notebook, polls until it is gone, then
creates the new one; a replacement of an entry identified by id is refused
(`refuse-create-by-id`): nothing is changed.

When a step fails after a `*-for-update` step moved the notebook, the matching `*-after-update`
step is still run to put its status back (not on an interrupt), so a failed apply does not leave
a notebook stopped that the next plan would keep stopped.

`stop` (a `threading.Event`, set on Ctrl-C) lets the step in flight finish, then starts nothing
new: the steps not taken are reported as not done; `abort` (set on a second Ctrl-C) makes a step
that polls stop waiting at once. Writes are retried only as the client's
policies allow (idempotent writes on connection errors, 429 and 503; a create only when it never
left).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import attrs

from reconcile._apply.journal import Journal
from reconcile._codec.observed import decode_notebook
from reconcile._core.errors import ApiError, NotFoundError, ReconcileError
from reconcile._core.model import Notebook
from reconcile._core.plan import Action, Plan, ResourceChange, Step
from reconcile._core.secrets import Scrubber
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.protocol import LEASE_MAX, LEASE_MIN
from reconcile._planning.decisions import BY_ID_NOTE
from reconcile._planning.projection import observed_values

__all__ = ["ApplyResult", "NotebookResult", "apply_plan"]

_TRANSITIONAL: Final = frozenset({"INIT", "CREATING", "STARTING", "STOPPING", "SNAPSHOTTING", "DELETING"})
_FAILED: Final = frozenset({"CREATE_FAILED", "START_FAILED", "DELETE_FAILED", "ERROR", "FROZEN"})
_STARTS: Final = frozenset({Step.START, Step.START_FOR_UPDATE, Step.START_AFTER_UPDATE})
_STOPS: Final = frozenset({Step.STOP, Step.STOP_FOR_UPDATE, Step.STOP_AFTER_UPDATE})


class StepFailed(ReconcileError):
    """A step could not be carried out (the message says why, in one line, without secrets)."""


class _Interrupted(StepFailed):
    """A second Ctrl-C while a step polls: it stops waiting (its write, if any, was made)."""


@attrs.frozen
class NotebookResult:
    """What apply did to one notebook.

    Attributes:
        address: the plan address.
        notebook_id: the notebook's id (for a create, the new one), when known.
        done: the steps carried out, in order.
        not_done: the steps not carried out (after a failure or an interrupt), in order.
        error: why it stopped, or None.
        drift: the dotted paths that still differ from the plan's desired values after re-reading.
        created: whether a notebook was created.
    """

    address: str
    notebook_id: str | None
    done: tuple[Step, ...]
    not_done: tuple[Step, ...] = ()
    error: str | None = None
    drift: tuple[str, ...] = ()
    created: bool = False

    @property
    def complete(self) -> bool:
        """Whether every step was carried out and the re-read shows no drift."""
        return not self.not_done and self.error is None and not self.drift


@attrs.frozen
class ApplyResult:
    """The outcome of an apply: one result per changed notebook, sorted by address."""

    results: tuple[NotebookResult, ...]
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        """Whether every notebook was applied completely and verified."""
        return not self.interrupted and all(r.complete for r in self.results)


@attrs.frozen
class Timing:
    """How apply waits: per-notebook deadline and polling backoff, in seconds."""

    timeout: float = 20 * 60.0
    poll_initial: float = 0.05
    poll_max: float = 5.0


def apply_plan(
    plan: Plan,
    client: ModelArtsClient,
    *,
    parallelism: int = 10,
    timing: Timing = Timing(),
    journal: Journal | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[NotebookResult], None] | None = None,
    abort: threading.Event | None = None,
) -> ApplyResult:
    """Apply every change of `plan` (no-ops are skipped), at most `parallelism` notebooks at once.

    `stop` set (a first Ctrl-C): the steps in flight finish, waits included, and nothing new starts.
    `abort` set (a second one): the steps in flight stop waiting for the service too.

    Returns:
        One `NotebookResult` per changed notebook, sorted by address.
    """
    stop = stop if stop is not None else threading.Event()
    abort = abort if abort is not None else threading.Event()
    changes = [rc for rc in plan.resource_changes if rc.is_change and rc.steps]
    results: list[NotebookResult] = []

    def one(rc: ResourceChange) -> NotebookResult:
        result = _Run(rc, client, timing=timing, journal=journal, stop=stop, abort=abort).run()
        if progress is not None:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="apply") as pool:
        futures = [pool.submit(one, rc) for rc in changes]
        try:
            for future in futures:
                while True:
                    try:
                        results.append(future.result(timeout=0.1))
                        break
                    except TimeoutError:
                        continue
        except KeyboardInterrupt:
            stop.set()
            try:
                results = [f.result() for f in futures]
            except KeyboardInterrupt:  # a second one: stop waiting for the service as well
                abort.set()
                results = [f.result() for f in futures]
    return ApplyResult(tuple(sorted(results, key=lambda r: r.address)), interrupted=stop.is_set())


class _Run:
    """The steps of one notebook."""

    def __init__(
        self,
        rc: ResourceChange,
        client: ModelArtsClient,
        *,
        timing: Timing,
        journal: Journal | None,
        stop: threading.Event,
        abort: threading.Event | None = None,
    ) -> None:
        self.rc = rc
        self.client = client
        self.timing = timing
        self.journal = journal
        self.stop = stop
        self.abort = abort if abort is not None else threading.Event()
        self.notebook_id = rc.notebook_id
        self.deadline = time.monotonic() + timing.timeout
        before = rc.before or {}
        self.lease: Mapping[str, Any] = before.get("lease") or {}
        #: When auto-stop was due (ms since the epoch) as read before a stop for an update.
        self.stop_due: int | None = None
        self.created = False

    def run(self) -> NotebookResult:
        steps = self.rc.steps
        done: list[Step] = []
        for index, step in enumerate(steps):
            if self.stop.is_set():
                self._record(step, "skipped", message="interrupted: not started")
                return self._result(done, steps[index:], "interrupted before this step")
            if step is Step.CREATE and self.rc.create_missing:
                message = (
                    "a create needs " + ", ".join(self.rc.create_missing) + ", which the spec does not give"
                )
                self._record(step, "failed", message=message)
                return self._result(done, steps[index:], message)
            try:
                self._step(step)
            except ReconcileError as exc:
                message = " ".join(str(exc).split())
                self._record(step, "failed", message=message)
                not_done = list(steps[index:])
                restored = self._restore(done, not_done)
                if restored is not None:
                    done.append(restored)
                    not_done.remove(restored)
                return self._result(done, tuple(not_done), f"{step.value}: {message}")
            done.append(step)
        return self._verify(done)

    def _restore(self, done: list[Step], not_done: list[Step]) -> Step | None:
        """After a failure, put back the status a `*-for-update` step changed (never on an interrupt).

        A notebook stopped for an update that then failed is started again (and one started for an
        update is stopped again), so a failed apply does not leave it in a status the next plan
        would keep. Returns the restoring step when it succeeded.
        """
        pairs = (
            (Step.STOP_FOR_UPDATE, Step.START_AFTER_UPDATE),
            (Step.START_FOR_UPDATE, Step.STOP_AFTER_UPDATE),
        )
        for moved, undo in pairs:
            if moved in done and undo in not_done[1:] and not self.stop.is_set():
                try:
                    self._step(undo)
                except ReconcileError as exc:
                    self._record(
                        undo, "failed", message="restoring the status: " + " ".join(str(exc).split())
                    )
                    return None
                return undo
        return None

    def _result(self, done: list[Step], not_done: tuple[Step, ...], error: str | None) -> NotebookResult:
        return NotebookResult(
            self.rc.address, self.notebook_id, tuple(done), tuple(not_done), error, created=self.created
        )

    def _record(
        self,
        step: Step | str,
        outcome: str,
        *,
        request: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        if self.journal is not None:
            self.journal.record(
                address=self.rc.address,
                notebook_id=self.notebook_id,
                step=step.value if isinstance(step, Step) else step,
                outcome=outcome,
                request=request,
                message=message,
            )

    # -- steps ---------------------------------------------------------------------------------

    def _step(self, step: Step) -> None:
        if step is Step.AWAIT_SETTLED:
            self._record(step, "started")
            self._settle(None)
        elif step is Step.AWAIT_DELETION:
            self._record(step, "started")
            self._await_gone()
        elif step is Step.CREATE:
            self._create(step)
        elif step in _STARTS:
            self._start(step)
        elif step in _STOPS:
            if step is Step.STOP_FOR_UPDATE:
                self.stop_due = _due(self.lease)
            self._write(step, {"method": "POST", "action": "stop"}, self.client.stop_notebook)
            self._settle("STOPPED")
        elif step in (Step.UPDATE_WHILE_RUNNING, Step.UPDATE_WHILE_STOPPED):
            body = self._update_body(step)
            self._write(
                step, {"method": "PUT", "body": body}, lambda nid: self.client.update_notebook(nid, body)
            )
            self._settle(None)
        elif step is Step.UPDATE_LEASE:
            duration, lease_type = self._desired_lease()
            if duration is None:
                raise StepFailed("auto-stop cannot be switched off through the lease API")
            self._write(
                step,
                {"method": "PATCH", "action": "lease", "body": {"duration": duration, "type": lease_type}},
                lambda nid: self.client.renew_lease(nid, duration, lease_type),
            )
        elif step is Step.UPDATE_TAGS:
            self._tags(step)
        elif step is Step.DELETE:
            self._delete(step)
        elif step is Step.REFUSE_CREATE_BY_ID:
            raise StepFailed(BY_ID_NOTE)
        elif step is Step.RECOVER:
            raise StepFailed(f"the notebook is {self.rc.status}: it needs attention, apply changes nothing")
        else:
            raise StepFailed(f"the notebook is in status {self.rc.status!r}: apply changes nothing")

    def _write(self, step: Step, request: dict[str, Any], send: Callable[[str], bytes]) -> bytes:
        nid = self._id()
        self._record(step, "started", request=request)
        answer = send(nid)
        self._record(step, "ok", request=request)
        return answer

    def _desired_lease(self) -> tuple[int | None, str]:
        """The lease to end with: the plan's `after` (the spec's where the plan changes it, else the
        lease observed when planning)."""
        before = (self.rc.before or {}).get("lease") or {}
        lease = {**before, **((self.rc.after or {}).get("lease") or {})}
        lease_type = str(lease.get("type") or "TIMING")
        if lease.get("enable") is False:
            return None, lease_type
        duration = lease.get("duration")
        return (duration if isinstance(duration, int) and duration > 0 else None), lease_type

    def _start(self, step: Step) -> None:
        duration, lease_type = self._desired_lease()
        keeps_moment = (
            step is Step.START_AFTER_UPDATE
            and Step.UPDATE_LEASE not in self.rc.steps  # the spec states the duration: start with it
            and str(self.lease.get("type") or "TIMING") == "TIMING"  # IDLE is a timeout: kept as it is
        )
        if keeps_moment and self.stop_due is not None:
            # Put back with the time its lease had left, so auto-stop comes when it would have.
            left = self.stop_due - int(time.time() * 1000)
            duration = min(max(left, LEASE_MIN), LEASE_MAX)
        known = bool(self.lease) or any(d.path[0] == "lease" for d in self.rc.differences)
        if not known:
            query: dict[str, Any] = {}  # no lease observed or wanted: the service's default
            send: Callable[[str], bytes] = self.client.start_notebook
        else:
            sent = duration if duration is not None else -1  # -1: auto-stop stays off, as it was
            query = {"duration": sent, "type": lease_type}
            send = lambda nid: self.client.start_notebook(nid, sent, lease_type)  # noqa: E731
        self._write(step, {"method": "POST", "action": "start", "query": query}, send)
        self._settle("RUNNING")

    def _tags(self, step: Step) -> None:
        """Delete the tag pairs that change or go, then create the new and changed ones.

        The desired tags are the plan's `after`; the held ones are read again now (a create's new
        notebook has none yet), so a repeated apply deletes and creates only what still differs.
        """
        nb = self._read()
        wanted = _pairs((self.rc.after or {}).get("tags"))
        held = _held(nb)
        drop = sorted(held - wanted)
        add = sorted(wanted - held)
        scrub = Scrubber.of(nb.token)  # a tag that echoes the notebook's token is sent, never journaled
        if drop:
            request = scrub.value({"method": "DELETE", "action": "tags/delete", "body": _tag_body(drop)})
            self._write(step, request, lambda nid: self.client.delete_tags(nid, drop))
        if add:
            request = scrub.value({"method": "POST", "action": "tags/create", "body": _tag_body(add)})
            self._write(step, request, lambda nid: self.client.create_tags(nid, add))
        if not drop and not add:
            self._record(step, "ok", message="the tags already match")

    def _delete(self, step: Step) -> None:
        """DELETE the notebook, then poll until it is gone.

        A delete whose answer was lost is sent again by the client's write policy; the repeat then
        finds the notebook gone (not found) or DELETING (a conflict): both mean the first one
        committed, so the step goes on to wait.
        """
        try:
            self._write(step, {"method": "DELETE"}, self.client.delete_notebook)
        except NotFoundError:
            self._record(step, "ok", message="already gone")
        except ApiError as exc:
            try:
                status = self._read().status
            except NotFoundError:
                pass  # gone: the first delete committed
            except ReconcileError:
                raise exc from None  # the re-read failed too: the delete's own error is the one to report
            else:
                if status is None or str(status.value) != "DELETING":
                    raise exc from None
            self._record(step, "ok", message="already being deleted")
        try:
            self._await_gone()
        except _Interrupted:
            raise StepFailed(
                "interrupted while waiting for the deleted notebook to be gone: it is deleted and its "
                "replacement is not created (apply again to create it)"
            ) from None

    def _id(self) -> str:
        """The notebook's id (for a create, the new one once made)."""
        if self.notebook_id is None:
            raise StepFailed("the notebook has no id")
        return self.notebook_id

    def _update_body(self, step: Step) -> dict[str, Any]:
        body: dict[str, Any] = {}
        after = self.rc.after or {}
        for d in self.rc.differences_for(step):
            head = d.path[0]
            if head in ("name", "description", "flavor"):
                body[head] = d.desired
            elif d.path == ("volume", "capacity"):
                body["storage_new_size"] = d.desired
            elif d.path == ("image", "id"):
                body["image_id"] = d.desired
            elif head == "endpoints":
                ssh = next(
                    (
                        e
                        for e in after.get("endpoints") or []
                        if isinstance(e, dict) and e.get("dev_service") == "SSH"
                    ),
                    {},
                )
                body["endpoints"] = [
                    {
                        "service": "SSH",
                        "key_pair_names": list(ssh.get("ssh_keys") or []),
                        "allowed_access_ips": list(ssh.get("allowed_access_ips") or []),
                    }
                ]
            else:
                raise StepFailed(
                    f"{d.dotted_path} cannot be updated through the API (image by name or tag needs image.id)"
                )
        return body

    def _create(self, step: Step) -> None:
        after = self.rc.after or {}
        volume = after.get("volume") or {}
        body: dict[str, Any] = {
            "name": after["name"],
            "flavor": after["flavor"],
            "image_id": (after.get("image") or {})["id"],
            "volume": {
                "category": volume["category"],
                "ownership": volume.get("ownership") or "MANAGED",
                **{k: volume[k] for k in ("capacity", "mount_path") if volume.get(k) is not None},
            },
            "feature": after.get("feature") or "NOTEBOOK",
        }
        for key in ("description", "workspace_id"):
            if after.get(key) is not None:
                body[key] = after[key]
        if (after.get("pool") or {}).get("id"):
            body["pool_id"] = after["pool"]["id"]
        lease = after.get("lease") or {}
        if lease.get("enable") is False:
            body["duration"] = -1
        elif lease.get("duration"):
            body["lease"] = {"duration": lease["duration"], "type": lease.get("type") or "TIMING"}
        ssh = next((e for e in after.get("endpoints") or [] if e.get("dev_service") == "SSH"), None)
        if ssh is not None:
            body["endpoints"] = [
                {
                    "service": "SSH",
                    "key_pair_names": list(ssh.get("ssh_keys") or []),
                    "allowed_access_ips": list(ssh.get("allowed_access_ips") or []),
                }
            ]
        request = {"method": "POST", "action": "create", "body": body}
        self._record(step, "started", request=request)
        answer = json.loads(self.client.create_notebook(body))
        self.notebook_id = str(answer["id"])
        self.created = True
        self._record(step, "ok", request=request)
        self._settle("RUNNING")

    # -- waiting -------------------------------------------------------------------------------

    def _read(self) -> Notebook:
        nid = self._id()
        return decode_notebook(self.client.get_notebook(nid), source=nid)

    def _sleep(self, wait: float) -> float:
        """Wait before the next poll (raises at the deadline, and at once on a second Ctrl-C)."""
        if time.monotonic() + wait > self.deadline:
            raise StepFailed(
                f"timed out waiting for the notebook (per-notebook deadline of {self.timing.timeout:g} s)"
            )
        if self.abort.wait(wait):
            raise _Interrupted("interrupted twice: stopped waiting for the notebook")
        return min(wait * 2, self.timing.poll_max)

    def _settle(self, wanted: str | None) -> Notebook:
        """Poll until the notebook leaves its transitional status (and is `wanted`, when given)."""
        wait = self.timing.poll_initial
        while True:
            nb = self._read()
            status = None if nb.status is None else str(nb.status.value)
            if status in _FAILED:
                raise StepFailed(f"the notebook went to {status}")
            if status not in _TRANSITIONAL and (wanted is None or status == wanted):
                if status == "RUNNING" and nb.lease is not None:
                    self.lease = {k: v for k, v in attrs.asdict(nb.lease).items() if v is not None}
                return nb
            wait = self._sleep(wait)

    def _await_gone(self) -> None:
        wait = self.timing.poll_initial
        while True:
            try:
                self._read()
            except NotFoundError:
                return
            wait = self._sleep(wait)

    # -- verifying -----------------------------------------------------------------------------

    def _verify(self, done: list[Step]) -> NotebookResult:
        """Read the notebook again and list the planned differences that still differ."""
        try:
            nb = self._read()
        except ReconcileError as exc:
            return NotebookResult(
                self.rc.address, self.notebook_id, tuple(done), (), f"re-read: {exc}", created=self.created
            )
        desired = {d.dotted_path: d.desired for d in self.rc.differences if d.path != ("tags",)}
        tags = (self.rc.after or {}).get("tags") if Step.UPDATE_TAGS in self.rc.steps else None
        if self.rc.actions == (Action.CREATE,):
            desired = {}  # a create has no differences: its status and tags are checked below
        final = _final_status(self.rc)
        drift = [
            p
            for p, v in observed_values(nb, {p: v for p, v in desired.items() if p != "status"}).items()
            if not _same(v, desired[p])
        ]
        if tags is not None and _held(nb) != _pairs(tags):
            drift.append("tags")
        status = None if nb.status is None else str(nb.status.value)
        if final is not None and status != final:
            drift.append("status")
        message = "drift after apply: " + ", ".join(sorted(drift)) if drift else None
        self._record("verify", "ok" if not drift else "drift", message=message)
        return NotebookResult(
            self.rc.address,
            self.notebook_id,
            tuple(done),
            (),
            None,
            tuple(sorted(drift)),
            created=self.created,
        )


def _final_status(rc: ResourceChange) -> str | None:
    """The status the notebook should have after its steps."""
    for d in rc.differences:
        if d.path == ("status",):
            return str(d.desired)
    if Step.STOP in rc.steps:
        return "STOPPED"
    if Step.START in rc.steps or Step.CREATE in rc.steps:
        return "RUNNING"
    return rc.status if rc.status in ("RUNNING", "STOPPED") else None


def _due(lease: Mapping[str, Any]) -> int | None:
    """When auto-stop is due (`create_at + duration`, ms), or None when it is off or unknown."""
    created, duration = lease.get("create_at"), lease.get("duration")
    if lease.get("enable") is False or not isinstance(created, int) or not isinstance(duration, int):
        return None
    return created + duration


def _pairs(tags: Any) -> frozenset[tuple[str, str]]:
    """Tags as the plan or the API writes them (`[{key, value}]`) as a set of `(key, value)` pairs."""
    return frozenset(
        (str(t["key"]), str(t.get("value") or ""))
        for t in tags or ()
        if isinstance(t, Mapping) and t.get("key") is not None
    )


def _held(nb: Notebook) -> frozenset[tuple[str, str]]:
    """The tags a decoded notebook holds, as `(key, value)` pairs (as `_pairs` reads the plan's)."""
    return frozenset((t.key, t.value or "") for t in nb.tags or () if t.key is not None)


def _tag_body(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"tags": [{"key": k, "value": v} for k, v in pairs]}


def _same(observed: Any, desired: Any) -> bool:
    """Equal as the plan compares: sets of text (IP lists, keys) in any order."""
    if isinstance(observed, (list, tuple)) and isinstance(desired, (list, tuple)):
        return sorted(map(str, observed)) == sorted(map(str, desired))
    return bool(observed == desired)
