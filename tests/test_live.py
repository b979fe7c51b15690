"""Live observation through the emulator, and building the client from options (`reconcile._observe.live`)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconcile._core.errors import ConfigError, TransportError
from reconcile._core.observation import Failed, Found, Missing, Observation, Target, resolve_by_name
from reconcile._core.secrets import Secret
from reconcile._emulator.settings import Faults, Schedule
from reconcile._modelarts.auth import AkSkAuth, TokenAuth
from reconcile._modelarts.client import ModelArtsClient
from reconcile._modelarts.defaults import DEFAULT_PARALLELISM
from reconcile._modelarts.settings import ClientSettings
from reconcile._modelarts.transport import RetryPolicy, Timeouts
from reconcile._observe.live import observe_live, observe_with_settings
from tests.emulator_fixture import (
    AK,
    DEEPLY_NESTED,
    PROJECT_ID,
    SECRET_VALUES,
    SK,
    TOKEN,
    CannedPool,
    Servers,
    canned_client,
    fleet,
    notebook,
)


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Emulators and clients for one test, all closed afterwards."""
    with Servers() as s:
        yield s


def test_found_missing_and_failed_side_by_side(servers: Servers) -> None:
    """Each target gets its own observation: found, missing (404 or 6309) or failed (401), in target order."""
    notebooks = fleet(3)
    emulator = servers.emulator(notebooks, plain_404_ids={"gone-404"})
    client = servers.client(emulator)
    targets = [
        Target("b", notebook_id=notebooks[1]["id"]),
        Target("missing", notebook_id="no-such-id"),
        Target("gone", notebook_id="gone-404"),
        Target("a", notebook_id=notebooks[0]["id"]),
    ]
    result = observe_live(targets, client)
    assert list(result) == ["b", "missing", "gone", "a"]
    assert result["a"] == Found(
        body=emulator.store.bodies[notebooks[0]["id"]], source=client.notebook_url(notebooks[0]["id"])
    )
    assert isinstance(result["b"], Found)
    # Both "not found" answers give the offline wording, so live and offline plans are byte-identical.
    assert result["missing"] == Missing(reason="notebook no-such-id does not exist")
    assert result["gone"] == Missing(reason="notebook gone-404 does not exist")


def test_auth_failure_is_failed_with_a_clear_message(servers: Servers) -> None:
    """Refused credentials give Failed observations whose one-line message names the notebook."""
    emulator = servers.emulator(fleet(2))
    client = servers.client(emulator, auth=TokenAuth(Secret("wrong")))
    result = observe_live([Target("x", notebook_id="abc")], client)
    assert isinstance(result["x"], Failed)
    assert "'abc'" in result["x"].message
    assert "credentials were refused" in result["x"].message
    assert "\n" not in result["x"].message


def test_one_failing_notebook_does_not_stop_the_others(servers: Servers) -> None:
    """With every third request answered 503 and no retries, the other notebooks are still found."""
    notebooks = fleet(9)
    emulator = servers.emulator(notebooks, faults=Faults(unavailable=Schedule(every=3)))
    client = servers.client(emulator, retry=RetryPolicy(retries=0))
    result = observe_live([Target(n["name"], notebook_id=n["id"]) for n in notebooks], client, parallelism=1)
    failed = [name for name, obs in result.items() if isinstance(obs, Failed)]
    found = [name for name, obs in result.items() if isinstance(obs, Found)]
    assert len(failed) == 3
    assert len(found) == 6
    assert all("HTTP 503" in result[name].message for name in failed)  # type: ignore[union-attr]


def test_name_lookup_keeps_exact_matches_across_pages(servers: Servers) -> None:
    """A name whose fuzzy filter matches 60 notebooks over two pages resolves to the one exact match."""
    notebooks = [notebook(0, name="nb"), *(notebook(i, name=f"nb-{i:02d}") for i in range(1, 60))]
    emulator = servers.emulator(notebooks)
    client = servers.client(emulator)
    result = observe_live([Target("box", notebook_name="nb")], client)
    assert result["box"] == Found(body=notebooks[0], source=client.list_url("nb"))
    assert emulator.requests_received == 2  # limit 50: pages at offset 0 and 50


def test_name_lookup_with_no_exact_match_is_missing(servers: Servers) -> None:
    """A name matched only fuzzily (a longer name contains it) is Missing, with a reason naming it."""
    emulator = servers.emulator([notebook(0, name="train-box-2")])
    result = observe_live([Target("t", notebook_name="train-box")], servers.client(emulator))
    assert result["t"] == Missing(reason="no notebook is named 'train-box'")


def test_duplicate_names_are_failed_naming_the_ids_in_order(servers: Servers) -> None:
    """Two notebooks with one name fail the lookup with the shared message, ids sorted whatever the list order."""
    twins = [{**notebook(0, name="box"), "id": "b"}, {**notebook(1, name="box"), "id": "a"}]
    emulator = servers.emulator(twins)
    result = observe_live([Target("t", notebook_name="box")], servers.client(emulator))
    assert result["t"] == Failed("2 notebooks are named 'box' (a, b); give the `id` in the spec")


def test_a_deleted_notebook_is_passed_over_for_a_live_one_with_the_name(servers: Servers) -> None:
    """A DELETED notebook sharing the name with a live one is ignored: the live one is Found."""
    deleted = {**notebook(0, name="box"), "status": "DELETED"}
    alive = notebook(1, name="box")
    emulator = servers.emulator([deleted, alive])
    client = servers.client(emulator)
    result = observe_live([Target("t", notebook_name="box")], client)
    assert result["t"] == Found(body=alive, source=client.list_url("box"))


def test_name_lookup_gives_what_the_shared_resolver_gives(servers: Servers) -> None:
    """Live lookups by name answer exactly as `resolve_by_name` does over the same list entries."""
    notebooks = [notebook(0, name="one"), notebook(1, name="two"), notebook(2, name="two"), notebook(3, "x1")]
    emulator = servers.emulator(notebooks)
    client = servers.client(emulator)
    names = ["one", "two", "x", "nothing"]
    result = observe_live([Target(n, notebook_name=n) for n in names], client)
    for name in names:
        entries = [Found(body=e, source=client.list_url(name)) for e in client.list_notebooks(name=name)]
        assert result[name] == resolve_by_name(name, entries)


def test_an_empty_id_is_failed_and_never_falls_back_to_the_name(servers: Servers) -> None:
    """A target whose id is the empty string is Failed without a request, not looked up by its name."""
    emulator = servers.emulator([notebook(0)])
    target = Target("t", notebook_id="", notebook_name=notebook(0)["name"])
    result = observe_live([target], servers.client(emulator))
    assert result["t"] == Failed("t: the notebook id is empty")
    assert emulator.requests_received == 0


def test_a_name_is_listed_once_for_several_targets(servers: Servers) -> None:
    """Targets sharing a name share one list lookup."""
    emulator = servers.emulator([notebook(0, name="shared")])
    targets = [Target(f"t{i}", notebook_name="shared") for i in range(5)]
    result = observe_live(targets, servers.client(emulator))
    assert all(isinstance(obs, Found) for obs in result.values())
    assert emulator.requests_received == 1


def test_list_failure_is_failed_for_the_name(servers: Servers) -> None:
    """A list page that is not JSON makes the name target Failed, not the whole run."""
    emulator = servers.emulator(fleet(2), faults=Faults(invalid_json=Schedule(every=1)))
    result = observe_live([Target("t", notebook_name="nb-000")], servers.client(emulator))
    assert isinstance(result["t"], Failed)
    assert "invalid JSON" in result["t"].message


def test_a_deeply_nested_list_page_is_failed_for_that_name() -> None:
    """A list page nesting 5,000 arrays makes the name target Failed with a one-line message."""
    client = canned_client(CannedPool(200, DEEPLY_NESTED))
    result = observe_live([Target("t", notebook_name="nb")], client)
    assert isinstance(result["t"], Failed)
    assert "nested too deeply" in result["t"].message


def test_a_target_without_id_or_name_is_failed(servers: Servers) -> None:
    """A target with neither id nor name is Failed without any request."""
    emulator = servers.emulator()
    result = observe_live([Target("empty")], servers.client(emulator))
    assert isinstance(result["empty"], Failed)
    assert emulator.requests_received == 0


def test_sixty_notebook_fleet_through_the_emulator(servers: Servers) -> None:
    """60 notebooks by id and 6 by name, over 20 ms latency, all come back Found."""
    notebooks = fleet(60)
    emulator = servers.emulator(notebooks, faults=Faults(latency_ms=20))
    targets = [Target(f"id-{n['name']}", notebook_id=n["id"]) for n in notebooks]
    targets += [Target(f"name-{n['name']}", notebook_name=n["name"]) for n in notebooks[::10]]
    result = observe_live(targets, servers.client(emulator), parallelism=10)
    assert all(isinstance(obs, Found) for obs in result.values())
    assert len(result) == 66


def test_progress_is_called_once_per_target(servers: Servers) -> None:
    """The progress callback sees every target exactly once, with its observation."""
    notebooks = fleet(4)
    emulator = servers.emulator(notebooks)
    seen: list[tuple[str, Observation]] = []
    targets = [Target(n["name"], notebook_id=n["id"]) for n in notebooks] + [Target("nothing")]
    result = observe_live(targets, servers.client(emulator), progress=lambda t, o: seen.append((t.name, o)))
    assert sorted(seen, key=lambda pair: pair[0]) == sorted(result.items(), key=lambda pair: pair[0])


class _CountingSource:
    """A fake client that records how many calls are in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()

    def get_notebook(self, notebook_id: str) -> bytes:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        time.sleep(0.01)
        with self.lock:
            self.in_flight -= 1
        if notebook_id == "boom":
            raise TransportError("notebook 'boom': connection broken")
        if notebook_id == "bug":
            raise KeyError(f"a bug whose text holds a secret: {TOKEN}\nand a second line")
        if notebook_id == "deep":
            raise RecursionError("maximum recursion depth exceeded")
        return b"{}"

    def list_notebooks(self, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        if name == "bug":
            raise RuntimeError(f"unexpected: {SK}")
        return []

    def notebook_url(self, notebook_id: str) -> str:
        return f"fake://{notebook_id}"

    def list_url(self, name: str | None = None) -> str:
        return "fake://list"

    def close(self) -> None:
        pass


def test_parallelism_bounds_requests_in_flight() -> None:
    """No more than `parallelism` requests are ever in flight, and that many are used."""
    source = _CountingSource()
    targets = [Target(f"t{i}", notebook_id=f"id{i}") for i in range(40)] + [Target("b", notebook_id="boom")]
    result = observe_live(targets, source, parallelism=4)
    assert source.peak == 4
    assert isinstance(result["b"], Failed)
    assert sum(isinstance(obs, Found) for obs in result.values()) == 40


def test_an_unexpected_error_in_a_worker_is_failed_for_its_target_only() -> None:
    """Any exception escaping a lookup is a one-line Failed, without its text, and the others still finish."""
    targets = [
        Target("bug", notebook_id="bug"),
        Target("deep", notebook_id="deep"),
        Target("list-bug", notebook_name="bug"),
        *(Target(f"t{i}", notebook_id=f"id{i}") for i in range(10)),
    ]
    result = observe_live(targets, _CountingSource(), parallelism=3)
    assert result["bug"] == Failed("notebook 'bug': unexpected error (KeyError); please report this")
    assert result["deep"] == Failed("notebook 'deep': unexpected error (RecursionError); please report this")
    assert result["list-bug"] == Failed(
        "notebooks named 'bug': unexpected error (RuntimeError); please report this"
    )
    assert sum(isinstance(obs, Found) for obs in result.values()) == 10
    for obs in result.values():
        assert not any(value in repr(obs) for value in SECRET_VALUES)


def test_parallelism_below_one_is_a_config_error() -> None:
    """`parallelism=0` is refused, and so is one past the bound (each is a thread)."""
    with pytest.raises(ConfigError, match="parallelism"):
        observe_live([], _CountingSource(), parallelism=0)
    with pytest.raises(ConfigError, match="parallelism must be from 1 to 256, not 257"):
        observe_live([], _CountingSource(), parallelism=257)


# -- ClientSettings.from_options ----------------------------------------------------------------


def test_client_from_flags_and_token_environment(servers: Servers) -> None:
    """Endpoint and project from flags plus a token from the environment make a working client."""
    emulator = servers.emulator([notebook(0)])
    settings = ClientSettings.from_options(
        endpoint=emulator.url,
        project_id=PROJECT_ID,
        env={"MODELARTS_AUTH_TOKEN": TOKEN},
        connect_timeout=1,
        read_timeout=1,
        request_timeout=3,
    )
    assert settings.timeouts == Timeouts(connect=1, read=1, total=3)
    with ModelArtsClient.from_settings(settings) as client:
        assert client.get_notebook(notebook(0)["id"])
        assert client.timeouts.read == 1
        assert isinstance(client.auth, TokenAuth)


def test_client_from_environment_only() -> None:
    """Region, project and AK/SK all from the environment give the region's endpoint and AK/SK auth."""
    env = {
        "HW_REGION_NAME": "ap-southeast-1",
        "HW_PROJECT_ID": PROJECT_ID,
        "HW_ACCESS_KEY": AK,
        "HW_SECRET_KEY": SK,
    }
    settings = ClientSettings.from_options(env=env)
    assert settings.endpoint == "https://modelarts.ap-southeast-1.myhuaweicloud.cn"
    assert settings.region == "ap-southeast-1"
    assert settings.project_id == PROJECT_ID
    assert settings.auth == AkSkAuth(AK, Secret(SK))
    assert settings.parallelism == DEFAULT_PARALLELISM
    assert settings.proxy is None


def test_flags_win_over_environment() -> None:
    """--region and --project-id win over HW_REGION_NAME and the project variables."""
    env = {
        "HW_REGION_NAME": "cn-north-1",
        "HUAWEICLOUD_SDK_PROJECT_ID": "envproject",
        "MODELARTS_AUTH_TOKEN": TOKEN,
    }
    settings = ClientSettings.from_options(region="cn-north-4", project_id="flagproject", env=env)
    assert settings.endpoint == "https://modelarts.cn-north-4.myhuaweicloud.com"
    assert settings.project_id == "flagproject"


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        ({}, {"MODELARTS_AUTH_TOKEN": TOKEN, "HW_PROJECT_ID": PROJECT_ID}, "no endpoint: give --endpoint"),
        ({"region": "cn-north-4"}, {"MODELARTS_AUTH_TOKEN": TOKEN}, "no project id: give --project-id"),
        ({"region": "cn-north-4", "project_id": PROJECT_ID}, {}, "no credentials: set MODELARTS_AUTH_TOKEN"),
        (
            {"endpoint": "http://example.com", "project_id": PROJECT_ID},
            {"MODELARTS_AUTH_TOKEN": TOKEN},
            "refusing plain http",
        ),
        (
            {"region": "cn-north-4", "project_id": PROJECT_ID, "read_timeout": 0},
            {"MODELARTS_AUTH_TOKEN": TOKEN},
            "timeout",
        ),
        (
            {"region": "cn-north-4", "project_id": PROJECT_ID, "request_timeout": -1},
            {"MODELARTS_AUTH_TOKEN": TOKEN},
            "total timeout",
        ),
        (
            {"region": "cn-north-4", "project_id": PROJECT_ID, "parallelism": 0},
            {"MODELARTS_AUTH_TOKEN": TOKEN},
            "parallelism must be from 1 to 256, not 0",
        ),
        (
            {"region": "cn-north-4", "project_id": PROJECT_ID, "parallelism": 10**20},
            {"MODELARTS_AUTH_TOKEN": TOKEN},
            "parallelism must be from 1 to 256, not 100000000000000000000",
        ),
    ],
)
def test_missing_settings_are_one_line_config_errors(
    options: dict[str, Any], env: dict[str, str], message: str
) -> None:
    """A missing endpoint, project id or credentials is a one-line ConfigError saying what to set."""
    with pytest.raises(ConfigError, match=message) as info:
        ClientSettings.from_options(env=env, **options)
    assert "\n" not in str(info.value)
    assert TOKEN not in str(info.value)


def test_observe_with_settings_reads_no_environment(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`observe_with_settings` works from the settings alone, whatever the process environment says."""
    emulator = servers.emulator([notebook(0)])
    settings = ClientSettings.from_options(
        endpoint=emulator.url, project_id=PROJECT_ID, env={"MODELARTS_AUTH_TOKEN": TOKEN}, parallelism=2
    )
    monkeypatch.setenv("MODELARTS_AUTH_TOKEN", "a-wrong-token-from-the-process-environment")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    targets = [Target("a", notebook_id=notebook(0)["id"]), Target("b", notebook_id="nope")]
    result = observe_with_settings(settings, targets)
    assert isinstance(result["a"], Found)
    assert isinstance(result["b"], Missing)


def test_ca_bundle_is_checked(tmp_path: Path) -> None:
    """A CA bundle that does not exist is a ConfigError when the client is built."""
    env = {"MODELARTS_AUTH_TOKEN": TOKEN}
    settings = ClientSettings.from_options(
        region="cn-north-4", project_id=PROJECT_ID, env=env, ca_bundle=str(tmp_path / "no.pem")
    )
    with pytest.raises(ConfigError, match="CA bundle"):
        ModelArtsClient.from_settings(settings)


def test_an_interrupt_cancels_queued_requests_and_cuts_those_in_flight(servers: Servers) -> None:
    """KeyboardInterrupt while observing returns within a second; queued notebooks are never requested."""
    notebooks = fleet(20)
    emulator = servers.emulator(notebooks, faults=Faults(latency_ms=5000))
    client = servers.client(emulator, timeouts=Timeouts(connect=1, read=10, total=10))
    targets = [Target(n["name"], notebook_id=n["id"]) for n in notebooks]
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(0.4, signal.pthread_kill, (main, signal.SIGINT))  # a real Ctrl-C
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        observe_live(targets, client, parallelism=3)
    assert time.monotonic() - started < 1.5
    time.sleep(0.3)
    assert emulator.requests_received == 3
    assert not [t for t in threading.enumerate() if t.name.startswith("observe")]  # workers ended
