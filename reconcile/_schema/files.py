"""The shipped JSON Schemas (`schemas/*.schema.json`), read at run time.

In a wheel the files live in `reconcile/schemas/`; in a source checkout (editable install, tests run
from the repository) they are read from the repository's top-level `schemas/` directory.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

__all__ = ["SCHEMA_NAMES", "SOURCE_DIR", "load_schema", "schema_text"]

#: The repository's top-level `schemas/` directory, read in a source checkout (and written by
#: `python -m reconcile._schema.generate`); in an installed wheel it does not exist.
SOURCE_DIR: Final = Path(__file__).resolve().parents[2] / "schemas"

#: Schema names accepted by `reconcile schema NAME`, and the file in `schemas/` of each.
SCHEMA_NAMES: dict[str, str] = {
    "notebook": "notebook.schema.json",
    "spec": "notebook-spec.schema.json",
    "plan": "plan.schema.json",
    "policy": "policy.schema.json",
    "waivers": "waivers.schema.json",
    "report": "report.schema.json",
}


def schema_text(name: str) -> str:
    """The text of a shipped schema, by name (one of `SCHEMA_NAMES`: `notebook`, `spec`, `plan`, ...).

    Raises:
        KeyError: `name` is not one of `SCHEMA_NAMES`.
        FileNotFoundError: the installation is missing the file.
    """
    filename = SCHEMA_NAMES[name]
    packaged = resources.files("reconcile").joinpath("schemas", filename)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (SOURCE_DIR / filename).read_text(encoding="utf-8")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema, parsed."""
    data: dict[str, Any] = json.loads(schema_text(name))
    return data
