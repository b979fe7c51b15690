"""The named converters (`reconcile._codec.converters`) and what importing the codec costs."""

from __future__ import annotations

import subprocess
import sys
import typing

import attrs
import pytest

from reconcile._codec import converters, decode_notebook
from reconcile._core.enums import OpenIntEnum, OpenStrEnum
from reconcile._core.model import Notebook
from tests.conftest import ROOT


def test_open_enum_defined_after_the_converter_decodes_as_itself() -> None:
    """An open enum class created after every converter was built still decodes to its members."""
    for get in (converters.observed_fast, converters.observed_detailed):
        get().structure({}, Notebook)  # built and used

    class Mood(OpenStrEnum):
        CALM = "CALM"

    class Level(OpenIntEnum):
        ONE = 1

    holder = attrs.make_class(
        "Holder",
        {
            "mood": attrs.field(type=Mood),
            "level": attrs.field(type=Level),
            "maybe": attrs.field(type=typing.Optional[Mood], default=None),  # noqa: UP045
        },
        frozen=True,
    )

    for get in (converters.observed_fast, converters.observed_detailed):
        held = get().structure({"mood": "CALM", "level": 1, "maybe": "NEW"}, holder)
        assert held.mood is Mood.CALM and held.level is Level.ONE
        assert type(held.maybe) is Mood and held.maybe.value == "NEW" and not held.maybe.known


def test_named_converters_are_built_once_and_differ() -> None:
    """Each named converter is one object, built on first use; fast and detailed are different objects."""
    assert converters.observed_fast() is converters.observed_fast()
    assert converters.spec_detailed() is converters.spec_detailed()
    names = {
        converters.observed_fast,
        converters.observed_detailed,
        converters.spec_fast,
        converters.spec_detailed,
    }
    assert len({id(get()) for get in names}) == 4
    assert (
        not converters.observed_fast().detailed_validation
        and converters.observed_detailed().detailed_validation
    )


def test_importing_the_plan_model_and_package_loads_no_cattrs() -> None:
    """`import reconcile._core.plan` and `import reconcile._codec` load no cattrs; the first decode does."""
    code = (
        "import sys\n"
        "import reconcile._core.plan, reconcile._codec\n"
        "print('cattrs' in sys.modules)\n"
        "reconcile._codec.decode_notebook(b'{}')\n"
        "print('cattrs' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_no_nested_model_class_holds_a_secret() -> None:
    """Secrets sit at the top of the notebook only, which is all `unstructure` looks at to drop them."""
    from reconcile._core import model

    for cls in vars(model).values():
        if isinstance(cls, type) and attrs.has(cls) and cls is not Notebook:
            hints = typing.get_type_hints(cls)
            assert not any("Secret" in str(hints[f.name]) for f in attrs.fields(cls)), cls


def test_decode_errors_are_reconcile_errors_never_cattrs() -> None:
    """A bad body raises our DecodeError, with no cattrs exception chained to it."""
    from reconcile._core.errors import DecodeError

    with pytest.raises(DecodeError) as info:
        decode_notebook({"name": 5, "endpoints": [{"dev_service": 3}]})
    assert type(info.value).__module__.startswith("reconcile.")
    assert info.value.__cause__ is None and info.value.__suppress_context__
