"""Writing `--out` files atomically: a temporary file in the same directory, then a rename."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    `text` is the whole text or its pieces in order (a renderer's stream, written as it comes, so a
    large plan is never held whole). A reader never sees half a file, and an interruption (an
    error, Ctrl-C, SIGTERM), or an exception raised while the pieces are made, leaves the old file
    as it was and no temporary file behind.

    Raises:
        OSError: naming `path` (never the temporary file) when it cannot be written.
    """
    try:
        _write(path, text)
    except OSError as exc:
        if exc.filename == str(path):
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    except RecursionError:  # from rendering the pieces, not from the path
        raise
    except RuntimeError as exc:  # a symlink loop, from Path.resolve()
        raise OSError(errno.ELOOP, f"cannot resolve the path ({exc})", str(path)) from None


def _write(path: Path, text: str | Iterable[str]) -> None:
    pieces = (text,) if isinstance(text, str) else text
    if path.is_symlink():
        path = path.resolve(strict=False)  # write where the link points; the link itself stays
    if path.exists() and not path.is_file() and not path.is_dir():
        # /dev/stdout, a FIFO, a device: no rename over it, write through.
        text = "".join(pieces)  # made whole first: a failure while rendering writes nothing
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory (expected a file name)", str(path))
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no such directory {str(directory)!r}", str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    with _removed_on_termination(tmp):
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(pieces)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp makes the file 0600; give it the mode a plain open() would (or the old file's).
            os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@contextlib.contextmanager
def _removed_on_termination(tmp: str) -> Iterator[None]:
    """While writing, SIGTERM (as from a CI runner's timeout) removes the temporary file first."""
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except ValueError:  # pragma: no cover - not the main interpreter
        yield
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not in the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
