"""Former home of the codec, kept so imports written before the split keep working.

Import from `reconcile._codec` instead; this module only re-exports it and goes once callers move.
"""

from __future__ import annotations

from reconcile._codec import (
    decode_notebook,
    decode_notebook_list,
    describe_value,
    dotted,
    structure_spec,
    unstructure,
)

__all__ = [
    "decode_notebook",
    "decode_notebook_list",
    "describe_value",
    "dotted",
    "structure_spec",
    "unstructure",
]
