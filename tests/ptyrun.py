"""Run a command on a pseudo-terminal, as a user at a terminal would, and collect what it prints."""

from __future__ import annotations

import os
import pty
import select
from collections.abc import Mapping, Sequence


def run_on_terminal(
    argv: Sequence[str], env: Mapping[str, str], cwd: str, timeout: float = 60
) -> tuple[int, str]:
    """Run `argv` with stdin, stdout and stderr on a pty; returns (exit status, everything printed).

    A child that prints nothing for `timeout` seconds is killed, so a hang fails the test instead of
    hanging the suite.
    """
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.chdir(cwd)
        os.execve(argv[0], list(argv), dict(env))
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            os.kill(pid, 9)
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def run_on_terminal_answering(
    argv: Sequence[str], env: Mapping[str, str], cwd: str, *, prompt: str, answer: str, timeout: float = 60
) -> tuple[int, str]:
    """As `run_on_terminal`, typing `answer` and Enter once `prompt` has been printed."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.chdir(cwd)
        os.execve(argv[0], list(argv), dict(env))
    chunks: list[bytes] = []
    answered = False
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            os.kill(pid, 9)
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
        if not answered and prompt.encode() in b"".join(chunks):
            os.write(fd, answer.encode() + b"\r")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")
