"""Run a module as `python -m MODULE` would, and report the process's own peak memory when it ends.

`python -m bench.peak --report FILE -m MODULE ARGS...` runs `MODULE` as the main module (the same
`runpy` machinery `python -m` uses, with `sys.argv` set to `[MODULE, *ARGS]`), and when it ends,
normally, by `sys.exit` or by an exception, writes one JSON object to `FILE`: `vmhwm_kib`,
`vmrss_kib`, `ru_maxrss_kib`, `children_maxrss_kib` and `exit`. The module's exit status and
streams are its own.

Why not only `ru_maxrss` (of `getrusage`, `wait4` or `/usr/bin/time -v`): on Linux, `execve`
folds the high-water mark of the memory the process had before the exec into its `ru_maxrss`
(`exec_mmap` -> `setmax_mm_hiwater_rss`). A child started by `subprocess` (vfork or fork, then
exec) from a parent holding 400 MiB reports `ru_maxrss` >= 400 MiB, even if the child itself
never exceeds 9 MiB. The benchmark's parent holds generated fleets, so that would charge the
parent's memory to whichever side is smaller. `VmHWM` in `/proc/self/status` is the peak resident
set of the process's current address space, the one `execve` created, so it is the child's own
peak and nothing else. `ru_maxrss` is reported too, as a cross-check (the caller also reads it
from `os.wait4`). A module that starts processes of its own (a process pool) has their memory
outside its `VmHWM`: `children_maxrss_kib` (the largest reaped child's `ru_maxrss`) is then
non-zero, and the caller says so rather than judge a peak that leaves the workers out.

Stdlib only, and imports nothing the measured module would not: both sides of a comparison run
through this same wrapper, so its cost (a few hundred microseconds) is on both sides.
"""

from __future__ import annotations

import json
import resource
import runpy
import sys

__all__ = ["main", "status_kib"]


def status_kib(key: str) -> int | None:
    """A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`), or None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _report(path: str, code: object) -> None:
    exit_code = code if isinstance(code, int) else (0 if code is None else 1)
    fields = {
        "vmhwm_kib": status_kib("VmHWM"),
        "vmrss_kib": status_kib("VmRSS"),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        # Non-zero when the module started processes of its own (a pool, say): their memory is
        # NOT in VmHWM, which is this process's alone; the caller flags it.
        "children_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "exit": exit_code,
    }
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(fields) + "\n")


def main(argv: list[str]) -> None:
    """Parse `--report FILE -m MODULE ARGS...`, run the module, write the report; exits as it did."""
    if len(argv) < 4 or argv[0] != "--report" or argv[2] != "-m":
        sys.stderr.write("usage: python -m bench.peak --report FILE -m MODULE [ARGS...]\n")
        raise SystemExit(2)
    report, module, args = argv[1], argv[3], argv[4:]
    sys.argv = [module, *args]
    code: object = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        raise
    except BaseException:
        code = 1
        raise
    finally:
        _report(report, code)


if __name__ == "__main__":
    main(sys.argv[1:])
