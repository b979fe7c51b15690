"""Guarded reading of user-named files (`reconcile._files.read`): regular files only, capped, UTF-8."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from reconcile._files import FileRefused, read_bytes, read_text


def test_regular_file_is_read(tmp_path: Path) -> None:
    """A regular file's text comes back whole, a UTF-8 byte-order mark dropped."""
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\n")
    assert read_text(path, what="a spec", limit=100) == "version: 1\n"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO with no writer is refused at once with one line naming it; nothing waits for a writer."""
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    result: list[BaseException] = []

    def attempt() -> None:
        try:
            read_bytes(fifo, what="a spec file", limit=1000)
        except FileRefused as exc:
            result.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "reading a FIFO blocked"
    (exc,) = result
    assert str(exc) == f"{fifo}: not a regular file (a FIFO; expected a spec file)"


def test_symlink_to_dev_zero_is_refused_unread(tmp_path: Path) -> None:
    """A symlink to /dev/zero is judged by what it reaches: a device, refused before any byte is read."""
    link = tmp_path / "spec.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(FileRefused) as info:
        read_bytes(link, what="a spec file", limit=10)
    assert str(info.value) == f"{link}: not a regular file (a character device; expected a spec file)"


def test_directory_and_missing_file(tmp_path: Path) -> None:
    """A directory and a missing path each give one line naming them."""
    with pytest.raises(FileRefused) as info:
        read_bytes(tmp_path, what="a saved plan", limit=10)
    assert str(info.value) == f"{tmp_path}: is a directory (expected a saved plan)"
    with pytest.raises(FileRefused) as info:
        read_bytes(tmp_path / "nope", what="a saved plan", limit=10)
    assert str(info.value) == f"{tmp_path / 'nope'}: no such file"


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    """A file over the cap is refused by its size, with the size and the cap in the message."""
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.truncate(3 * 2**20)
    with pytest.raises(FileRefused) as info:
        read_bytes(path, what="a saved plan", limit=2**20)
    assert info.value.reason == "file is too large (3.0 MiB; the limit is 1 MiB)"


def test_non_utf8_names_byte_offset_and_line(tmp_path: Path) -> None:
    """A byte that is not UTF-8 is named with its value, offset and line."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(FileRefused) as info:
        read_text(path, what="a spec file", limit=100)
    assert (info.value.reason, info.value.line) == ("not UTF-8 text (byte 0xff at offset 8)", 2)
