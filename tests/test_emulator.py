"""The local ModelArts API: data loading, routes, auth, faults, CLI and throughput (`reconcile._emulator.server`)."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from reconcile._core.errors import ConfigError
from reconcile._core.observation import Found, Target
from reconcile._core.secrets import Secret
from reconcile._emulator import server as emulator
from reconcile._emulator.cli import add_arguments, auth_from_args, faults_from_args, run
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import ENV_VARS, EmulatorAuth, Faults, Schedule
from reconcile._emulator.store import NotebookStore
from reconcile._modelarts import protocol
from reconcile._modelarts.auth import AkSkAuth
from reconcile._modelarts.transport import RetryPolicy, Timeouts
from reconcile._observe.live import observe_live
from reconcile._observe.offline import load_observed
from tests.emulator_fixture import (
    AK,
    DEEPLY_NESTED,
    PROJECT_ID,
    SECURITY_TOKEN,
    SK,
    TOKEN,
    Servers,
    fleet,
    notebook,
    write_notebooks,
)
from tests.test_cli import run as run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Emulators and clients for one test, all closed afterwards."""
    with Servers() as s:
        yield s


def _get(
    emulator: Emulator, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One raw request with the standard library, so routes are tested apart from our client."""
    host, port = emulator.url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _open(**options: Any) -> Emulator:
    return Emulator(NotebookStore.from_documents(fleet(25)), **options)


# -- data ----------------------------------------------------------------------------------------


def test_get_body_files_are_served_as_saved(tmp_path: Path) -> None:
    """A file holding one GET body is served as that JSON, with a request id."""
    paths = write_notebooks(tmp_path, fleet(2))
    store = NotebookStore.from_dir(tmp_path)
    with Emulator(store) as emulator:
        status, headers, body = _get(emulator, f"/v1/{PROJECT_ID}/notebooks/{notebook(1)['id']}")
    assert status == 200
    assert json.loads(body) == json.loads(paths[1].read_bytes())
    assert headers["X-Request-Id"]


def test_data_is_read_recursively_exactly_as_the_offline_loader_reads_it(tmp_path: Path) -> None:
    """List responses and GET bodies in nested folders are all served, the same notebooks `--observed` sees."""
    (tmp_path / "page.json").write_text(
        json.dumps({"current": 0, "data": fleet(3), "pages": 1, "size": 10, "total": 3})
    )
    write_notebooks(tmp_path / "team" / "gpu", [notebook(7), notebook(8)])
    (tmp_path / "ignored.txt").write_text("not json")
    store = NotebookStore.from_dir(tmp_path)
    expected = [n["id"] for n in [*fleet(3), notebook(7), notebook(8)]]
    assert sorted(store.documents) == sorted(expected)
    assert sorted(store.documents) == sorted(load_observed(tmp_path).by_id)
    assert json.loads(store.bodies[notebook(2)["id"]]) == notebook(2)


def test_a_notebook_saved_twice_identically_is_served_once(tmp_path: Path) -> None:
    """The same body as a GET file and in a list response is tolerated, as offline, and served once."""
    write_notebooks(tmp_path, [notebook(1)])
    (tmp_path / "list.json").write_text(json.dumps({"data": [notebook(1), notebook(2)], "total": 2}))
    store = NotebookStore.from_dir(tmp_path)
    assert list(store.documents) == [notebook(1)["id"], notebook(2)["id"]]


def test_a_single_file_is_accepted_like_observed(tmp_path: Path) -> None:
    """A path to one list-response file serves its notebooks, as `--observed FILE` reads them."""
    (tmp_path / "list.json").write_text(json.dumps({"data": fleet(2), "total": 2}))
    assert len(NotebookStore.from_dir(tmp_path / "list.json").documents) == 2


@pytest.mark.parametrize(
    "files",
    [
        {"a.json": "{not json"},
        {"a.json": '"a string"'},
        {"a.json": json.dumps([notebook(1)])},
        {"a.json": DEEPLY_NESTED.decode()},
        {"a.json": "{", "b.json": "[", "sub/c.json": "1"},
    ],
    ids=["not-json", "string", "top-level-array", "deeply-nested", "several-bad-files"],
)
def test_unusable_files_are_refused_as_offline_words_it(tmp_path: Path, files: dict[str, str]) -> None:
    """A file the offline loader cannot use (an array included) is a one-line ConfigError with its words."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    unreadable = load_observed(tmp_path).unreadable
    with pytest.raises(ConfigError) as info:
        NotebookStore.from_dir(tmp_path)
    message = str(info.value)
    assert message.startswith(f"emulator data: {unreadable[0]}")
    assert "a.json" in message
    assert "\n" not in message
    if len(files) > 1:
        assert message.endswith(f"(and {len(unreadable) - 1} more)")


def test_one_id_with_different_bodies_is_refused(tmp_path: Path) -> None:
    """An id saved with different contents in two files is a one-line ConfigError naming both files."""
    write_notebooks(tmp_path, [notebook(1)])
    changed = {**notebook(1), "flavor": "other"}
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "list.json").write_text(json.dumps({"data": [changed], "total": 1}))
    with pytest.raises(ConfigError, match=f"notebook '{notebook(1)['id']}' is saved with different") as info:
        NotebookStore.from_dir(tmp_path)
    assert f"{notebook(1)['id']}.json and " in str(info.value)
    assert "list.json#data[0]" in str(info.value)


def test_missing_data_directory_is_an_error(tmp_path: Path) -> None:
    """A data path that does not exist is a ConfigError, worded as for `--observed`."""
    with pytest.raises(ConfigError, match="nope: no such file or directory"):
        NotebookStore.from_dir(tmp_path / "nope")


def test_list_limits_are_defined_once_and_the_emulator_needs_no_urllib3() -> None:
    """The client and the emulator share one LIST_LIMITS, and importing the emulator loads no urllib3."""
    assert vars(emulator)["LIST_LIMITS"] is protocol.LIST_LIMITS  # imported, not defined again
    code = "import sys, reconcile._emulator.cli; sys.exit('urllib3' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


# -- routes --------------------------------------------------------------------------------------


def test_list_pages_with_limit_offset_and_metadata() -> None:
    """The list answers {current, data, pages, size, total} for a record offset and a page size."""
    with _open() as emulator:
        status, _, body = _get(emulator, f"/v1/{PROJECT_ID}/notebooks?limit=10&offset=20")
    page = json.loads(body)
    assert status == 200
    assert [n["name"] for n in page["data"]] == [f"nb-{i:03d}" for i in range(20, 25)]
    assert (page["current"], page["pages"], page["size"], page["total"]) == (2, 3, 10, 25)


def test_list_default_limit_is_10() -> None:
    """Without `limit`, a page holds 10 entries."""
    with _open() as emulator:
        _, _, body = _get(emulator, f"/v1/{PROJECT_ID}/notebooks")
    assert len(json.loads(body)["data"]) == 10


@pytest.mark.parametrize("query", ["limit=30", "limit=abc", "offset=-1", "limit=0"])
def test_list_bad_paging_is_400_modelarts_shaped(query: str) -> None:
    """A limit other than 10/20/50 or a negative offset answers 400 with error_code and error_msg."""
    with _open() as emulator:
        status, headers, body = _get(emulator, f"/v1/{PROJECT_ID}/notebooks?{query}")
    assert status == 400
    assert set(json.loads(body)) == {"error_code", "error_msg"}
    assert headers["X-Request-Id"]


def test_list_name_filter_is_a_case_insensitive_substring() -> None:
    """`name` matches every notebook whose name contains it, ignoring case, and `total` counts them."""
    with _open() as emulator:
        _, _, body = _get(emulator, f"/v1/{PROJECT_ID}/notebooks?limit=50&name=NB-01")
    page = json.loads(body)
    assert [n["name"] for n in page["data"]] == [f"nb-{i:03d}" for i in range(10, 20)]
    assert page["total"] == 10


def test_unknown_id_is_400_6309_and_chosen_ids_are_plain_404() -> None:
    """An unknown id answers 400 ModelArts.6309; ids in plain_404_ids answer 404."""
    with _open(plain_404_ids={"gone"}) as emulator:
        status, _, body = _get(emulator, f"/v1/{PROJECT_ID}/notebooks/unknown")
        assert status == 400
        assert json.loads(body)["error_code"] == "ModelArts.6309"
        status, headers, _ = _get(emulator, f"/v1/{PROJECT_ID}/notebooks/gone")
        assert status == 404
        assert headers["X-Request-Id"]


def test_unknown_paths_are_404_with_a_gateway_body() -> None:
    """A path outside the notebook API answers 404 with an APIGW error body."""
    with _open() as emulator:
        status, _, body = _get(emulator, "/v2/whatever")
    assert status == 404
    assert json.loads(body)["error_code"] == "APIGW.0101"


@pytest.mark.parametrize(
    ("method", "path", "status"), [("DELETE", "notebooks", 405), ("OPTIONS", "notebooks/x", 501)]
)
def test_other_methods_get_modelarts_shaped_errors(method: str, path: str, status: int) -> None:
    """Methods the emulator does not serve (on that path) get an error body and a request id, like
    every answer."""
    with _open() as emulator:
        got, headers, body = _get(emulator, f"/v1/{PROJECT_ID}/{path}", method=method)
    assert got == status
    assert set(json.loads(body)) == {"error_code", "error_msg"}
    assert headers["X-Request-Id"]


def test_every_response_has_a_fresh_request_id() -> None:
    """Each response, success or error, carries its own X-Request-Id."""
    with _open() as emulator:
        ids = {
            _get(emulator, path)[1]["X-Request-Id"]
            for path in ["/", "/v1/p/notebooks", "/v1/p/notebooks/x"] * 2
        }
    assert len(ids) == 6


# -- auth ----------------------------------------------------------------------------------------


def test_token_is_required_when_configured() -> None:
    """With a token configured, a request without it or with another one gets 401; the right one passes."""
    with _open(auth=EmulatorAuth(token=Secret(TOKEN))) as emulator:
        path = f"/v1/{PROJECT_ID}/notebooks"
        status, _, body = _get(emulator, path)
        assert status == 401
        assert json.loads(body)["error_code"] == "APIGW.0301"
        assert _get(emulator, path, {"X-Auth-Token": "nope"})[0] == 401
        assert _get(emulator, path, {"X-Auth-Token": TOKEN})[0] == 200


def test_aksk_signature_is_verified() -> None:
    """A request signed by our signer with the configured AK/SK passes; a tampered one gets 401."""
    with _open(auth=EmulatorAuth(ak=AK, sk=Secret(SK))) as emulator:
        netloc = emulator.url.removeprefix("http://")
        path = f"/v1/{PROJECT_ID}/notebooks"
        signed = AkSkAuth(AK, Secret(SK)).request_headers(
            "GET", path, [("limit", 10)], {"Host": netloc}, b"", now=datetime.now(UTC), project_id=PROJECT_ID
        )
        assert _get(emulator, f"{path}?limit=10", signed)[0] == 200
        assert _get(emulator, f"{path}?limit=20", signed)[0] == 401


def test_half_configured_aksk_is_refused() -> None:
    """An AK without an SK cannot be configured."""
    with pytest.raises(ConfigError, match="both an AK and an SK"):
        EmulatorAuth(ak=AK)


def test_other_project_is_403_when_a_project_is_set() -> None:
    """With `project_id` set, another project's path answers 403."""
    with _open(project_id=PROJECT_ID) as emulator:
        assert _get(emulator, "/v1/other/notebooks")[0] == 403
        assert _get(emulator, f"/v1/{PROJECT_ID}/notebooks")[0] == 200


# -- faults and lifecycle ------------------------------------------------------------------------


def test_schedule_hits_the_first_n_and_every_nth() -> None:
    """`first` hits requests 1..N and `every` hits multiples of N."""
    assert [n for n in range(1, 11) if Schedule(first=2, every=4).hits(n)] == [1, 2, 4, 8]
    assert not any(Schedule().hits(n) for n in range(1, 100))


def test_throttle_answers_429_with_retry_after() -> None:
    """A throttled request answers 429 with the configured Retry-After; later ones pass."""
    with _open(faults=Faults(throttle=Schedule(first=1), retry_after=7)) as emulator:
        status, headers, body = _get(emulator, f"/v1/{PROJECT_ID}/notebooks")
        assert (status, headers["Retry-After"]) == (429, "7")
        assert json.loads(body)["error_code"]
        assert _get(emulator, f"/v1/{PROJECT_ID}/notebooks")[0] == 200


def test_stop_is_prompt_with_idle_and_sleeping_connections(servers: Servers) -> None:
    """stop() returns quickly even with a keep-alive connection open and a request mid-latency."""
    emulator = _open(faults=Faults(latency_ms=10_000)).start()
    client = servers.client(emulator, timeouts=Timeouts(connect=1, read=30), retry=RetryPolicy(retries=0))
    host, port = emulator.url.removeprefix("http://").rsplit(":", 1)
    idle = http.client.HTTPConnection(host, int(port), timeout=5)
    idle.connect()
    sleeping = threading.Thread(target=_swallow, args=(client.list_notebooks,))
    sleeping.start()
    time.sleep(0.2)
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
    sleeping.join()
    idle.close()


def _swallow(call: Any) -> None:
    with contextlib.suppress(Exception):  # the emulator is stopped under the request on purpose
        call()


def test_thousand_requests_at_20ms_latency_with_parallelism_10(servers: Servers) -> None:
    """1,000 notebooks at 20 ms latency each, 10 in flight, are served in well under 5 s (ideal 2 s)."""
    notebooks = fleet(1000)
    emulator = servers.emulator(notebooks, faults=Faults(latency_ms=20))
    client = servers.client(emulator, pool_maxsize=10)
    targets = [Target(n["name"], notebook_id=n["id"]) for n in notebooks]
    started = time.monotonic()
    result = observe_live(targets, client, parallelism=10)
    elapsed = time.monotonic() - started
    assert all(isinstance(obs, Found) for obs in result.values())
    assert emulator.requests_received == 1000
    assert elapsed < 5, elapsed


# -- command line --------------------------------------------------------------------------------


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reconcile emulator")
    add_arguments(parser)
    return parser.parse_args(argv)


def test_fault_options_map_to_faults() -> None:
    """Each fault option sets the matching Faults field."""
    args = _parse(
        "--data",
        "d",
        "--latency-ms",
        "20",
        "--throttle-first",
        "2",
        "--retry-after",
        "3",
        "--unavailable-every",
        "5",
        "--unavailable-status",
        "502",
        "--reset-first",
        "1",
        "--truncate-every",
        "7",
        "--invalid-json-first",
        "4",
        "--oversize-every",
        "9",
        "--oversize-bytes",
        "100",
        "--slow-body-first",
        "6",
        "--drip-bytes",
        "8",
        "--drip-ms",
        "10",
    )
    assert faults_from_args(args) == Faults(
        latency_ms=20,
        throttle=Schedule(first=2),
        retry_after=3,
        unavailable=Schedule(every=5),
        unavailable_status=502,
        reset=Schedule(first=1),
        truncate=Schedule(every=7),
        invalid_json=Schedule(first=4),
        oversize=Schedule(every=9),
        oversize_bytes=100,
        slow_body=Schedule(first=6),
        drip_bytes=8,
        drip_ms=10,
    )


def test_run_with_a_missing_data_dir_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """`run` with a data directory that does not exist prints one error line and returns 1."""
    out, err = io.StringIO(), io.StringIO()
    assert run(_parse("--data", str(tmp_path / "nope")), stdout=out, stderr=err, env={}) == 1
    assert out.getvalue() == ""
    assert err.getvalue().count("\n") == 1
    assert "no such file or directory" in err.getvalue()


def test_run_with_sk_but_no_ak_is_exit_1(tmp_path: Path) -> None:
    """`--sk` without `--ak` is a one-line error, and the SK is not printed."""
    err = io.StringIO()
    assert run(_parse("--data", str(tmp_path), "--sk", SK), stdout=io.StringIO(), stderr=err, env={}) == 1
    assert SK not in err.getvalue()


@pytest.mark.parametrize("port", ["70000", "-1", "65536", "http"])
def test_port_out_of_range_is_a_one_line_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--port` outside 0..65535 is refused by the option parser with one clear line, not an OverflowError."""
    with pytest.raises(SystemExit) as info:
        _parse("--data", "d", "--port", port)
    assert info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.endswith(f"--port: expected a port number from 0 to 65535, got '{port}'")


@pytest.mark.parametrize("port", ["0", "65535"])
def test_port_bounds_are_accepted(port: str) -> None:
    """Ports 0 and 65535 are valid."""
    assert _parse("--data", "d", "--port", port).port == int(port)


def test_run_turns_any_startup_error_into_one_line_and_exit_1(tmp_path: Path) -> None:
    """A port out of range given programmatically is one error line and exit 1, never a traceback."""
    write_notebooks(tmp_path, [notebook(0)])
    args = _parse("--data", str(tmp_path))
    args.port = 70000
    err = io.StringIO()
    assert run(args, stdout=io.StringIO(), stderr=err, env={}) == 1
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith("reconcile emulator: error: cannot listen on 127.0.0.1:70000")


def test_credentials_come_from_the_environment_when_not_given_as_options() -> None:
    """EMULATOR_TOKEN, EMULATOR_AK, EMULATOR_SK and EMULATOR_SECURITY_TOKEN stand in for the options."""
    env = {
        "EMULATOR_TOKEN": TOKEN,
        "EMULATOR_AK": AK,
        "EMULATOR_SK": SK,
        "EMULATOR_SECURITY_TOKEN": SECURITY_TOKEN,
    }
    assert set(ENV_VARS.values()) == set(env)
    assert auth_from_args(_parse("--data", "d"), env) == EmulatorAuth(
        token=Secret(TOKEN), ak=AK, sk=Secret(SK), security_token=Secret(SECURITY_TOKEN)
    )


def test_options_win_over_the_environment_and_empty_variables_are_unset() -> None:
    """A credential option wins over its variable, and a blank variable counts as unset."""
    args = _parse("--data", "d", "--token", "from-flag")
    env = {"EMULATOR_TOKEN": "from-env", "EMULATOR_AK": " ", "EMULATOR_SK": ""}
    assert auth_from_args(args, env) == EmulatorAuth(token=Secret("from-flag"))


def test_run_reads_credentials_from_the_environment(tmp_path: Path) -> None:
    """`run` reads EMULATOR_SK: with no AK anywhere it is a one-line error that does not print the SK."""
    err = io.StringIO()
    code = run(
        _parse("--data", str(tmp_path / "nope")), stdout=io.StringIO(), stderr=err, env={"EMULATOR_SK": SK}
    )
    assert code == 1
    assert "needs both an AK and an SK" in err.getvalue()
    assert SK not in err.getvalue()


def test_a_secret_quoted_encoded_in_a_startup_error_is_redacted(tmp_path: Path) -> None:
    """A start-up error quoting the token URL-encoded (here in the data path) prints `<redacted>`."""
    token = "emu/token+with=signs-0123456789"
    err = io.StringIO()
    missing = tmp_path / quote(token, safe="")
    code = run(
        _parse("--data", str(missing)), stdout=io.StringIO(), stderr=err, env={"EMULATOR_TOKEN": token}
    )
    assert code == 1
    assert err.getvalue().count("\n") == 1 and "<redacted>" in err.getvalue()
    assert quote(token, safe="") not in err.getvalue() and token not in err.getvalue()


def test_a_startup_error_is_escaped_for_the_terminal(tmp_path: Path) -> None:
    """A data path holding an escape sequence or a bidi control is named escaped, on one line."""
    err = io.StringIO()
    code = run(
        _parse("--data", str(tmp_path / "a\x1b]0;pwned\x07\u202e")), stdout=io.StringIO(), stderr=err, env={}
    )
    assert code == 1
    assert "a\\u001b]0;pwned\\u0007\\u202e" in err.getvalue()
    assert not any(c in err.getvalue() for c in ("\x1b", "\x07", "\u202e"))


def test_help_names_the_credential_variables() -> None:
    """`--help` tells the user which variables hold the credentials, so they can stay out of `ps`."""
    parser = argparse.ArgumentParser(prog="reconcile emulator")
    add_arguments(parser)
    text = " ".join(parser.format_help().split())
    for variable in ENV_VARS.values():
        assert f"${variable}" in text


def test_cli_prints_its_url_serves_and_exits_0_on_ctrl_c(tmp_path: Path) -> None:
    """The subcommand prints its URL, serves the data, and on SIGINT exits 0 without a traceback."""
    write_notebooks(tmp_path, [notebook(0)])
    code = (
        "import argparse, signal, sys\n"
        # As on a terminal, whatever runs pytest: a background job of a shell has SIGINT ignored,
        # and a child inheriting that would never see the Ctrl-C this test sends.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from reconcile._emulator.cli import add_arguments, run\n"
        "p = argparse.ArgumentParser(); add_arguments(p)\n"
        "sys.exit(run(p.parse_args(sys.argv[1:])))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(  # the token travels in the environment, not on the command line
        [sys.executable, "-W", "error", "-c", code, "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "EMULATOR_TOKEN": TOKEN},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        host, port = url.removeprefix("http://").rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        path = f"/v1/{PROJECT_ID}/notebooks/{notebook(0)['id']}"
        for token, status in ((TOKEN, 200), ("wrong", 401)):
            conn.request("GET", path, headers={"X-Auth-Token": token})
            response = conn.getresponse()
            response.read()
            assert response.status == status
        conn.close()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "Traceback" not in stderr


def test_new_fault_options_map_to_faults() -> None:
    """--endless-headers-*, --reset-body-*, --lying-total-*, --echo-* and --retry-after-text set their faults."""
    args = _parse(
        "--data",
        "d",
        "--endless-headers-first",
        "1",
        "--reset-body-every",
        "2",
        "--lying-total-first",
        "3",
        "--echo-every",
        "4",
        "--retry-after-text",
        "soon",
    )
    assert faults_from_args(args) == Faults(
        endless_headers=Schedule(first=1),
        reset_body=Schedule(every=2),
        lying_total=Schedule(first=3),
        echo=Schedule(every=4),
        retry_after_text="soon",
    )


def test_echo_fault_quotes_the_credentials_over_raw_http() -> None:
    """The echo fault puts the request's token in the body's description and in X-Request-Id."""
    with _open(faults=Faults(echo=Schedule(every=1))) as emulator:
        path = f"/v1/{PROJECT_ID}/notebooks/{notebook(0)['id']}"
        status, headers, body = _get(emulator, path, {"X-Auth-Token": TOKEN})
    assert status == 200
    assert json.loads(body)["description"] == f"X-Auth-Token={TOKEN}"
    assert headers["X-Request-Id"] == f"X-Auth-Token={TOKEN}"


def test_lying_total_serves_the_first_page_whatever_the_offset() -> None:
    """With the lying-total fault, offset 10 gets the first page again and a total of a million."""
    with _open(faults=Faults(lying_total=Schedule(every=1))) as emulator:
        _, _, first = _get(emulator, f"/v1/{PROJECT_ID}/notebooks?limit=10&offset=0")
        _, _, again = _get(emulator, f"/v1/{PROJECT_ID}/notebooks?limit=10&offset=10")
    assert json.loads(first)["data"] == json.loads(again)["data"] != []
    assert json.loads(again)["total"] == 1_000_000


def test_endless_headers_never_end() -> None:
    """With the endless-headers fault a raw client reads header lines and never a blank line."""
    with _open(faults=Faults(endless_headers=Schedule(every=1), drip_ms=20)) as emulator:
        host, port = emulator.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=2) as sock:
            sock.sendall(f"GET /v1/{PROJECT_ID}/notebooks HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            time.sleep(0.5)
            received = sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.count(b"X-Still-Coming-") >= 5
    assert b"\r\n\r\n" not in received


def test_list_fault_options_map_to_faults() -> None:
    """--sparse-list and --list-lag (VALUE read as JSON when it parses, else as text) set their faults."""
    args = _parse(
        "--data",
        "d",
        "--sparse-list",
        "flavor",
        "--sparse-list",
        "lease",
        "--list-lag",
        "status=STOPPED",
        "--list-lag",
        'volume={"capacity": 5}',
        "--list-lag",
        "description=42",
        "--list-lag",
        "name=NaN",
        "--list-lag",
        "feature=",
    )
    assert faults_from_args(args) == Faults(
        sparse_list=("flavor", "lease"),
        list_lag=(
            ("status", "STOPPED"),
            ("volume", {"capacity": 5}),
            ("description", 42),
            ("name", "NaN"),
            ("feature", ""),
        ),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("status", "expected FIELD=VALUE (e.g. status=STOPPED), got 'status'"),
        ("=RUNNING", "expected FIELD=VALUE (e.g. status=STOPPED), got '=RUNNING'"),
        ("id=abc", "the id cannot lag: list entries are matched to notebooks by id"),
    ],
)
def test_a_bad_list_lag_is_a_one_line_usage_error(
    value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--list-lag` without FIELD=VALUE, or for the id, is refused by the option parser with one line."""
    with pytest.raises(SystemExit) as info:
        _parse("--data", "d", "--list-lag", value)
    assert info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--list-lag" in error and expected in error


def test_a_field_lagging_twice_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """Two `--list-lag` values for one field are ambiguous: one error line naming the field, exit 1."""
    write_notebooks(tmp_path, [notebook(0)])
    args = _parse("--data", str(tmp_path), "--list-lag", "status=STOPPED", "--list-lag", "status=RUNNING")
    err = io.StringIO()
    assert run(args, stdout=io.StringIO(), stderr=err, env={}) == 1
    assert err.getvalue() == (
        "reconcile emulator: error: --list-lag: status given more than once (one value per field)\n"
    )


@contextlib.contextmanager
def _emulator_command(*argv: str) -> Iterator[str]:
    """`python -m reconcile emulator ARGV` in a subprocess, token from the environment; yields its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "emulator", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "EMULATOR_TOKEN": TOKEN},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _raw_json(url: str) -> Any:
    host, port = url.removeprefix("http://").split("/", 1)[0].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request(
            "GET", "/" + url.removeprefix("http://").split("/", 1)[1], headers={"X-Auth-Token": TOKEN}
        )
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def test_cli_list_faults_change_the_list_entries_and_not_the_get(tmp_path: Path) -> None:
    """`reconcile emulator --sparse-list flavor --list-lag status=STOPPED`: list entries lack the flavor and
    show STOPPED, while the GET of the same notebook still has its flavor and RUNNING."""
    doc = notebook(0) | {"status": "RUNNING"}
    write_notebooks(tmp_path, [doc])
    with _emulator_command(
        "--data", str(tmp_path), "--sparse-list", "flavor", "--list-lag", "status=STOPPED"
    ) as url:
        listed = _raw_json(f"{url}/v1/{PROJECT_ID}/notebooks?limit=10")["data"]
        got = _raw_json(f"{url}/v1/{PROJECT_ID}/notebooks/{doc['id']}")
    assert [entry["id"] for entry in listed] == [doc["id"]]
    assert "flavor" not in listed[0] and listed[0]["status"] == "STOPPED"
    assert got["flavor"] == doc["flavor"] and got["status"] == "RUNNING"
    assert {k: v for k, v in listed[0].items() if k != "status"} == {
        k: v for k, v in doc.items() if k not in ("flavor", "status")
    }


def test_cli_list_lag_shows_what_list_mode_confirms_and_what_it_cannot_see(tmp_path: Path) -> None:
    """Over `reconcile emulator --list-lag`: a lagging value that looks like drift is confirmed with a GET
    (no false change), and a lagging value equal to the desired one hides the real drift until get mode."""
    doc = notebook(0) | {"status": "STOPPED"}
    write_notebooks(tmp_path / "data", [doc])
    spec = tmp_path / "spec.json"
    env = {"MODELARTS_AUTH_TOKEN": TOKEN}

    def plan(url: str, desired: str, refresh: str) -> subprocess.CompletedProcess[str]:
        spec.write_text(json.dumps({"version": 1, "notebooks": {"nb": {"id": doc["id"], "status": desired}}}))
        common = ("--endpoint", url, "--project-id", PROJECT_ID, "--detailed-exitcode", "--format", "json")
        return run_cli("plan", str(spec), *common, "--refresh", refresh, env=env)

    with _emulator_command("--data", str(tmp_path / "data"), "--list-lag", "status=RUNNING") as url:
        confirmed = plan(url, "STOPPED", "list")  # the list says RUNNING (drift): the GET says STOPPED
        hidden = plan(url, "RUNNING", "list")  # the list says RUNNING as desired: trusted, no GET
        seen = plan(url, "RUNNING", "get")  # the GET says STOPPED: start it
    assert confirmed.returncode == 0, confirmed.stderr
    assert hidden.returncode == 0, hidden.stderr
    assert seen.returncode == 2, seen.stderr
    assert json.loads(hidden.stdout)["resource_changes"][0]["change"]["actions"] == ["no-op"]
    assert json.loads(seen.stdout)["resource_changes"][0]["change"]["actions"] == ["update"]
