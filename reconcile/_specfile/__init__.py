"""_specfile: spec files to a `Spec`, the only layer that imports PyYAML.

Entry points: `load_spec(paths)` (read, validate and merge; raises `SpecError` listing every
problem), `spec_from_data(data, file)` (an already-parsed document), `load_spec_file(path)` (one
file, its problems and source map). Modules: `document` (reading and parsing, with a source map),
`sourcemap` (lines of keys), `rules` (validation beyond types), `load` (structuring and merging).
"""

from __future__ import annotations

from reconcile._specfile.document import EXTENSIONS, MAX_SPEC_BYTES
from reconcile._specfile.load import load_spec, load_spec_file, spec_from_data

__all__ = ["EXTENSIONS", "MAX_SPEC_BYTES", "load_spec", "load_spec_file", "spec_from_data"]
