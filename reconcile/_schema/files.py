"""The shipped JSON Schemas (`schemas/*.schema.json`), read at run time.

In a wheel the files live in `reconcile/schemas/`; in a source checkout (editable install, tests run
from the repository) they are read from the repository's top-level `schemas/` directory.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_NAMES", "load_schema", "schema_text"]

#: Schema names accepted by `reconcile schema NAME`, each a file `schemas/NAME.schema.json`.
SCHEMA_NAMES: dict[str, str] = {
    "notebook": "notebook.schema.json",
    "spec": "notebook-spec.schema.json",
    "plan": "plan.schema.json",
    "policy": "policy.schema.json",
    "waivers": "waivers.schema.json",
    "report": "report.schema.json",
}


def schema_text(name: str) -> str:
    """The text of a shipped schema, by name (`notebook`, `spec`, `plan`).

    Raises:
        KeyError: `name` is not one of `SCHEMA_NAMES`.
        FileNotFoundError: the installation is missing the file.
    """
    filename = SCHEMA_NAMES[name]
    packaged = resources.files("reconcile").joinpath("schemas", filename)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "schemas" / filename).read_text(encoding="utf-8")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema, parsed."""
    data: dict[str, Any] = json.loads(schema_text(name))
    return data
