"""The package's layers, checked from the code: which layer may import which, and who imports what.

`docs/design.md` draws the same picture; change both together.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconcile"

#: The library's layers: everything but the command line and the public facade.
LIBRARY: set[str] = {
    "_core",
    "_files",
    "_codec",
    "_schema",
    "_specfile",
    "_planning",
    "_policy",
    "_modelarts",
    "_observe",
    "_render",
    "_emulator",
    "_apply",
}

#: Each layer and the layers of ours it may import (`_version` is allowed everywhere).
ALLOWED: dict[str, set[str]] = {
    "_core": set(),
    # guarded reading of user-named files (regular files only, size caps): stdlib only
    "_files": set(),
    "_codec": {"_core", "_files"},
    "_schema": {"_core", "_files"},
    "_specfile": {"_core", "_codec", "_files", "_policy"},
    "_planning": {"_core", "_codec", "_files"},
    "_policy": {"_core", "_codec", "_files"},
    "_modelarts": {"_core", "_files"},
    "_observe": {"_core", "_codec", "_modelarts", "_files"},
    "_render": {"_core", "_files"},
    "_emulator": {"_core", "_codec", "_modelarts", "_observe", "_files"},
    "_apply": {"_core", "_codec", "_modelarts", "_observe", "_planning", "_files"},
    # the command line, and the public facade with its one-call helpers, may use every library layer
    "_cli": LIBRARY | {"_api"},
    "_api": LIBRARY,
    "__init__": LIBRARY | {"_api"},
    "__main__": {"_cli"},
}

#: Modules allowed more than their layer, and why. The plan schema's generator reads the JSON plan's
#: facts where the code defines them (`_render/jsonplan.py`: Terraform's versions, the provider, the
#: action lists, the action reasons, the secret keys; `_planning/decisions.py`: the create API's
#: required inputs); it runs at build time only (`python -m reconcile._schema.generate`), and the
#: run-time schema reader (`_schema/files.py`) keeps to its layer.
EXTRA: dict[str, set[str]] = {
    "_schema/plan.py": {"_render", "_planning"},
}

#: Third-party libraries and the one layer allowed to import each (attrs is everywhere).
OWNER: dict[str, str] = {
    "cattrs": "_codec",
    "yaml": "_specfile",
    "deepdiff": "_planning",
    "urllib3": "_modelarts",
    "celpy": "_policy",
}


def _imports(path: Path) -> list[str]:
    """Every module name `path` imports, at any depth (function-level imports included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "reconcile":
                names.extend(f"reconcile.{alias.name}" for alias in node.names)
            else:
                names.append(node.module)
    return names


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _layer(p) != "_version")


def test_every_module_belongs_to_a_known_layer() -> None:
    """A new top-level module or package must be given a place in the layering first."""
    unknown = {_layer(p) for p in MODULES} - set(ALLOWED)
    assert not unknown, f"add {sorted(unknown)} to ALLOWED here and to docs/design.md"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_inward(path: Path) -> None:
    """A module imports only its own layer and the layers below it, and nothing imports the CLI."""
    layer = _layer(path)
    allowed = ALLOWED[layer] | EXTRA.get(path.relative_to(PACKAGE).as_posix(), set())
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "reconcile" or len(parts) == 1:
            continue
        target = parts[1]
        if target in {layer, "_version"}:
            continue
        assert target in allowed, f"{path.name} ({layer}) may not import {name}"


def test_extra_imports_name_existing_modules() -> None:
    """Every module given imports beyond its layer exists (a renamed module loses its exception)."""
    assert all((PACKAGE / module).is_file() for module in EXTRA)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_dependency_has_one_owner(path: Path) -> None:
    """cattrs, PyYAML, deepdiff, urllib3 and CEL are each imported by one layer only."""
    layer = _layer(path)
    for name in _imports(path):
        top = name.split(".")[0]
        if top in OWNER:
            assert OWNER[top] == layer, f"{path.name} ({layer}) imports {top}, owned by {OWNER[top]}"


@pytest.mark.parametrize("path", [p for p in MODULES if _layer(p) == "_core"], ids=lambda p: p.name)
def test_core_is_stdlib_and_attrs_only(path: Path) -> None:
    """The core (models, spec, plan, catalogue, normalisation) needs nothing but the stdlib and attrs."""
    for name in _imports(path):
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or top in {"attrs", "reconcile"}, f"{path.name} imports {name}"
