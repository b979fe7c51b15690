"""The write operations the emulator serves, with the service's state machine and constraints.

`Writes.handle(method, notebook_id, action, query, body)` answers one write (an HTTP status and a
JSON body) and changes the store:

- `POST /v1/{p}/notebooks` (create): needs `name`, `image_id`, `flavor` and `volume` with
  `category` and `ownership`; the notebook is CREATING, then RUNNING after the transition time.
- `PUT /v1/{p}/notebooks/{id}` (update): `name`, `description`, `storage_new_size` need RUNNING;
  `flavor`, `image_id`, `endpoints` need STOPPED; EVS storage only grows, up to 4096 GB.
- `POST .../start?duration=&type=`: STOPPED (or START_FAILED) to STARTING to RUNNING; the lease
  restarts with the duration and type given (`duration=-1`: auto-stop off, as Terraform sends).
- `POST .../stop`: RUNNING to STOPPING to STOPPED.
- `PATCH .../lease` (`{duration, type}`, or `?duration=`): only while RUNNING; the lease counts from now.
- `DELETE /v1/{p}/notebooks/{id}`: any status but a transitional one (the service does not ask for
  a stop first, as Terraform's delete shows); the notebook is DELETING, then gone after the
  transition time (a GET then answers HTTP 400 `ModelArts.6309`, "no such notebook").
- `POST .../tags/create` and `DELETE .../tags/delete`, each with `{"tags": [{"key", "value"}]}`: in
  any status but DELETING. A create adds the tags; a key the notebook already has with another
  value is refused (HTTP 400 `ModelArts.6318`), which is why a change deletes the old pair first, as
  the Terraform provider does; a key it has with the same value is accepted (the same effect when
  repeated). A delete removes the keys given (absent ones are no error). At most `MAX_TAGS` tags.

Starting a RUNNING notebook or stopping a STOPPED one answers 200 with the notebook (the same effect
when repeated). Any write but a tags one to a notebook in a transitional status answers HTTP 409.
A violated constraint answers HTTP 400 with a ModelArts error body (the `ModelArts.*` codes are
illustrative). Transitions end lazily: the store settles a notebook when it is next read after its
due time.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from reconcile._core.spec import valid_tag
from reconcile._emulator.store import NotebookStore
from reconcile._modelarts.protocol import LEASE_MAX, LEASE_MIN

__all__ = ["ACTION_PATH", "LEASE_MAX", "LEASE_MIN", "MAX_TAGS", "TRANSITIONAL", "Writes"]

#: The path of an action on one notebook (`start`, `stop`, `lease`).
ACTION_PATH: Final = re.compile(
    r"^/v1/(?P<project>[^/]+)/notebooks/(?P<id>[^/]+)/(?P<action>start|stop|lease|tags/create|tags/delete)/?$"
)
#: Statuses in which the service refuses writes (HTTP 409).
TRANSITIONAL: Final = frozenset({"INIT", "CREATING", "STARTING", "STOPPING", "DELETING", "SNAPSHOTTING"})
_STORAGE_MAX: Final = 4096
#: The most tags one notebook holds (a TMS limit; the emulator's choice of number).
MAX_TAGS: Final = 20
_RUNNING_FIELDS: Final = frozenset({"name", "description", "storage_new_size"})
_STOPPED_FIELDS: Final = frozenset({"flavor", "image_id", "endpoints"})

Answer = tuple[int, Mapping[str, Any]]


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"error_code": code, "error_msg": message}


class Writes:
    """The write side of the emulator over one store.

    Args:
        store: the notebooks.
        transition_ms: how long STARTING, STOPPING and CREATING last, in milliseconds.
        clock_ms: the wall clock in milliseconds (lease and update times).
    """

    def __init__(
        self,
        store: NotebookStore,
        *,
        transition_ms: int = 50,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.store = store
        self.transition_ms = transition_ms
        self.clock_ms = clock_ms

    def handle(
        self, method: str, notebook_id: str | None, action: str | None, query: Mapping[str, str], body: bytes
    ) -> Answer:
        """Answer one write request and change the store accordingly."""
        try:
            payload = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _error(400, "ModelArts.0101", "Invalid request body: not JSON")
        if not isinstance(payload, dict):
            return _error(400, "ModelArts.0101", "Invalid request body: expected an object")
        if notebook_id is None:
            if method != "POST":
                return _error(405, "APIGW.0101", "method not allowed on the notebook list")
            return self._create(payload)
        route = (method, action)
        handlers: dict[tuple[str, str | None], Callable[[dict[str, Any], Mapping[str, Any]], Answer]] = {
            ("PUT", None): lambda doc, _q: self._update(doc, payload),
            ("DELETE", None): lambda doc, _q: self._delete(doc),
            ("POST", "start"): self._start,
            ("POST", "stop"): lambda doc, _q: self._stop(doc),
            ("PATCH", "lease"): lambda doc, q: self._lease(doc, payload, q),
            ("POST", "tags/create"): lambda doc, _q: self._tags(doc, payload, create=True),
            ("DELETE", "tags/delete"): lambda doc, _q: self._tags(doc, payload, create=False),
        }
        handler = handlers.get(route)
        if handler is None:
            return _error(405, "APIGW.0101", f"the emulator does not serve {method} on this path")
        with self.store.writing():
            current = self.store.documents.get(notebook_id)
            if current is None:
                return _error(400, "ModelArts.6309", f"Notebook instance {notebook_id} does not exist")
            status = str(current.get("status"))
            tags_any_status = action is not None and action.startswith("tags/") and status != "DELETING"
            if status in TRANSITIONAL and not tags_any_status:
                return _error(
                    409, "ModelArts.6307", f"Notebook instance {notebook_id} is {status}; try again later"
                )
            return handler(copy.deepcopy(dict(current)), query)

    # -- operations ----------------------------------------------------------------------------

    def _commit(self, doc: dict[str, Any], settle_to: str | None = None) -> Answer:
        now = self.clock_ms()
        doc["update_at"] = now
        if settle_to is None:
            self.store.put(doc)
        else:
            settled = copy.deepcopy(doc)
            settled["status"] = settle_to
            self.store.transition(doc, settled, time.monotonic() + self.transition_ms / 1000)
        return 200, _public(doc)

    def _update(self, doc: dict[str, Any], payload: Mapping[str, Any]) -> Answer:
        known = _RUNNING_FIELDS | _STOPPED_FIELDS
        unknown = sorted(set(payload) - known)
        if unknown:
            return _error(400, "ModelArts.0101", f"Invalid parameter: unknown field {unknown[0]!r}")
        status = doc.get("status")
        running = sorted(set(payload) & _RUNNING_FIELDS)
        stopped = sorted(set(payload) & _STOPPED_FIELDS)
        if running and status != "RUNNING":
            return _error(
                400, "ModelArts.6310", f"Updating {running[0]} needs a RUNNING notebook, not {status}"
            )
        if stopped and status != "STOPPED":
            return _error(
                400, "ModelArts.6311", f"Updating {stopped[0]} needs a STOPPED notebook, not {status}"
            )
        for key in ("name", "description", "flavor"):
            if key in payload:
                if not isinstance(payload[key], str):
                    return _error(400, "ModelArts.0101", f"Invalid parameter: {key} must be a string")
                doc[key] = payload[key]
        if "image_id" in payload:
            if not isinstance(payload["image_id"], str) or not payload["image_id"]:
                return _error(400, "ModelArts.0101", "Invalid parameter: image_id must be a string")
            doc["image"] = {"id": payload["image_id"]}
        if "storage_new_size" in payload:
            answer = _grow(doc, payload["storage_new_size"])
            if answer is not None:
                return answer
        if "endpoints" in payload:
            answer = _set_endpoints(doc, payload["endpoints"])
            if answer is not None:
                return answer
        return self._commit(doc)

    def _start(self, doc: dict[str, Any], query: Mapping[str, Any]) -> Answer:
        status = doc.get("status")
        if status == "RUNNING":
            return 200, _public(doc)
        if status not in ("STOPPED", "START_FAILED"):
            return _error(400, "ModelArts.6312", f"A {status} notebook cannot be started")
        duration_text = query.get("duration")
        lease_type = str(query.get("type") or "TIMING")
        if duration_text is not None:
            try:
                duration = int(duration_text)
            except ValueError:
                return _error(400, "ModelArts.0101", "Invalid parameter: duration must be an integer")
            if duration != -1 and not LEASE_MIN <= duration <= LEASE_MAX:
                return _error(
                    400, "ModelArts.0101", f"Invalid parameter: duration must be {LEASE_MIN}-{LEASE_MAX}"
                )
        else:
            duration = LEASE_MIN
        if lease_type not in ("TIMING", "IDLE"):
            return _error(400, "ModelArts.0101", "Invalid parameter: type must be TIMING or IDLE")
        doc["lease"] = _new_lease(self.clock_ms(), duration, lease_type)
        doc["status"] = "STARTING"
        return self._commit(doc, "RUNNING")

    def _stop(self, doc: dict[str, Any]) -> Answer:
        status = doc.get("status")
        if status == "STOPPED":
            return 200, _public(doc)
        if status != "RUNNING":
            return _error(400, "ModelArts.6313", f"A {status} notebook cannot be stopped")
        doc["status"] = "STOPPING"
        return self._commit(doc, "STOPPED")

    def _lease(self, doc: dict[str, Any], payload: Mapping[str, Any], query: Mapping[str, Any]) -> Answer:
        if doc.get("status") != "RUNNING":
            return _error(
                400, "ModelArts.6314", f"The lease can change only while RUNNING, not {doc.get('status')}"
            )
        if query.get("duration") is not None:
            raw: Any = query["duration"]
            lease_type: Any = "TIMING"
        else:
            raw, lease_type = payload.get("duration"), payload.get("type", "TIMING")
        try:
            duration = int(raw)
        except (TypeError, ValueError):
            return _error(400, "ModelArts.0101", "Invalid parameter: duration must be an integer")
        if not LEASE_MIN <= duration <= LEASE_MAX:
            return _error(
                400, "ModelArts.0101", f"Invalid parameter: duration must be {LEASE_MIN}-{LEASE_MAX}"
            )
        if lease_type not in ("TIMING", "IDLE"):
            return _error(400, "ModelArts.0101", "Invalid parameter: type must be TIMING or IDLE")
        doc["lease"] = _new_lease(self.clock_ms(), duration, lease_type)
        return self._commit(doc)

    def _delete(self, doc: dict[str, Any]) -> Answer:
        doc["status"] = "DELETING"
        now = self.clock_ms()
        doc["update_at"] = now
        self.store.transition(doc, None, time.monotonic() + self.transition_ms / 1000)
        return 200, _public(doc)

    def _tags(self, doc: dict[str, Any], payload: Mapping[str, Any], *, create: bool) -> Answer:
        pairs = _tag_pairs(payload.get("tags"))
        if pairs is None:
            return _error(
                400,
                "ModelArts.0101",
                "Invalid parameter: tags must be a list of {key, value} objects of valid text",
            )
        held = {
            str(t.get("key")): str(t.get("value") or "") for t in doc.get("tags") or [] if isinstance(t, dict)
        }
        if create:
            for key, value in pairs:
                if key in held and held[key] != value:
                    return _error(
                        400,
                        "ModelArts.6318",
                        f"Tag key {key!r} already exists with another value; delete it first",
                    )
                held[key] = value
            if len(held) > MAX_TAGS:
                return _error(400, "ModelArts.6319", f"A notebook holds at most {MAX_TAGS} tags")
        else:
            for key, _ in pairs:
                held.pop(key, None)
        tags = [{"key": k, "value": v} for k, v in sorted(held.items())]
        self.store.amend(str(doc["id"]), {"tags": tags})  # update_at stays; a transition goes on
        return 200, {}

    def _create(self, payload: Mapping[str, Any]) -> Answer:
        for key in ("name", "image_id", "flavor"):
            if not isinstance(payload.get(key), str) or not payload[key]:
                return _error(400, "ModelArts.0101", f"Invalid parameter: {key} is required")
        volume = payload.get("volume")
        if not isinstance(volume, dict) or not volume.get("category") or not volume.get("ownership"):
            return _error(
                400, "ModelArts.0101", "Invalid parameter: volume with category and ownership is required"
            )
        now = self.clock_ms()
        nid = str(uuid.uuid4())
        doc: dict[str, Any] = {
            "id": nid,
            "name": payload["name"],
            "description": payload.get("description", ""),
            "feature": payload.get("feature", "NOTEBOOK"),
            "flavor": payload["flavor"],
            "image": {"id": payload["image_id"]},
            "volume": {
                "category": volume["category"],
                "ownership": volume["ownership"],
                "capacity": volume.get("capacity", 5),
                "mount_path": volume.get("mount_path", "/home/ma-user/work/"),
            },
            "workspace_id": payload.get("workspace_id", "0"),
            "status": "CREATING",
            "create_at": now,
            "token": uuid.uuid4().hex,
            "url": f"https://authoring-modelarts.example.com/{nid}/lab",
        }
        lease = payload.get("lease")
        duration = lease.get("duration") if isinstance(lease, dict) else payload.get("duration", LEASE_MIN)
        lease_type = lease.get("type", "TIMING") if isinstance(lease, dict) else "TIMING"
        doc["lease"] = _new_lease(now, duration, lease_type)
        if "endpoints" in payload:
            answer = _set_endpoints(doc, payload["endpoints"])
            if answer is not None:
                return answer
        if isinstance(payload.get("pool_id"), str):
            doc["pool"] = {"id": payload["pool_id"]}
        with self.store.writing():
            return self._commit(doc, "RUNNING")


def _tag_pairs(tags: object) -> list[tuple[str, str]] | None:
    """The `(key, value)` pairs of a tags body, or None when it is not a list of valid tags."""
    if not isinstance(tags, list):
        return None
    pairs: list[tuple[str, str]] = []
    for tag in tags:
        if not isinstance(tag, dict):
            return None
        key, value = tag.get("key"), tag.get("value", "")
        if not isinstance(key, str) or not isinstance(value, str) or not valid_tag(key, value):
            return None
        pairs.append((key, value))
    return pairs


def _public(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return doc


def _grow(doc: dict[str, Any], size: object) -> Answer | None:
    volume = doc.get("volume")
    if not isinstance(volume, dict) or volume.get("category") != "EVS":
        return _error(400, "ModelArts.6315", "storage_new_size applies to EVS storage only")
    if not isinstance(size, int) or isinstance(size, bool):
        return _error(400, "ModelArts.0101", "Invalid parameter: storage_new_size must be an integer")
    capacity = volume.get("capacity", 5)
    if size <= int(capacity) or size > _STORAGE_MAX:
        return _error(
            400,
            "ModelArts.6316",
            f"EVS storage can only grow (from {capacity} GB, up to {_STORAGE_MAX} GB), not to {size}",
        )
    doc["volume"] = {**volume, "capacity": size}
    return None


def _set_endpoints(doc: dict[str, Any], endpoints: object) -> Answer | None:
    if not isinstance(endpoints, list) or not all(isinstance(e, dict) for e in endpoints):
        return _error(400, "ModelArts.0101", "Invalid parameter: endpoints must be a list of objects")
    kept = [e for e in doc.get("endpoints") or [] if isinstance(e, dict) and e.get("dev_service") != "SSH"]
    for endpoint in endpoints:
        service = endpoint.get("service")
        if service != "SSH":
            return _error(400, "ModelArts.0101", f"Invalid parameter: endpoint service {service!r}")
        kept.append(
            {
                "dev_service": "SSH",
                "allowed_access_ips": list(endpoint.get("allowed_access_ips") or []),
                "ssh_keys": list(endpoint.get("key_pair_names") or []),
            }
        )
    doc["endpoints"] = kept
    return None


def _new_lease(now: int, duration: Any, lease_type: Any) -> dict[str, Any]:
    """The lease a start, a lease PATCH or a create begins at `now`: `duration` counts from it;
    -1 (or anything but an integer) is auto-stop off, stored as the service shows it (0, disabled)."""
    enable = isinstance(duration, int) and duration != -1
    return {
        "create_at": now,
        "duration": duration if enable else 0,
        "enable": enable,
        "type": lease_type,
        "update_at": now,
    }
