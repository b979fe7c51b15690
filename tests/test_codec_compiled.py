"""The one-pass decoder (`reconcile._codec.compiled`): the same notebook as the converters, and its JSON."""

from __future__ import annotations

import json
import typing
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bench import fixtures
from reconcile._codec import compiled, decode_notebook, unstructure
from reconcile._codec.converters import OBSERVED_FAST, build, observed_detailed, observed_fast
from reconcile._codec.observed import before_of, decode_for_plan
from reconcile._core import model
from reconcile._core.errors import DecodeError
from tests.strategies import json_for, notebook_json

#: Any JSON value, small: what a misbehaving service might send in place of a field.
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def messy_for(cls: type) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects for `cls` as a careless service might send them: any subset of the fields, each
    valid or any JSON value, the second spellings of `model.ALIASES` beside (or instead of) the
    first, and keys the model does not know."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in attrs.fields(cls):
        inner = next(a for a in typing.get_args(hints[f.name]) if a is not type(None))
        valid = messy_for(inner) if attrs.has(inner) else json_for(hints[f.name])
        if typing.get_origin(inner) is tuple and attrs.has(typing.get_args(inner)[0]):
            valid = st.lists(messy_for(typing.get_args(inner)[0]), max_size=3)
        fields[f.name] = st.one_of(valid, valid, any_json)
    for alias, canonical in model.ALIASES.get(cls, {}).items():
        fields[alias] = st.one_of(json_for(hints[canonical]), any_json)
    fields["not_in_the_model"] = any_json
    return st.fixed_dictionaries({}, optional=fields)


messy_notebook = st.deferred(lambda: messy_for(model.Notebook))


def _reference(raw: dict[str, Any]) -> model.Notebook | None:
    """What the converters make of `raw` (None: they refuse it); fast and detailed must agree."""
    try:
        fast = observed_fast().structure(raw, model.Notebook)
    except Exception:
        fast = None
    try:
        detailed = observed_detailed().structure(raw, model.Notebook)
    except Exception:
        detailed = None
    assert fast == detailed
    return detailed


def _agrees(raw: dict[str, Any]) -> None:
    reference = _reference(raw)
    try:
        notebook, before, strings = compiled.notebook_decoder()(raw)
    except Exception:
        notebook = None
        # Refusing is always safe (the converters then decide), but a refusal of a body the
        # converters take would only be slow: the generator covers every model field type.
        assert reference is None, "the one-pass decoder refused a body the converters accept"
        return
    assert reference is not None, "the one-pass decoder accepted a body the converters refuse"
    assert notebook == reference
    assert type(notebook) is model.Notebook
    expected = unstructure(reference)
    assert before == expected
    # the same bytes, keys in the same order, every value of the same JSON type
    assert json.dumps(before, sort_keys=False) == json.dumps(expected, sort_keys=False)
    # the strings gathered are every string value of the JSON, at any depth (keys left out)
    assert sorted(strings) == sorted(_string_values(expected))


def _string_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _string_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _string_values(v)]
    return []


@given(notebook_json)
@example(fixtures.rich_document())
@example({"endpoints": [{"service": "SSH", "key_pair_names": ["k"], "ssh_keys": []}]})
@example({"action_progress": [{"description": "x", "step_description": ""}]})
@example({"action_progress": [{"description": None, "step_description": "kept"}]})
@example({"action_progress": [{"description": None, "step_description": ""}]})
@example({"endpoints": [{"service": "NOTEBOOK", "dev_service": None}]})
@example({"status": "NOT_DOCUMENTED_YET", "action_progress": [{"step": 99}]})
@example({"custom_spec": {"cpu": 2, "gpu": 0.5}})
@example({"user_vpc": {"connect_cidrs": "10.0.0.0/8"}})
@example({"user_vpc": {"connect_cidrs": ["10.0.0.0/8"]}})
def test_valid_bodies_decode_as_the_converters_decode_them(raw: dict[str, Any]) -> None:
    """On a valid body the one-pass decoder builds the converters' notebook and `unstructure` of it."""
    _agrees(raw)


@given(messy_notebook)
@example({"lease": {"enable": 1}})
@example({"lease": {"duration": True}})
@example({"custom_spec": {"cpu": float("nan")}})
@example({"custom_spec": {"cpu": 10**400}})
@example({"status": 3})
@example({"action_progress": [{"step": "2"}]})
@example({"action_progress": [None]})
@example({"image": {"dev_services": ["SSH", 1]}})
@example({"endpoints": [{"service": 5}]})
@example({"token": ["a"]})
@example({"tags": {"key": "v"}})
def test_messy_bodies_are_refused_or_decoded_exactly_as_the_converters_do(raw: dict[str, Any]) -> None:
    """On any body, the one-pass decoder refuses what the converters refuse and agrees on the rest."""
    _agrees(raw)


def test_the_token_is_a_secret_and_not_in_the_json() -> None:
    """The top-level token is held as a `Secret` and left out of the JSON, as `unstructure` leaves it."""
    notebook, before, strings = compiled.notebook_decoder()(fixtures.rich_document())
    assert notebook.token is not None and notebook.token.reveal() == fixtures.rich_document()["token"]
    assert "token" not in before
    assert fixtures.rich_document()["token"] not in json.dumps(before)
    assert fixtures.rich_document()["token"] not in strings


def test_decode_for_plan_keeps_the_json_beside_the_notebook() -> None:
    """`before_of` a notebook decoded for a plan is the decoder's JSON, equal to `unstructure` and
    reused; `decode_notebook` keeps none (a reader of notebooks does not pay for it in memory)."""
    notebook = decode_for_plan(fixtures.rich_body())
    assert before_of(notebook) == unstructure(notebook)
    assert before_of(notebook) is before_of(notebook)
    plain = decode_notebook(fixtures.rich_body())
    assert plain == notebook and "_reconcile_json" not in vars(plain)
    assert before_of(plain) == before_of(notebook) and before_of(plain) is not before_of(plain)


@given(messy_notebook)
def test_both_variants_build_the_same_notebook(raw: dict[str, Any]) -> None:
    """The decoder without the JSON accepts and builds exactly what the one with it does."""
    try:
        with_json = compiled.notebook_decoder()(raw)[0]
    except Exception:
        with_json = None
    try:
        alone = compiled.notebook_only_decoder()(raw)
    except Exception:
        alone = None
    assert alone == with_json


def test_the_kept_json_changes_nothing_about_the_notebook() -> None:
    """Equality, hashing, the repr and `attrs.asdict` are those of a notebook built by hand."""
    decoded = decode_for_plan(fixtures.rich_body())
    by_hand = observed_fast().structure(fixtures.rich_document(), model.Notebook)
    assert decoded == by_hand and hash(decoded) == hash(by_hand)
    assert repr(decoded) == repr(by_hand)
    assert attrs.asdict(decoded) == attrs.asdict(by_hand)


def test_a_changed_notebook_is_unstructured_afresh() -> None:
    """An `attrs.evolve`d notebook does not carry the old JSON: `before_of` reads the new values."""
    decoded = decode_for_plan(fixtures.rich_body())
    renamed = attrs.evolve(decoded, name="renamed")
    assert before_of(renamed)["name"] == "renamed"
    assert before_of(decoded)["name"] == fixtures.rich_document()["name"]


@pytest.mark.parametrize("decode", [decode_notebook, decode_for_plan])
def test_a_body_the_fast_pass_refuses_still_names_the_bad_field(decode: Any) -> None:
    """A body the one-pass decoder refuses falls back on the converters, which name the bad field."""
    with pytest.raises(DecodeError, match=r"lease\.duration"):
        decode({**fixtures.rich_document(), "lease": {"duration": "2h"}})
    with pytest.raises(DecodeError, match=r"lease\.duration"):
        decode(json.dumps({**fixtures.rich_document(), "lease": {"duration": "2h"}}).encode())


def test_every_model_class_is_generated_without_falling_back() -> None:
    """The generator handles every field of the model: building the decoder raises nothing."""
    compiled.notebook_decoder.cache_clear()
    try:
        decoder = compiled.notebook_decoder()
    finally:
        compiled.notebook_decoder.cache_clear()
    names = decoder.__globals__
    # the root and every class a list holds have a function; single nested objects are read inline
    listed = {"Notebook", "EndpointsRes", "JobProgress", "TmsTag", "DataVolume", "AffinityRule"}
    assert {f"s_{n}" for n in listed} <= set(names)
    assert {f"C_{n}" for n in ("Image", "Lease", "VolumeRes", "Domain", "UserVpc", "CustomSpec")} <= set(
        names
    )


@attrs.frozen
class _Slotted:
    name: str | None = None


@attrs.frozen(slots=False)
class _Validated:
    name: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )


@attrs.frozen(slots=False)
class _Plain:
    name: str | None = None


@pytest.mark.parametrize("cls", [_Slotted, _Validated])
def test_the_generator_refuses_classes_it_cannot_fill_in_place(cls: type) -> None:
    """A slotted class (no `__dict__` to fill) or one with a validator (which `__init__` would run)
    is refused when generating, so it is never decoded differently from its `__init__`."""
    generator = compiled._Generator(build(OBSERVED_FAST).get_unstructure_hook)
    with pytest.raises(compiled._Unsupported):
        generator._class(cls)
    generator._class(_Plain)  # the same field, in a class the generator can fill


@given(messy_notebook)
@example(fixtures.rich_document())
@example({"image": {"id": "278E88D1-ABCD", "swr_path": "swr.example/org/img", "tag": "1.2"}})
@example({"volume": {"mount_path": "/home/ma-user/work"}, "tags": [{"key": "b", "value": None}]})
def test_the_projection_reads_the_json_as_it_reads_the_notebook(raw: dict[str, Any]) -> None:
    """Every managed path projects to the same value read from the notebook or from its JSON."""
    from reconcile._core.catalogue import CATALOGUE
    from reconcile._planning.projection import observed_values

    try:
        notebook = decode_for_plan(raw)
    except DecodeError:
        return
    paths = {rule.path: None for rule in CATALOGUE if not rule.path.startswith("endpoints")}
    paths.update(
        {"endpoints.SSH": True, "endpoints.SSH.allowed_access_ips": (), "endpoints.SSH.ssh_keys": ()}
    )
    assert observed_values(notebook, paths, before_of(notebook)) == observed_values(notebook, paths)
