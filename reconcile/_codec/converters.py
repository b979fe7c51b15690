"""The named converters, each built on first use: observed bodies and specs, fast and detailed.

| name | reads | unknown keys | on failure |
|---|---|---|---|
| `observed_fast()` | API bodies | ignored | raises; the entry point retries with `observed_detailed()` |
| `observed_detailed()` | API bodies | ignored | cattrs' detailed validation: every bad field with its path |
| `spec_fast()` | spec entries | refused | raises; the entry point retries with `spec_detailed()` |
| `spec_detailed()` | spec entries | refused | every bad field with its path |

The fast converters carry the common case (a valid document) with no bookkeeping; the detailed ones
run only after a failure, to name every bad field. A `Profile` says what differs between them; the
hooks are the same functions (`reconcile._codec.hooks`, `reconcile._codec.factories`).

Open enums: one hook is registered for each open-enum base class, and cattrs finds it for any
subclass through the class hierarchy, so an open enum defined after a converter was built still
decodes as itself. (A predicate hook would not do: cattrs consults class-based hooks first, and an
`OpenStrEnum` is a `str`.)

This module and its neighbours are the only importers of cattrs; none of its types or errors leaves
the package (`reconcile._codec.translate`).
"""

from __future__ import annotations

import functools

import attrs
import cattrs

from reconcile._codec import factories, hooks
from reconcile._core import spec
from reconcile._core.enums import (
    DevService,
    Feature,
    LeaseType,
    OpenIntEnum,
    OpenStrEnum,
    VolumeCategory,
    VolumeOwnership,
)
from reconcile._core.secrets import Secret

__all__ = ["Profile", "build", "observed_detailed", "observed_fast", "spec_detailed", "spec_fast"]


@attrs.frozen
class Profile:
    """What one named converter does.

    Attributes:
        name: the converter's name, for reprs and docs.
        detailed: cattrs' detailed validation (every bad field, with paths) instead of the first error.
        spec: spec mode: unknown keys refused, closed case-insensitive enums, durations, CIDRs,
            `true`/`false` only for booleans; otherwise observed mode (lenient shape, open enums).
    """

    name: str
    detailed: bool
    spec: bool


OBSERVED_FAST = Profile("observed-fast", detailed=False, spec=False)
OBSERVED_DETAILED = Profile("observed-detailed", detailed=True, spec=False)
SPEC_FAST = Profile("spec-fast", detailed=False, spec=True)
SPEC_DETAILED = Profile("spec-detailed", detailed=True, spec=True)

_SPEC_ENUMS = (spec.DesiredStatus, DevService, Feature, LeaseType, VolumeCategory, VolumeOwnership)


def build(profile: Profile) -> cattrs.Converter:
    """A new converter configured for `profile` (the named ones below are built once, on first use)."""
    converter = cattrs.Converter(detailed_validation=profile.detailed, forbid_extra_keys=profile.spec)
    generated: factories.Generated = {}
    for tp in (str, int, float):
        converter.register_structure_hook(tp, hooks.strict_scalar(tp))
    converter.register_structure_hook(bool, hooks.spec_bool if profile.spec else hooks.strict_scalar(bool))
    # By class hierarchy, so every subclass is found, whenever it is defined (see the module).
    converter.register_structure_hook(OpenStrEnum, hooks.open_enum)
    converter.register_structure_hook(OpenIntEnum, hooks.open_enum)
    converter.register_structure_hook(Secret, hooks.secret)
    if profile.spec:
        for cls in _SPEC_ENUMS:  # more specific than the open-enum base: these win
            converter.register_structure_hook(cls, hooks.closed_enum(cls))
        converter.register_structure_hook(spec.Duration, hooks.duration)
        converter.register_structure_hook(spec.Cidr, hooks.cidr)
        converter.register_structure_hook(spec.Tags, hooks.tags)
    # Plain values out: an enum member unstructures to its exact text (or number), never the member.
    converter.register_unstructure_hook(OpenStrEnum, str.__str__)
    converter.register_unstructure_hook(OpenIntEnum, int)
    converter.register_unstructure_hook(Secret, Secret.reveal)
    converter.register_structure_hook_factory(
        factories.is_optional,
        factories.OptionalFactory(converter, generated, fast_open_enums=not profile.spec),
    )
    converter.register_structure_hook_factory(factories.is_plain_union, factories.UnionFactory(converter))
    converter.register_structure_hook_factory(factories.is_tuple_of, factories.TupleFactory(converter))
    converter.register_structure_hook_factory(
        attrs.has, factories.ClassFactory(converter, generated, strict_keys=profile.spec)
    )
    converter.register_unstructure_hook_factory(
        factories.is_optional, factories.OptionalUnstructureFactory(converter)
    )
    converter.register_unstructure_hook_factory(attrs.has, factories.unstructure_class(converter))
    return converter


@functools.cache
def observed_fast() -> cattrs.Converter:
    """API bodies, the common case: built on the first decode."""
    return build(OBSERVED_FAST)


@functools.cache
def observed_detailed() -> cattrs.Converter:
    """API bodies, naming every bad field: built on the first decode error."""
    return build(OBSERVED_DETAILED)


@functools.cache
def spec_fast() -> cattrs.Converter:
    """Spec entries, the common case: built when the first spec is read."""
    return build(SPEC_FAST)


@functools.cache
def spec_detailed() -> cattrs.Converter:
    """Spec entries, naming every bad field: built on the first spec problem."""
    return build(SPEC_DETAILED)
