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

import base64
import html
import json
import re
from typing import Any, Final, Self
from urllib.parse import quote, quote_plus

import attrs

__all__ = ["REDACTED", "SHORT_SECRET", "Scrubber", "Secret", "encoded_forms"]

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


def encoded_forms(value: str) -> frozenset[str]:
    """The ways a secret may come back: as sent, URL-, JSON-, HTML- or base64-encoded.

    This is the one list of encodings; every scrubber in the package is built from it.
    """
    if not value:
        return frozenset()
    raw = value.encode("utf-8")
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        quote_plus(value, safe="/"),
        quote(quote(value, safe=""), safe=""),  # encoded twice, as by a proxy re-encoding a URL
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        base64.b64encode(raw).decode("ascii").rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
    }
    forms |= {form.replace("/", "\\/") for form in forms}  # JSON may escape `/` as `\/`
    return frozenset(form for form in forms if form)


@attrs.frozen(repr=False)
class Scrubber:
    """Redacts a fixed set of secrets, in every encoded form, from text and from JSON-like values.

    Build one per run (the credentials) or per notebook (its token) with `Scrubber.of(...)`; it is
    cheap to call on text that holds no secret. `bool(scrubber)` is false when it has nothing to hide.
    """

    _pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, *secrets: Secret | str | None) -> Scrubber:
        """A scrubber for these secrets (`None` and empty values are ignored)."""
        values = {s.reveal() if isinstance(s, Secret) else s for s in secrets if s}
        forms = {form for value in values if value for form in encoded_forms(value)}
        if not forms:
            return cls(None)
        # Longest first, so a secret's encoded form is redacted whole, not the secret inside it.
        alternatives = []
        for form in sorted(forms, key=lambda f: (-len(f), f)):
            escaped = re.escape(form)
            alternatives.append(escaped if len(form) >= SHORT_SECRET else rf"(?<!\w){escaped}(?!\w)")
        return cls(re.compile("|".join(alternatives), re.IGNORECASE))

    def __repr__(self) -> str:
        return f"Scrubber({REDACTED!r})" if self._pattern else "Scrubber()"

    def __bool__(self) -> bool:
        return self._pattern is not None

    def found_in(self, text: str) -> bool:
        """Whether `text` holds one of the secrets in any encoded form."""
        return self._pattern is not None and self._pattern.search(text) is not None

    def text(self, text: str) -> str:
        """`text` with every secret replaced by `<redacted>`; text already redacted keeps its markers."""
        if self._pattern is None:
            return text
        pattern = self._pattern
        return REDACTED.join(pattern.sub(REDACTED, part) for part in text.split(REDACTED))

    def value(self, value: Any) -> Any:
        """A JSON-like value (str, list, tuple, dict keys and values) with every secret redacted.

        Returns `value` itself, not a copy, where nothing needed redacting.
        """
        if self._pattern is None:
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
