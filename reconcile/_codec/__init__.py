"""_codec: JSON-like values to model classes and back, the only layer that imports cattrs.

Entry points (import them from here; none of them loads cattrs until first called):

- `decode_notebook(data, source=None)`, `decode_notebook_list(...)`: API bodies to the observed model;
  raise `DecodeError` (`reconcile._codec.observed`).
- `unstructure(obj, *, reveal_secrets=False)`: a model instance to plain JSON values.
- `reconcile._codec.observed.decode_for_plan(data)` and `before_of(notebook)`: what a plan decodes,
  the notebook with its JSON written in the same pass (`reconcile._codec.compiled`), and that JSON.
- `structure_spec(raw, cls)`: a parsed spec entry to `NotebookSpec`; raises `StructureError`, a
  `DecodeError` whose `issues` keep each path as parts (`reconcile._codec.specs`).
- `describe_value(value)`, `dotted(path)`: the wording of bad values and paths
  (`reconcile._codec.wording`).

The converters themselves are named and built on first use in `reconcile._codec.converters`.
"""

from __future__ import annotations

from reconcile._codec.errors import Issue, StructureError
from reconcile._codec.observed import decode_notebook, decode_notebook_list, unstructure
from reconcile._codec.specs import structure_spec
from reconcile._codec.wording import describe_value, dotted

__all__ = [
    "Issue",
    "StructureError",
    "decode_notebook",
    "decode_notebook_list",
    "describe_value",
    "dotted",
    "structure_spec",
    "unstructure",
]
