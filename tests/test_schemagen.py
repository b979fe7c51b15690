"""The committed schemas are exactly what `tests/schemagen.py` generates from the models."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.schemagen import rendered


@pytest.mark.parametrize(("name", "text"), sorted(rendered().items()))
def test_committed_schema_is_generated(name: str, text: str) -> None:
    """Each schema file equals the generator's output; run `python -m tests.schemagen` after a model change."""
    assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == text
