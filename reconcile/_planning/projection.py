"""Projection: a spec entry and an observed notebook, each flattened to `{spec path: normalised value}`.

Both sides are read the same way (`reconcile._core.normalize`), so two flat dicts are equal exactly
when the notebook matches the spec: the comparator then needs no knowledge of the models. Only the
paths the spec states are projected; an absent observed value reads as the API's documented
default where the field catalogue gives one.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from reconcile._core import normalize
from reconcile._core.catalogue import SERVICES, rule_for
from reconcile._core.enums import DevService
from reconcile._core.model import EndpointsRes, Notebook
from reconcile._core.spec import NotebookSpec

__all__ = ["Flat", "Projector", "desired_values", "observed_values", "plain", "projector"]

#: A projection: `{spec path: normalised value}`.
Flat = dict[str, Any]


def plain(v: Any) -> Any:
    """An enum member as its value; anything else as it is."""
    return v._value_ if isinstance(v, enum.Enum) else v  # `_value_`: `value` is a slower property


def desired_values(nb: NotebookSpec) -> Flat:
    """The stated fields of a spec entry as `{spec path: normalised value}`."""
    flat: Flat = {}
    if nb.id is not None and nb.name is not None:
        flat["name"] = nb.name
    for key in ("description", "flavor", "feature", "workspace_id", "status"):
        value = getattr(nb, key)
        if value is not None:
            flat[key] = plain(value)
    for group, obj in (("image", nb.image), ("volume", nb.volume), ("lease", nb.lease), ("pool", nb.pool)):
        if obj is None:
            continue
        for key, path in _paths(type(obj), group):
            value = getattr(obj, key)
            if value is not None:
                flat[path] = plain(value)
    if nb.tags is not None:
        flat["tags"] = nb.tags
    if "image.id" in flat:
        flat["image.id"] = flat["image.id"].lower()  # a UUID: compared case-insensitively
    if "image.swr_path" in flat:  # the same spelling the observed side is read in (`x:` is `x`)
        flat["image.swr_path"] = normalize.join_image_reference(
            *normalize.image_reference(flat["image.swr_path"])
        )
    if "volume.mount_path" in flat:
        flat["volume.mount_path"] = normalize.path_text(flat["volume.mount_path"])
    if nb.endpoints is not None:
        stated = {ep.dev_service.value: ep for ep in nb.endpoints}
        for svc in SERVICES:
            if svc in stated or svc == DevService.SSH.value:
                flat[f"endpoints.{svc}"] = svc in stated
        for svc, ep in stated.items():
            if ep.allowed_access_ips is not None:
                flat[f"endpoints.{svc}.allowed_access_ips"] = normalize.access_set(ep.allowed_access_ips)
            if ep.ssh_keys is not None:
                flat[f"endpoints.{svc}.ssh_keys"] = ep.ssh_keys
    return flat


def _paths(cls: type, group: str) -> tuple[tuple[str, str], ...]:
    """The fields of a spec group class with their spec paths (`("tag", "image.tag")`), worked out once."""
    found = _PATHS.get(group)
    if found is None:
        found = _PATHS[group] = tuple((field.name, f"{group}.{field.name}") for field in attrs.fields(cls))
    return found


_PATHS: dict[str, tuple[tuple[str, str], ...]] = {}


def observed_values(nb: Notebook, paths: Flat, before: Mapping[str, Any] | None = None) -> Flat:
    """The observed notebook's values at the paths of `paths` (desired values), normalised alike.

    An absent value reads as the API's documented default where the catalogue gives one. With
    `before` (the notebook as JSON, `unstructure(nb)`), a path that needs no normalisation is read
    from it: the same value (an enum member's text is what the JSON holds), without a call per path.
    """
    if before is not None:
        return dict(zip(paths, projector(tuple(paths))(nb, before, tuple(paths.values())), strict=True))
    flat: Flat = {}
    for path, read, default, _, _ in _readers(tuple(paths)):
        value = read(nb)
        flat[path] = default if value is None else value
    observed = flat.get("image.swr_path")
    if isinstance(observed, str) and isinstance(paths.get("image.swr_path"), str):
        flat["image.swr_path"] = _as_stated(observed, paths["image.swr_path"])
    return flat


#: A generated projector: a notebook, its JSON and the desired values to the observed values.
Projector = Callable[[Notebook, Mapping[str, Any], tuple[Any, ...]], tuple[Any, ...]]


@functools.lru_cache(maxsize=256)
def projector(paths: tuple[str, ...]) -> Projector:
    """`observed_values` of these paths as one generated function (a fleet's entries state the same
    few sets of paths): `project(nb, before, desired)` -> the observed values, in the order of
    `paths`, given the notebook, its JSON and the desired values in that order.

    A plain field is read from the JSON by key and subkey, any other through its accessor, each
    with its default; the image reference is then read with only the parts the spec states. It
    reads exactly what the loop over `_readers` reads (`tests/test_codec_compiled.py` holds them
    equal). The path texts are the catalogue's (`desired_values` makes no other), and they are
    written into the code as literals.
    """
    names: dict[str, Any] = {"as_stated": _as_stated}
    lines = ["def project(nb, before, desired):"]
    looked_up: dict[DevService, str] = {}  # the endpoint of each service, looked up once
    for i, (path, read, default, head, rest) in enumerate(_readers(paths)):
        names[f"A{i}"], names[f"D{i}"] = read, default
        if path.startswith("endpoints."):
            service, names[f"E{i}"] = _endpoint_reader(path)
            if service not in looked_up:
                looked_up[service] = f"ep{len(looked_up)}"
                names[f"S{looked_up[service]}"] = service
                lines.append(f"    {looked_up[service]} = nb.endpoint(S{looked_up[service]})")
            lines.append(f"    v{i} = E{i}(nb, {looked_up[service]})")
        elif head is None:
            lines.append(f"    v{i} = A{i}(nb)")
        else:
            lines.append(f"    v{i} = before.get({head!r})")
            if rest is not None:
                lines.append(f"    if v{i} is not None: v{i} = v{i}.get({rest!r})")
        if default is not None:
            lines.append(f"    if v{i} is None: v{i} = D{i}")
        if path == "image.swr_path":
            lines.append(f"    if isinstance(v{i}, str) and isinstance(desired[{i}], str):")
            lines.append(f"        v{i} = as_stated(v{i}, desired[{i}])")
    values = "".join(f"v{i}, " for i in range(len(paths)))
    lines.append(f"    return ({values})")
    exec(compile("\n".join(lines) + "\n", "<reconcile projection>", "exec"), names)
    function: Projector = names["project"]
    return function


#: Paths read with normalisation (the accessors say how); every other path is a plain field.
_NORMALISED: Final = frozenset({"tags", "image.id", "image.tag", "image.swr_path", "volume.mount_path"})


@functools.lru_cache(maxsize=256)
def _readers(
    paths: tuple[str, ...],
) -> tuple[tuple[str, Callable[[Notebook], Any], Any, str | None, str | None], ...]:
    """How to read each of these paths, and its default, worked out once per set of paths (a
    fleet's entries state the same few sets): its accessor, and for a plain field (no
    normalisation) its key and subkey in the notebook's JSON."""
    readers = []
    for path in paths:
        head, _, rest = path.partition(".")
        plain_field = head != "endpoints" and path not in _NORMALISED and rest.count(".") == 0
        readers.append(
            (
                path,
                _accessor(path),
                rule_for(path).observed_default,
                head if plain_field else None,
                (rest or None) if plain_field else None,
            )
        )
    return tuple(readers)


def _as_stated(observed: str, desired: str) -> str:
    """The observed image reference with only the parts the spec states: the repository always,
    the tag and the digest when the spec gives them (`.../serve` matches `.../serve:1.4@sha256:..`)."""
    repository, tag, digest = normalize.image_reference(observed)
    _, wants_tag, wants_digest = normalize.image_reference(desired)
    return normalize.join_image_reference(
        repository, tag if wants_tag else None, digest if wants_digest else None
    )


@functools.cache
def _endpoint_reader(path: str) -> tuple[DevService, Callable[[Notebook, EndpointsRes | None], Any]]:
    """How to read an `endpoints.SERVICE[.key]` path: the service, and the reader of the path from
    the notebook and its endpoint for that service (looked up once for every path of the service)."""
    svc, _, key = path.removeprefix("endpoints.").partition(".")
    service = DevService(svc)
    if not key and service is DevService.NOTEBOOK:
        # Every notebook has its Jupyter endpoint: a body that lists no endpoints at all (the API
        # page's own example) has it; only a list that leaves it out says it is absent.
        return service, lambda nb, ep: nb.endpoints is None or ep is not None
    if not key:
        return service, lambda nb, ep: ep is not None
    if key == "allowed_access_ips":
        return service, lambda nb, ep: normalize.observed_cidrs(ep.allowed_access_ips if ep else None)
    return service, lambda nb, ep: normalize.string_set(ep.ssh_keys if ep else None)


@functools.cache
def _accessor(path: str) -> Callable[[Notebook], Any]:
    """How to read one spec path from an observed notebook, worked out once per path."""
    head, _, rest = path.partition(".")
    if head == "endpoints":
        service, read = _endpoint_reader(path)
        return lambda nb: read(nb, nb.endpoint(service))
    if path == "tags":
        return lambda nb: (
            None
            if nb.tags is None
            else tuple(sorted({(t.key, t.value or "") for t in nb.tags if t.key is not None}))
        )
    if path == "image.id":
        return lambda nb: nb.image.id.lower() if nb.image and nb.image.id else None
    if path == "image.tag":
        return lambda nb: nb.image.effective_tag if nb.image else None
    if path == "image.swr_path":
        return lambda nb: nb.image.tagged_swr_path if nb.image else None
    if path == "volume.mount_path":
        return lambda nb: (
            normalize.path_text(nb.volume.mount_path) if nb.volume and nb.volume.mount_path else None
        )
    if rest:

        def nested(nb: Notebook) -> Any:
            obj = getattr(nb, head)
            return None if obj is None else plain(getattr(obj, rest))

        return nested
    return lambda nb: plain(getattr(nb, head))
