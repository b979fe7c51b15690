"""Secrets: `Secret`, a string that never shows itself, and `Scrubber`, which redacts them from text.

This module is the one owner of secret handling: what a secret prints as (`REDACTED`), the encoded
forms it may come back in (`encoded_forms`), and the redaction of text and values (`Scrubber`).
Decoding, comparison, the client, the emulator and every renderer use it.

The notebook `token`, the AK/SK, the security token and the X-Auth-Token are held as `Secret`s, so a
repr, a log line, an f-string or an exception message that happens to include one prints
`<redacted>` instead of the value. The value is read only through `reveal()`, where it is needed
(signing a request, sending a header).
"""

from __future__ import annotations

import binascii
import functools
import html
import json
import marshal
import re
from typing import Any, Final, Self
from urllib.parse import quote, quote_plus

import attrs

__all__ = ["REDACTED", "SHORT_SECRET", "Scrubber", "Secret", "echoed", "echoed_in_strings", "encoded_forms"]

#: What a secret prints as, everywhere.
REDACTED: Final = "<redacted>"


class Secret:
    """A secret string: redacted in `repr`, `str` and `format`; equal to another Secret of the same value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret holds a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret value itself; call only where the value must leave this object."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str:  # pickling would write the value to disk or a pipe
        raise TypeError("a Secret cannot be pickled")

    # `copy` falls back on `__reduce__`, which refuses; a Secret is immutable, so a copy is itself.
    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self


#: Secrets shorter than this are redacted only where they stand alone (between non-word characters):
#: replacing every occurrence of a two-letter secret would garble every message it touches.
SHORT_SECRET: Final = 8


#: Characters that no URL, JSON or HTML encoding changes: a secret made of them only comes back
#: as itself or base64-encoded (most tokens are such: UUIDs, hex, base64url).
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")


def encoded_forms(value: str) -> frozenset[str]:
    """The ways a secret may come back: as sent, URL-, JSON-, HTML- or base64-encoded.

    This is the one list of encodings; every scrubber in the package is built from it. A lone
    surrogate (JSON allows `\\ud800`) is encoded as Python's `surrogatepass` writes it.
    """
    if not value:
        return frozenset()
    raw = value.encode("utf-8", "surrogatepass")
    encoded = binascii.b2a_base64(raw, newline=False).rstrip(b"=")
    b64, b64url = encoded.decode("ascii"), encoded.translate(_URLSAFE).decode("ascii")
    inside = _base64_inside(raw)
    if _PLAIN.fullmatch(value):
        # The fast path of the common case: every text encoding below leaves the value unchanged,
        # and only standard base64 can hold a `/` for JSON to escape.
        plain = {value, b64, b64url, *inside}
        return frozenset(plain | {form.replace("/", "\\/") for form in plain if "/" in form})
    forms = {
        value,
        quote(value, safe="", errors="surrogatepass"),
        quote(value, errors="surrogatepass"),
        quote_plus(value, errors="surrogatepass"),
        quote_plus(value, safe="/", errors="surrogatepass"),
        # encoded twice, as by a proxy re-encoding a URL
        quote(quote(value, safe="", errors="surrogatepass"), safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        b64,
        b64url,
        *inside,
    }
    forms |= {form.replace("/", "\\/") for form in forms}  # JSON may escape `/` as `\/`
    return frozenset(form for form in forms if form)


def _base64_inside(raw: bytes) -> tuple[str, ...]:
    """The base64 characters that encode `raw` wherever it sits inside longer base64-encoded data.

    Base64 maps 3 bytes to 4 characters, so `raw` at an offset of 0, 1 or 2 bytes (mod 3) gives three
    different encodings; the characters whose 6 bits come from `raw` alone are the same whatever
    precedes or follows it (`Bearer <token>`, encoded whole, holds one of these). Both alphabets.
    """
    found: list[str] = []
    for pad in range(3):
        encoded = binascii.b2a_base64(b"\0" * pad + raw, newline=False)
        core = encoded[-(-8 * pad // 6) : (8 * (pad + len(raw))) // 6]
        if len(core) >= SHORT_SECRET:
            found += [core.decode("ascii"), core.translate(_URLSAFE).decode("ascii")]
    return tuple(found)


#: Standard base64 to the URL-safe alphabet (`base64.urlsafe_b64encode`, without its wrapper).
_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")


@functools.lru_cache(maxsize=256)
def _compile(forms: frozenset[str]) -> re.Pattern[str]:
    """The redaction pattern of these forms, compiled once however often it is used.

    Longest first, so a secret's encoded form is redacted whole, not the secret inside it.
    """
    alternatives = []
    for form in sorted(forms, key=lambda f: (-len(f), f)):
        escaped = re.escape(form)
        alternatives.append(escaped if len(form) >= SHORT_SECRET else rf"(?<!\w){escaped}(?!\w)")
    return re.compile("|".join(alternatives), re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def _ascii_lowered(forms: frozenset[str]) -> tuple[str, ...] | None:
    """`forms` lowered, when all are ASCII; None when one is not (Unicode case rules then apply)."""
    if not all(form.isascii() for form in forms):
        return None
    return tuple(sorted({form.lower() for form in forms}))


@attrs.frozen(repr=False)
class Scrubber:
    """Redacts a fixed set of secrets, in every encoded form, from text and from JSON-like values.

    Build one per run (the credentials) or per notebook (its token) with `Scrubber.of(...)`; it is
    cheap to build (the pattern is compiled on first use) and cheap to call on text that holds no
    secret. `bool(scrubber)` is false when it has nothing to hide. `found_anywhere` is the fast check
    of a whole JSON-like value: one serialisation and a substring search per form.
    """

    _forms: frozenset[str]
    _needles: tuple[bytes, ...]

    @classmethod
    def of(cls, *secrets: Secret | str | None) -> Scrubber:
        """A scrubber for these secrets (`None` and empty values are ignored).

        The scrubber of one secret is built once and reused (a plan compared again, a watch loop,
        a client's credentials): working out the encoded forms is most of what building costs.
        """
        values = tuple(s.reveal() if isinstance(s, Secret) else s for s in secrets if s)
        return _scrubber_of(values)

    @property
    def _pattern(self) -> re.Pattern[str] | None:
        return _compile(self._forms) if self._forms else None

    def __repr__(self) -> str:
        return f"Scrubber({REDACTED!r})" if self._forms else "Scrubber()"

    def __bool__(self) -> bool:
        return bool(self._forms)

    def found_in(self, text: str) -> bool:
        """Whether `text` holds one of the secrets in any encoded form."""
        pattern = self._pattern
        if pattern is None:
            return False
        if text.isascii() and self._ascii_needles is not None:
            # The pattern matches case-insensitively; between ASCII text and ASCII forms that is
            # exactly a substring of the lowered text, and searching for it is about 60x faster
            # than the alternation (0.35 ms against 24 ms on an 80 KB list page of 50 notebooks,
            # checked for the credentials). Only a hit runs the pattern (a short secret must also
            # stand alone).
            lowered = text.lower()
            if not any(needle in lowered for needle in self._ascii_needles):
                return False
        return pattern.search(text) is not None

    @property
    def _ascii_needles(self) -> tuple[str, ...] | None:
        """The forms, lowered, when every form is ASCII (else None: only the pattern decides)."""
        return _ascii_lowered(self._forms)

    def found_anywhere(self, value: Any) -> bool:
        """Whether a string anywhere in a JSON-like value (dict keys included) may hold a secret.

        Fast and conservative: true whenever `value()` would redact an encoded form written as it
        is or in another ASCII letter case (`%2f`, an upper-cased UUID); it may also be true where
        `value()` redacts nothing (a short secret inside a word, a form across two strings), which
        costs only the full pass. Plain data (dict, list, tuple, str, int, float, bool, None) is
        serialised once with `marshal` (its strings as UTF-8, unescaped); anything else is walked,
        and so is every value when a form is not ASCII (it is redacted in any Unicode letter case).
        """
        if not self._forms:
            return False
        if self._ascii_needles is None:
            # A form that is not ASCII: `value()` redacts it in any Unicode letter case (the pattern
            # is case-insensitive), which lowering bytes does not reproduce (`Ö` is not `ö` in a
            # lowered blob), so every string is searched with the pattern itself.
            return self._walk_finds(value)
        try:
            blob = marshal.dumps(value).lower()
        except ValueError:  # not plain data (a str subclass, an object) or nested too deeply
            return self._walk_finds(value)
        return any(needle in blob for needle in self._needles)

    def _walk_finds(self, value: Any) -> bool:
        if isinstance(value, str):
            return self.found_in(value)
        if isinstance(value, dict):
            return any(self._walk_finds(k) or self._walk_finds(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return any(self._walk_finds(v) for v in value)
        return False

    def text(self, text: str) -> str:
        """`text` with every secret replaced by `<redacted>`; text already redacted keeps its markers."""
        pattern = self._pattern
        if pattern is None:
            return text
        return REDACTED.join(pattern.sub(REDACTED, part) for part in text.split(REDACTED))

    def value(self, value: Any) -> Any:
        """A JSON-like value (str, list, tuple, dict keys and values) with every secret redacted.

        Returns `value` itself, not a copy, where nothing needed redacting.
        """
        if not self._forms:
            return value
        return self._deep(value)

    def _deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value) if self.found_in(value) else value
        if isinstance(value, dict):
            items = [(self._deep(k), self._deep(v)) for k, v in value.items()]
            if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)):
                return value
            return dict(items)
        if isinstance(value, list | tuple):
            out = [self._deep(v) for v in value]
            if all(a is b for a, b in zip(out, value, strict=True)):
                return value
            return type(value)(out)
        return value


@functools.lru_cache(maxsize=1024)
def _scrubber_of(values: tuple[str, ...]) -> Scrubber:
    """The scrubber of these secret values (kept for reuse: `Scrubber.of`)."""
    forms: frozenset[str] = frozenset()
    for value in values:
        forms |= encoded_forms(value)
    return Scrubber(forms, _needles(forms))


def _needles(forms: frozenset[str]) -> tuple[bytes, ...]:
    """What `found_anywhere` searches a serialised value for: each form as UTF-8, lowered."""
    return tuple({f.encode("utf-8", "surrogatepass").lower() for f in forms})


@functools.lru_cache(maxsize=1024)  # a watch loop or a benchmark checks the same notebooks again
def _secret_needles(value: str) -> tuple[bytes, ...]:
    """The needles of one secret's scrubber, without the scrubber (its pattern, its cache entry)."""
    return _needles(encoded_forms(value))


def echoed(secret: Secret | str | None, value: Any) -> bool:
    """`Scrubber.of(secret).found_anywhere(value)`, without building the scrubber when it finds nothing.

    A fleet checks each notebook's own token against that notebook's JSON once: the token differs
    every time, so a scrubber would be built (and cached) for one use. The same needles, from the
    same `encoded_forms`, are searched for in the same serialisation; a value that is not plain
    data goes to the scrubber, which walks it.
    """
    text = secret.reveal() if isinstance(secret, Secret) else secret
    if not text:
        return False
    if not text.isascii():  # its forms are not all ASCII: the scrubber's pattern decides
        return Scrubber.of(text).found_anywhere(value)
    try:
        blob = marshal.dumps(value).lower()
    except ValueError:  # not plain data: the scrubber walks it
        return Scrubber.of(text).found_anywhere(value)
    for needle in _secret_needles(text):  # noqa: SIM110 - a loop: any() makes a generator per notebook
        if needle in blob:
            return True
    return False


def echoed_in_strings(secret: Secret | str | None, strings: list[str], key_bytes: bytes) -> bool | None:
    """`echoed(secret, value)` for a JSON-like value given as its string values, without its keys.

    A decoder that gathers the strings as it writes them saves serialising the value again. The
    keys are left out, so this answers only when no needle could be part of a key: when every
    needle holds a byte that `key_bytes` (what the keys are made of) does not; otherwise None, and
    `echoed` of the value itself must decide. Each string is searched as `found_anywhere` searches
    it (UTF-8, ASCII letters lowered); strings are joined with NUL, which no needle of a secret
    without one holds, and a secret with one gets None too, as does a secret that is not ASCII
    (its scrubber's pattern decides, in any Unicode letter case).
    """
    text = secret.reveal() if isinstance(secret, Secret) else secret
    if not text:
        return False
    if not text.isascii():  # redacted in any Unicode letter case: `echoed` searches the value
        return None
    needles, in_keys = _string_needles(text, key_bytes)
    if in_keys:
        return None
    blob = "\0".join(strings).encode("utf-8", "surrogatepass").lower()
    for needle in needles:  # noqa: SIM110 - a loop: any() makes a generator per notebook
        if needle in blob:
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _string_needles(value: str, key_bytes: bytes) -> tuple[tuple[bytes, ...], bool]:
    """The secret's needles (`_secret_needles`), and whether one might be part of a key (is made of
    `key_bytes` alone) or could span two joined strings (holds a NUL)."""
    needles = _secret_needles(value)
    return needles, any(not needle.translate(None, key_bytes) or b"\0" in needle for needle in needles)
