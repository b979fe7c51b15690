"""Decoding API bodies (`reconcile._codec.observed`): secrets never quoted, long numbers isolated."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from reconcile._codec import decode_notebook, decode_notebook_list
from reconcile._core.errors import DecodeError
from tests.conftest import ROOT

TOKEN = "tok-3f9a1c2e-7b44-4d0a-9e51"


@pytest.mark.parametrize(
    "echo",
    [
        TOKEN,
        f"prefix {TOKEN} suffix",
        quote(TOKEN, safe=""),
        base64.b64encode(TOKEN.encode()).decode().rstrip("="),
        f"https://h/lab?token={quote(TOKEN)}",
    ],
    ids=["as-is", "inside", "url-encoded", "base64", "in-url"],
)
def test_a_decode_error_never_quotes_the_token(echo: str) -> None:
    """`lease.duration: expected int, got "<token>"` prints <redacted>, in every encoded form."""
    body = json.dumps({"token": TOKEN, "lease": {"duration": echo}, "description": 5, "name": [echo]})
    with pytest.raises(DecodeError) as info:
        decode_notebook(body.encode(), source="nb.json")
    message = str(info.value)
    assert "lease.duration: expected int, got " in message and "<redacted>" in message
    for form in (TOKEN, quote(TOKEN, safe=""), base64.b64encode(TOKEN.encode()).decode().rstrip("=")):
        assert form not in message
    assert all(form not in p.message for p in info.value.problems for form in (TOKEN, echo))


def test_a_long_number_anywhere_is_a_decode_error_for_that_body() -> None:
    """A 5,000-digit number in a field the model ignores is still an undecodable body, one line."""
    body = b'{"id": "a", "unheard_of": {"n": ' + b"9" * 5000 + b"}}"
    with pytest.raises(DecodeError) as info:
        decode_notebook(body, source="x.json")
    assert str(info.value) == (
        "x.json: unheard_of.n: a number with 5000 digits (more than the 4300 digits Python converts)"
    )
    with pytest.raises(DecodeError):
        decode_notebook_list(b'{"data": [{"lease": {"duration": ' + b"1" * 4400 + b"}}]}")


def test_a_long_number_in_an_offline_list_costs_only_its_notebook(tmp_path: Path) -> None:
    """In a saved list page, the notebook with a 5,000-digit number is an error; the others are planned."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nnotebooks:\n  good: {id: a, flavor: f1}\n  bad: {id: b, flavor: f1}\n")
    page = (
        '{"current": 0, "total": 2, "data": [{"id": "a", "flavor": "f1"},'
        ' {"id": "b", "flavor": "f1", "custom_spec": {"gpu": ' + "8" * 5000 + "}}]}"
    )
    (tmp_path / "page.json").write_text(page)
    result = subprocess.run(
        [sys.executable, "-m", "reconcile", "plan", str(spec), "--observed", str(tmp_path / "page.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "modelarts_notebook.good will not be changed" in result.stdout
    (error,) = [line for line in result.stderr.splitlines() if "error" in line]
    assert "bad: undecodable response:" in error and "custom_spec.gpu: a number with 5000 digits" in error
