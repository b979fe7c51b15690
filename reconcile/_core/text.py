"""Escaping untrusted text for a terminal, a CI log, a table or XML: the one rule every output uses.

`clean_text` writes each character that could drive a terminal or mislead a reader as a visible
`\\uXXXX` escape, and keeps everything else (non-ASCII text included) as it is. The renderers
(`reconcile._render.common` re-exports it with `terminal_safe`), the command line's diagnostics and
the emulator's messages all escape through it.
"""

from __future__ import annotations

import re

__all__ = ["clean_text"]

# C0 and C1 controls, DEL, lone surrogates and the non-characters U+FFFE/U+FFFF: they would move a
# terminal's cursor, break a table row or make XML ill-formed. The bidirectional controls (U+061C,
# U+200E/U+200F, the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069) reorder
# what a reader sees ("Trojan Source"), and the line and paragraph separators U+2028/U+2029 break a
# line where no newline shows. Text from the service or the spec never carries any of them out raw.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def clean_text(text: str) -> str:
    """Return `text` with control characters, bidi controls and lone surrogates written as `\\uXXXX`."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
