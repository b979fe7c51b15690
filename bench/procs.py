"""The environment of every Python subprocess the benchmarks start.

Subprocesses run `sys.executable` from the repository root, with the repository first on
`PYTHONPATH`. Bytecode caching is always on, with the caches under a scratch directory
(`PYTHONPYCACHEPREFIX`): an installed package runs from cached bytecode, so a start-up measured
while `PYTHONDONTWRITEBYTECODE` is set (as in some CI and sandbox environments) would charge our
command for compiling every one of its modules, on every run, and the baseline (all in
site-packages, compiled at install) for nothing. The scratch directory keeps the source tree clean.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from bench.fixtures import ROOT

__all__ = ["python", "python_env"]


@functools.cache
def _pycache() -> str:
    path = tempfile.mkdtemp(prefix="bench-pycache-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def python_env(extra: Mapping[str, str] | None = None, *, drop: Sequence[str] = ()) -> dict[str, str]:
    """This process's environment for a Python subprocess: repo on the path, bytecode cached.

    Args:
        extra: variables to set.
        drop: variables to remove (credentials, say).
    """
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env["PYTHONPYCACHEPREFIX"] = _pycache()
    env.update(extra or {})
    return env


def python(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python ARGS` (this interpreter) from the repository root; never raises on failure."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=dict(env) if env is not None else python_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
