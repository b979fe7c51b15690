"""Reading a file the user named, without trusting what the name points at.

`read_bytes` and `read_text` open with `O_NONBLOCK` and `fstat` the open descriptor before reading
a byte: a FIFO, a socket, a device (`/dev/zero`, also through a symlink) or a directory is refused
with one line naming the file, so nothing blocks and nothing reads forever. The size is checked
against the caller's cap before reading and again while reading (a file that grows is cut off at the
cap, not read to the end). Text must be UTF-8 (a byte-order mark is dropped); a bad byte is named
with its offset and line.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["FileRefused", "read_bytes", "read_text"]

_CHUNK = 1 << 20


class FileRefused(ValueError):
    """A file that cannot be used: missing, not a regular file, too large, unreadable or not UTF-8.

    `str()` is one line, `FILE: reason`. Callers that report problems their own way (a spec problem,
    an observed-input error) read the parts.

    Attributes:
        file: the file as the caller named it.
        reason: what is wrong, without the file name (`not a regular file (a FIFO)`).
        line: the 1-based line of a bad byte, for a UTF-8 error; None otherwise.
    """

    def __init__(self, file: str, reason: str, line: int | None = None) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        super().__init__(f"{file}: {reason}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n % 2**20 else f"{n // 2**20} MiB"


def read_bytes(path: str | os.PathLike[str], *, what: str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Args:
        path: the file, as the user named it (symlinks are followed, then judged by what they reach).
        what: what the file should be, for the messages (`a spec file`, `a saved plan`).
        limit: the largest size accepted, in bytes.

    Raises:
        FileRefused: no such file, not a regular file, larger than `limit`, or unreadable.
    """
    file = os.fspath(path)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused(file, "no such file") from None
    except IsADirectoryError:
        raise FileRefused(file, f"is a directory (expected {what})") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO or socket with nobody at the other end
            raise FileRefused(file, f"not a regular file (expected {what})") from None
        raise FileRefused(file, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileRefused(file, f"is a directory (expected {what})")
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(file, f"not a regular file ({_kind(info.st_mode)}; expected {what})")
        if info.st_size > limit:
            raise FileRefused(
                file, f"file is too large ({info.st_size / 2**20:.1f} MiB; the limit is {_mib(limit)})"
            )
        # One read of the size fstat gave (plus one byte, to see growth): a single buffer, no joins.
        first = os.read(fd, min(info.st_size, limit) + 1)
        chunks: list[bytes] = [first]
        total = len(first)
        while first and total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileRefused(file, f"file is too large (grew past the limit of {_mib(limit)})")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError as exc:
        raise FileRefused(file, f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], *, what: str, limit: int) -> str:
    """The UTF-8 text of the regular file at `path` (a leading byte-order mark is dropped).

    Raises:
        FileRefused: as `read_bytes`, or the bytes are not UTF-8 (the message names the byte, its
            offset and line; `line` is set).
    """
    data = read_bytes(path, what=what, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            os.fspath(path), f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None
