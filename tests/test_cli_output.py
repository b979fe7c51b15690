"""`--out` files and diagnostics on stderr, through the real CLI in a subprocess."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_cli import EXAMPLES, OBSERVED, run


def test_out_at_a_symlink_loop_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """`--out` on a symlink loop names the file and exits 1, without a traceback."""
    loop = tmp_path / "loop.txt"
    loop.symlink_to(tmp_path / "loop.txt")
    result = run("plan", *EXAMPLES, "--observed", OBSERVED, "--out", str(loop))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and str(loop) in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_out_on_a_full_device_names_the_file() -> None:
    """`--out /dev/full` says which file could not be written and why, on one line."""
    result = run("plan", *EXAMPLES, "--observed", OBSERVED, "--out", "/dev/full")
    assert result.returncode == 1
    assert result.stderr == "reconcile: error: /dev/full: No space left on device\n"


def test_sigterm_during_the_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A SIGTERM while `--out` is being written leaves the old file intact and no temporary file."""
    target = tmp_path / "plan.txt"
    target.write_text("old\n")
    # The child pauses inside write_atomically (in fsync, after the temporary file is written) so
    # that the signal arrives mid-write, as a CI runner's timeout would.
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from reconcile._cli import output\n"
        "real_fsync = os.fsync\n"
        "def slow(fd):\n"
        "    sys.stdout.write('writing\\n'); sys.stdout.flush(); time.sleep(30)\n"
        "os.fsync = slow\n"
        f"output.write_atomically(Path({str(target)!r}), 'new\\n' * 1000)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline() == "writing\n"
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the temporary file exists now
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=20)
    assert child.returncode == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.txt"]
    assert target.read_text() == "old\n"


def test_control_characters_in_spec_problems_are_escaped_on_stderr(tmp_path: Path) -> None:
    """An escape sequence in a spec value or a file name reaches stderr escaped, never raw."""
    spec = tmp_path / "evil\x1b]0;pwned\x07.yaml"
    spec.write_text('version: 1\nnotebooks:\n  a: {id: "x", flavor: 7, lease: {duration: "\\e[2J\\u202e"}}\n')
    result = run("validate", str(spec))
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\u202e" not in result.stderr
    assert "\\u001b]0;pwned\\u0007.yaml" in result.stderr
    assert "\\u202e" in result.stderr


def test_control_characters_in_observed_errors_are_escaped_on_stderr(tmp_path: Path) -> None:
    """A saved response whose file name holds terminal controls is named escaped in the error."""
    obs = tmp_path / "obs"
    obs.mkdir()
    (obs / "a\x1b[2J.json").write_text(
        '{"id": "a", "status": "RUNNING", "lease": {"duration": "\\u001b[31mred"}}'
    )
    spec = tmp_path / "s.yaml"
    spec.write_text('version: 1\nnotebooks:\n  a: {id: "a", flavor: f}\n')
    result = run("plan", str(spec), "--observed", str(obs))
    assert result.returncode == 1
    assert "undecodable" in result.stderr and "a\\u001b[2J.json" in result.stderr
    assert "\x1b" not in result.stderr


def test_control_characters_in_usage_errors_are_escaped_on_stderr(tmp_path: Path) -> None:
    """An argument argparse does not know (a file name a glob expanded, say) is quoted escaped."""
    result = run("validate", str(tmp_path / "a.yaml"), "--bo\x1b]0;pwned\x07gus\u202e")
    assert result.returncode == 1
    assert "unrecognized arguments: --bo\\u001b]0;pwned\\u0007gus\\u202e" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\u202e" not in result.stderr


def test_a_service_error_message_is_escaped_on_stderr(tmp_path: Path) -> None:
    """A live server's `error_code`, `error_msg` and request id with terminal controls reach stderr escaped."""
    body = json.dumps(
        {"error_code": "ModelArts.\u001b[2J0001", "error_msg": "bad \u001b]0;pwned\u0007 \u202eevil"}
    ).encode()

    class Hostile(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Request-Id", "req\x1b[2J")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    spec = tmp_path / "s.yaml"
    spec.write_text('version: 1\nnotebooks:\n  a: {id: "f9937afa-631e-4a8f-a8f7-3b6c800585f0"}\n')
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            result = run(
                "plan",
                str(spec),
                "--endpoint",
                f"http://127.0.0.1:{server.server_address[1]}",
                "--project-id",
                "p",
                "--unmanaged",
                "ignore",
                env={"MODELARTS_AUTH_TOKEN": "a-token-for-the-hostile-server"},
            )
        finally:
            server.shutdown()
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("reconcile: error:")]
    assert len(errors) == 1
    assert "ModelArts.\\u001b[2J0001: bad \\u001b]0;pwned\\u0007 \\u202eevil" in errors[0]
    assert "req\\u001b[2J" in errors[0]
    assert not any(c in result.stderr + result.stdout for c in ("\x1b", "\x07", "\u202e"))


def test_sigterm_handler_is_restored_after_writing(tmp_path: Path) -> None:
    """After `write_atomically` returns, SIGTERM has its previous handler again."""
    from reconcile._cli.output import write_atomically

    before = signal.getsignal(signal.SIGTERM)
    write_atomically(tmp_path / "x.txt", "x\n")
    assert signal.getsignal(signal.SIGTERM) == before
    assert (tmp_path / "x.txt").read_text() == "x\n"


def test_show_refuses_a_plan_over_the_size_cap(tmp_path: Path) -> None:
    """`reconcile show` refuses a file larger than its cap before reading it, in one line."""
    from reconcile._api import MAX_PLAN_BYTES

    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_PLAN_BYTES + 1)
    result = run("show", str(huge))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and str(huge) in result.stderr and "Traceback" not in result.stderr


def test_show_refuses_a_deeply_nested_plan(tmp_path: Path) -> None:
    """A crafted plan nested 100,000 deep is one clear error, not a RecursionError."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = run("show", str(deep))
    assert result.returncode == 1
    assert "nested too deeply" in result.stderr and "Traceback" not in result.stderr


def test_show_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    """`reconcile show` on a FIFO with no writer returns at once with one line."""
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    result = run("show", str(fifo))
    assert result.returncode == 1 and "not a regular file" in result.stderr


def test_a_stream_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """Pieces written as they come: an exception while making them keeps the old file, leaves no temporary."""
    from reconcile._cli.output import write_atomically

    target = tmp_path / "plan.json"
    target.write_text("old\n")

    def pieces() -> Iterator[str]:
        yield "new" * 100_000
        raise ValueError("Out of range float values are not JSON compliant")

    with pytest.raises(ValueError, match="Out of range"):
        write_atomically(target, pieces())
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
    write_atomically(target, iter(["a", "b", "c\n"]))
    assert target.read_text() == "abc\n"


def test_streamed_json_out_is_the_same_bytes_as_stdout(tmp_path: Path) -> None:
    """`plan --format json --out` (streamed into the file) writes exactly what stdout shows."""
    out = tmp_path / "plan.json"
    to_file = run("plan", *EXAMPLES, "--observed", OBSERVED, "--format", "json", "--out", str(out))
    to_stdout = run("plan", *EXAMPLES, "--observed", OBSERVED, "--format", "json")
    assert to_file.returncode == to_stdout.returncode == 0
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
