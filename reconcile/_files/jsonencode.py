"""JSON text of plain values with fixed flags, by the C encoder made once.

`json.dumps` with any option set builds a new `JSONEncoder`, and `JSONEncoder.encode` a new C
encoder, on every call: for the many small documents of a fleet's plan (a fingerprint per notebook,
each `before` and `after`) that set-up costs as much as the encoding. `encoder(...)` makes the C
encoder once and returns a function that writes the same text as `json.dumps` with those flags
(without its check for circular references: plans and fingerprints are trees).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

__all__ = ["encoder"]


def encoder(
    *, sort_keys: bool, ensure_ascii: bool, compact: bool = False, allow_nan: bool = False
) -> Callable[[Any], str]:
    """`json.dumps(value, sort_keys=..., ensure_ascii=..., allow_nan=...)` (with `compact`, the
    separators `(",", ":")`), as a function of `value`."""
    separators = (",", ":") if compact else (", ", ": ")
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython without its _json accelerator
        return functools.partial(
            json.dumps,
            sort_keys=sort_keys,
            ensure_ascii=ensure_ascii,
            allow_nan=allow_nan,
            separators=separators,
        )
    strings = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    c_encode = make(None, _not_json, strings, None, separators[1], separators[0], sort_keys, False, allow_nan)

    def encode(value: Any) -> str:
        return "".join(c_encode(value, 0))

    return encode


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
