"""What the numbers were measured on: CPU, cores, load, Python, package versions, source revision."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "describe"]

#: Packages whose versions are recorded (missing ones are recorded as null).
PACKAGES = (
    "attrs",
    "cattrs",
    "urllib3",
    "deepdiff",
    "PyYAML",
    "simplejson",
    "huaweicloudsdkcore",
    "huaweicloudsdkmodelarts",
    "requests",
)
_ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=_ROOT, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def describe() -> dict[str, Any]:
    """The machine, interpreter, packages and source revision, as plain JSON values."""
    from reconcile._version import __version__

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    status = _git("status", "--porcelain", "--", "reconcile")
    return {
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "packages": {name: _version(name) for name in PACKAGES},
        "reconcile_version": __version__,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "reconcile_dirty": bool(status) if status is not None else None,
    }
