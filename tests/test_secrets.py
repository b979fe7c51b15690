"""Secret handling (`reconcile._core.secrets`): the encoded forms and the fast whole-value check."""

from __future__ import annotations

import base64
import html
import json
import re
import string
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reconcile._core import secrets
from reconcile._core.secrets import REDACTED, Scrubber, Secret, encoded_forms

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.from_regex(r"[A-Za-z0-9_.~-]{1,40}", fullmatch=True))
def test_plain_secrets_come_back_only_as_themselves_or_base64(secret: str) -> None:
    """A secret of URL-safe characters is unchanged by URL, JSON and HTML encoding: itself or base64
    (whole, or the part that encodes it inside longer base64 data)."""
    for encoded in (
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        html.escape(secret),
    ):
        assert encoded == secret
    raw = secret.encode()
    b64 = {base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    whole = {secret} | b64 | {f.replace("/", "\\/") for f in b64}
    forms = encoded_forms(secret)
    assert whole <= forms
    assert all(re.fullmatch(r"[A-Za-z0-9+/_\-\\]+", form) for form in forms - whole)


def test_a_lone_surrogate_in_a_token_is_scrubbed_without_an_error() -> None:
    """JSON can carry a lone surrogate (`\\ud800`): its forms are built and it is redacted."""
    secret = "tok\ud800en-value"
    forms = encoded_forms(secret)
    assert "tok%ED%A0%80en-value" in forms and "tok\\ud800en-value" in forms
    assert Scrubber.of(secret).text(f"a {secret} b") == f"a {REDACTED} b"


def _insert(value: Any, text: str, where: int) -> Any:
    """`value` with `text` appended to its `where`-th string (counting keys), if it has that many."""
    count = [0]

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            count[0] += 1
            return v + text if count[0] - 1 == where else v
        if isinstance(v, dict):
            return {walk(k): walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value)


@given(
    _json_values,
    st.text(min_size=1, max_size=12),
    st.data(),
    st.integers(0, 30),
    st.booleans(),
)
def test_found_anywhere_is_true_whenever_value_redacts_something(
    value: Any, secret: str, data: st.DataObject, where: int, upper: bool
) -> None:
    """The fast check of a whole value never misses what the full scrub would redact, in any letter case."""
    form = data.draw(st.sampled_from(sorted(encoded_forms(secret))))
    value = _insert(value, " " + (form.upper() if upper and form.isascii() else form) + " ", where)
    scrubber = Scrubber.of(secret)
    if scrubber.value(value) != value:
        assert scrubber.found_anywhere(value)


def test_found_anywhere_walks_what_marshal_cannot_write() -> None:
    """A value holding something other than plain data is still checked, string by string."""

    class Text(str):
        pass

    scrubber = Scrubber.of("0f4b1e9c-5a3d-4b7e")
    assert scrubber.found_anywhere({"a": [Text("x"), ("url?token=0F4B1E9C-5A3D-4B7E",)]})
    assert not scrubber.found_anywhere({"a": [Text("x"), ("url",)]})
    assert not Scrubber.of(None).found_anywhere({"a": "0f4b1e9c-5a3d-4b7e"})


def test_short_secrets_are_found_anywhere_but_redacted_only_standing_alone() -> None:
    """A two-letter secret inside a word triggers the full pass, which leaves the word alone."""
    scrubber = Scrubber.of("ab")
    value = {"k": ["table", "an ab here"]}
    assert scrubber.found_anywhere(value)
    assert scrubber.value(value) == {"k": ["table", f"an {REDACTED} here"]}
    assert scrubber.value({"k": "table"}) == {"k": "table"}


@given(
    secret=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=8, max_size=40
    ),
    before=st.binary(max_size=7),
    after=st.binary(max_size=7),
    urlsafe=st.booleans(),
)
@example(secret="REDACTED", before=b"", after=b"", urlsafe=False)  # the marker spells the secret
def test_a_secret_inside_longer_base64_data_is_found_and_redacted(
    secret: str, before: bytes, after: bytes, urlsafe: bool
) -> None:
    """`base64("Bearer " + token)`: the token is found at any byte offset, in both alphabets."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    blob = encode(before + secret.encode() + after).decode("ascii")
    scrubber = Scrubber.of(secret)
    assert scrubber.found_in(blob)
    assert scrubber.found_anywhere({"tags": [{"value": blob}]})
    redacted = scrubber.text(blob)
    assert REDACTED in redacted
    left = redacted.replace(REDACTED, "\x00")  # what the markers leave: a secret "redacted" is not in it
    for form in encoded_forms(secret):
        if len(form) >= 8:
            assert form.lower() not in left.lower()


@given(
    secrets=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3),
    data=st.data(),
    noise=st.text(max_size=40),
    upper=st.booleans(),
)
def test_found_in_answers_exactly_what_the_redaction_pattern_finds(
    secrets: list[str], data: st.DataObject, noise: str, upper: bool
) -> None:
    """`found_in` (a lowered substring check first, for ASCII text) is true exactly when the pattern matches."""
    scrubber = Scrubber.of(*secrets)
    form = data.draw(st.sampled_from(sorted(encoded_forms(secrets[0]))))
    where = data.draw(st.integers(0, len(noise)))
    for text in (noise, noise[:where] + (form.upper() if upper else form) + noise[where:]):
        pattern = re.compile(
            "|".join(
                re.escape(f) if len(f) >= 8 else rf"(?<!\w){re.escape(f)}(?!\w)"
                for f in sorted({f for s in secrets for f in encoded_forms(s)})
            ),
            re.IGNORECASE,
        )
        assert scrubber.found_in(text) == (pattern.search(text) is not None)


_plain_tokens = st.text(alphabet=string.ascii_letters + string.digits + "_.~-", min_size=1, max_size=60)


@given(st.one_of(_plain_tokens, st.text(min_size=1, max_size=20)))
@example("dVC9nV")
@example("0f4b1e9c-5a3d-4b7e-8c2f-91d6e3a7b5c4")
def test_the_needles_of_a_plain_token_are_the_scrubbers(token: str) -> None:
    """`echoed` searches for exactly the byte strings the token's scrubber searches for."""
    assert frozenset(secrets._secret_needles(token)) == frozenset(Scrubber.of(token)._needles)


@given(
    token=st.one_of(_plain_tokens, st.text(min_size=1, max_size=20)),
    form=st.sampled_from(["plain", "upper", "base64", "base64url", "inside", "url", "none"]),
    depth=st.integers(min_value=0, max_value=3),
)
def test_echoed_answers_as_the_scrubber_does(token: str, form: str, depth: int) -> None:
    """`echoed(token, value)` is `Scrubber.of(token).found_anywhere(value)`, for any token, encoding
    and depth (the scrubber is what redacts afterwards, so the two must agree)."""
    raw = token.encode("utf-8", "surrogatepass")
    shown = {
        "plain": token,
        "upper": token.upper(),
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
        "inside": base64.b64encode(b"Bearer " + raw).decode(),
        "url": quote(token, safe=""),
        "none": "nothing to see",
    }[form]
    value: Any = f"x {shown} y"
    for _ in range(depth):
        value = {"k": [value, 1, None]}
    assert secrets.echoed(token, value) == Scrubber.of(token).found_anywhere(value)
    assert secrets.echoed(Secret(token), value) == secrets.echoed(token, value)
    assert not secrets.echoed(None, value) and not secrets.echoed("", value)


@given(
    token=st.one_of(_plain_tokens, st.text(min_size=1, max_size=20)),
    form=st.sampled_from(["plain", "upper", "base64", "inside", "url", "none"]),
    others=st.lists(st.text(max_size=12), max_size=4),
)
@example(token="flavor", form="none", others=[])  # a token spelled like a key: the value decides
@example(token="a\x00b", form="plain", others=[])  # a NUL could join two strings: the value decides
def test_echoed_in_strings_answers_as_the_value_does_or_defers(
    token: str, form: str, others: list[str]
) -> None:
    """From a value's strings alone, `echoed_in_strings` answers as `found_anywhere` searches each
    string of the value (its keys included): true exactly when one holds a needle; None (the value
    decides) where a needle might be part of a key or span two joined strings."""
    raw = token.encode("utf-8", "surrogatepass")
    shown = {
        "plain": token,
        "upper": token.upper(),
        "base64": base64.b64encode(raw).decode(),
        "inside": base64.b64encode(b"Bearer " + raw).decode(),
        "url": quote(token, safe=""),
        "none": "nothing to see",
    }[form]
    strings = [*others, f"x {shown} y"]
    value = {"flavor": strings[0], "tags": [{"key": s} for s in strings[1:]]}
    key_bytes = bytes(sorted(set(b"flavortagskey_")))
    found = secrets.echoed_in_strings(token, strings, key_bytes)
    needles = secrets._secret_needles(token)
    # what `found_anywhere` looks for in each string of the value, its keys included
    holders = [
        s
        for s in [*value, "key", *strings]
        if any(n in s.encode("utf-8", "surrogatepass").lower() for n in needles)
    ]
    if found is not None:
        assert found == bool(holders)
    else:
        assert not token.isascii() or any(
            not n.translate(None, key_bytes) or b"\0" in n for n in secrets._secret_needles(token)
        )
    assert secrets.echoed_in_strings(None, strings, key_bytes) is False


@pytest.mark.parametrize(
    ("token", "echo"),
    [
        ("tökén-0000-1111-aaaa", "TÖKÉN-0000-1111-AAAA"),  # upper-cased, as an ASCII token is found
        ("tökén-0000-1111-aaaa", "tÖkén-0000-1111-aaaa"),
        ("Ö1", "ö1"),  # short: found standing alone
    ],
)
def test_a_token_that_is_not_ascii_is_found_in_any_letter_case_the_scrubber_redacts(
    token: str, echo: str
) -> None:
    """An echo of a non-ASCII token in another Unicode letter case, which the scrubber redacts, is
    found by `echoed` and `found_anywhere`, and `echoed_in_strings` leaves the verdict to them."""
    value = {"fail_reason": f"bad {echo} here", "tags": [{"key": "k", "value": "v"}]}
    assert Scrubber.of(token).value(value) != value  # what redaction does
    assert Scrubber.of(token).found_anywhere(value)
    assert secrets.echoed(token, value) and secrets.echoed(Secret(token), value)
    assert secrets.echoed_in_strings(token, [value["fail_reason"], "k", "v"], b"") is None
    assert not secrets.echoed(token, {"fail_reason": "nothing to see"})
