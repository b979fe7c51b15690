"""The environment of every Python subprocess the benchmarks start.

Subprocesses run `sys.executable` from the repository root, with the repository first on
`PYTHONPATH`. Bytecode caching is always on, with the caches under a scratch directory
(`PYTHONPYCACHEPREFIX`): an installed package runs from cached bytecode, so a start-up measured
while `PYTHONDONTWRITEBYTECODE` is set (as in some CI and sandbox environments) would charge our
command for compiling every one of its modules, on every run, and the baseline (all in
site-packages, compiled at install) for nothing. The scratch directory keeps the source tree clean.

`measured_module` runs a module as `python -m` does, through `bench.peak`, and returns its wall
time, CPU time and its own peak memory (see `bench.peak` for why not `ru_maxrss` alone).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from bench.fixtures import ROOT

__all__ = ["Child", "measured_module", "python", "python_env"]


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


@attrs.frozen
class Child:
    """One measured child process.

    Attributes:
        seconds: wall time from start to reaped, as seen by the parent.
        cpu_seconds: user + system CPU time of the child (from `os.wait4`).
        peak_bytes: the child's own peak resident set (`VmHWM` reported by `bench.peak`), or its
            `ru_maxrss` where `/proc` is missing (see `memory_method`).
        ru_maxrss_bytes: `ru_maxrss` from `os.wait4`: on Linux it includes the parent's peak before
            the exec (a cross-check only, see `bench.peak`).
        memory_method: `"VmHWM"` or `"ru_maxrss"`.
        children_maxrss_bytes: the largest `ru_maxrss` of the processes the child itself started
            and reaped (0 when it started none); their memory is not in `peak_bytes`.
        returncode: the exit status.
        stdout: what it printed.
        stderr: what it printed on stderr.
    """

    seconds: float
    cpu_seconds: float
    peak_bytes: int
    ru_maxrss_bytes: int
    memory_method: str
    children_maxrss_bytes: int
    returncode: int
    stdout: str = attrs.field(repr=False)
    stderr: str = attrs.field(repr=False)


def measured_module(
    module_args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 900.0
) -> Child:
    """Run `python -m MODULE ARGS` (this interpreter, from the repository root) through `bench.peak`.

    The child is reaped with `os.wait4`, which gives its CPU time and `ru_maxrss`; its own peak
    (`VmHWM`, which does not inherit the parent's memory) comes from `bench.peak`'s report. Its
    output goes to files, not pipes, so nothing in the parent runs while it works. A child still
    running after `timeout` seconds is killed (and reported with its signal as the status).
    """
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        report, out, err = Path(tmp) / "peak.json", Path(tmp) / "stdout", Path(tmp) / "stderr"
        command = [sys.executable, "-m", "bench.peak", "--report", str(report), "-m", *module_args]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=dict(env) if env is not None else python_env(),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
            try:
                _pid, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        peak = json.loads(report.read_text()) if report.exists() else {}
        maxrss = usage.ru_maxrss * 1024
        hwm = peak.get("vmhwm_kib")
        return Child(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_bytes=hwm * 1024 if hwm is not None else maxrss,
            ru_maxrss_bytes=maxrss,
            memory_method="VmHWM" if hwm is not None else "ru_maxrss",
            children_maxrss_bytes=int(peak.get("children_maxrss_kib") or 0) * 1024,
            returncode=proc.returncode,
            stdout=out.read_text(errors="replace"),
            stderr=err.read_text(errors="replace"),
        )
