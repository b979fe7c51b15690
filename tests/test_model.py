"""The observed model and its decoder (`reconcile._core.model`, `reconcile._codec`)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from hypothesis import given

from reconcile import _codec as codec
from reconcile._core import model
from reconcile._core.enums import (
    DevService,
    Feature,
    ImageType,
    JobStatus,
    LeaseType,
    NotebookStatus,
    VolumeCategory,
)
from reconcile._core.errors import DecodeError
from reconcile._core.secrets import REDACTED, Secret
from tests.strategies import notebook_json

EXAMPLE_TOKEN = "7b22482a-a4cb-4b46-e3b3-6a793a47967e"
RICH_TOKEN = "0f4b1e9c-5a3d-4b7e-8c2f-91d6e3a7b5c4"


def test_api_page_example_decodes_field_by_field(example_body: bytes) -> None:
    """The API page's example response decodes to exactly the values it shows."""
    nb = codec.decode_notebook(example_body)
    assert nb.description == "api-test"
    assert nb.feature is Feature.NOTEBOOK
    assert nb.flavor == "modelarts.vm.cpu.2u"
    assert nb.id == "f9937afa-631e-4a8f-a8f7-3b6c800585f0"
    assert nb.image == model.Image(
        id="e1a07296-22a8-4f05-8bc8-e936c8e54090",
        name="notebook2.0-mul-kernel-cpu-cp36",
        swr_path="swr.xxxxx.com/atelier/notebook2.0-mul-kernel-cpu-cp36:3.3.1.B007_V2",
        type=ImageType.BUILD_IN,
    )
    assert nb.lease == model.Lease(
        create_at=1638778344300, duration=3600000, enable=True, update_at=1638778344300
    )
    assert nb.name == "notebooks_test"
    assert nb.status is NotebookStatus.CREATING
    assert nb.token == Secret(EXAMPLE_TOKEN)
    assert nb.url == "https://authoring-modelarts-xxxxx.xxxxx.com/f9937afa-631e-4a8f-a8f7-3b6c800585f0/lab"
    assert nb.workspace_id == "0"
    assert nb.endpoints is None and nb.pool is None and nb.volume is None and nb.action_progress is None


def test_decodes_bytes_str_and_mapping_alike(example_body: bytes) -> None:
    """Bytes, text and an already-parsed mapping decode to the same notebook."""
    from_bytes = codec.decode_notebook(example_body)
    assert codec.decode_notebook(example_body.decode()) == from_bytes
    assert codec.decode_notebook(json.loads(example_body)) == from_bytes


def test_rich_response_decodes_every_field(rich_body: bytes) -> None:
    """A response with every known field, including those beyond the API page, decodes completely."""
    nb = codec.decode_notebook(rich_body)
    assert nb.action_progress == (
        model.JobProgress(
            notebook_id="3c4a9e0e-5b1f-4c3e-9d6a-0a1b2c3d4e5f",
            status=JobStatus.COMPLETED,
            step=1,
            step_description="Prepare storage",
        ),
        model.JobProgress(status=JobStatus.PROCESSING, step=2, step_description="Prepare compute resources"),
    )
    ssh = nb.endpoint(DevService.SSH)
    assert ssh == model.EndpointsRes(
        allowed_access_ips=("203.0.113.7", "198.51.100.0/24"),
        dev_service=DevService.SSH,
        ssh_keys=("ops-key", "ml-key"),
        uri="192.168.0.12:22",
    )
    assert nb.endpoint(DevService.NOTEBOOK) == model.EndpointsRes(
        dev_service=DevService.NOTEBOOK, uri="192.168.0.12:8888"
    )
    assert nb.image is not None and nb.image.tag == "2.0.5" and nb.image.size == 7340032
    assert nb.image.tags == (model.TmsTag("team", "vision"),)
    assert nb.lease is not None and nb.lease.type is LeaseType.TIMING
    assert nb.pool == model.Pool(id="pool-7f3a2b", name="vision-dedicated")
    assert nb.volume is not None and nb.volume.category is VolumeCategory.EVS and nb.volume.capacity == 100
    assert nb.volume.read_only is False
    assert nb.custom_spec == model.CustomSpec(
        gpu=1.0,
        gpu_type="V100",
        cpu=8.0,
        memory=64.5,
        arch="X86_64",
        category="GPU",
        resource_flavor="modelarts.vm.gpu.v100",
    )
    assert nb.billing_items == ("STORAGE", "COMPUTE")
    assert nb.user == model.User(id="u53r", name="alice", domain=model.Domain(id="d0m41n", name="acme"))
    assert nb.run_user == model.RunUser(uid=1000, gid=100, user_name="ma-user", group_name="ma-group")
    assert nb.data_volumes is not None and nb.data_volumes[0].url == "obs://bucket/data"
    assert nb.user_vpc is not None and nb.user_vpc.connect_cidrs == "10.0.0.0/8"
    assert nb.user_vpc.security_group_ids == ("sg-1", "sg-2")
    assert nb.affinity is not None
    rule = nb.affinity.required_during_scheduling_ignored_during_execution
    assert rule == (model.AffinityRule(key="zone", operator="In", values=("az1", "az2"), weight=10),)
    assert nb.tags == (model.TmsTag("cost-center", "cv-42"),)
    assert (nb.ip, nb.user_id, nb.jupyter_version, nb.is_need_credentials) == (
        "192.168.0.12",
        "u53r",
        "3.4.8",
        False,
    )
    assert (nb.create_at, nb.update_at) == (1700000000000, 1700000100000)


def test_both_spellings_are_read() -> None:
    """`service`/`key_pair_names` and JobProgress `description` fill the canonical fields."""
    nb = codec.decode_notebook(
        {
            "endpoints": [{"service": "SSH", "key_pair_names": ["k1"]}],
            "action_progress": [{"description": "Configure the network", "step": 3}],
        }
    )
    assert nb.endpoints == (model.EndpointsRes(dev_service=DevService.SSH, ssh_keys=("k1",)),)
    assert nb.action_progress == (model.JobProgress(step=3, step_description="Configure the network"),)


def test_canonical_spelling_wins_over_the_alias() -> None:
    """When both spellings are present, the documented one is kept."""
    nb = codec.decode_notebook({"endpoints": [{"dev_service": "SSH", "service": "NOTEBOOK"}]})
    assert nb.endpoints is not None and nb.endpoints[0].dev_service is DevService.SSH


def test_unknown_fields_are_ignored(example_body: bytes) -> None:
    """Fields the model does not know, at any depth, do not break decoding."""
    raw = json.loads(example_body)
    raw["brand_new"] = {"x": [1, 2]}
    raw["image"]["also_new"] = True
    raw["lease"]["extra"] = "x"
    assert codec.decode_notebook(raw) == codec.decode_notebook(example_body)


def test_unknown_enum_values_keep_their_exact_text() -> None:
    """A status, category or step the documentation does not list decodes and keeps its text."""
    nb = codec.decode_notebook(
        {
            "status": "HIBERNATING",
            "volume": {"category": "Turbo", "ownership": "shared"},
            "action_progress": [{"step": 9}],
            "feature": "LITE",
        }
    )
    assert nb.status == "HIBERNATING" and nb.status.value == "HIBERNATING"
    assert isinstance(nb.status, NotebookStatus) and not nb.status.known
    assert NotebookStatus.RUNNING.known
    assert nb.volume is not None and nb.volume.category.value == "Turbo"
    assert nb.volume.ownership is not None and nb.volume.ownership.value == "shared"
    assert nb.action_progress is not None and nb.action_progress[0].step == 9
    assert codec.unstructure(nb)["status"] == "HIBERNATING"


def test_lowercase_known_value_is_not_silently_upcased() -> None:
    """The observed side keeps the service's text exactly: `running` is not RUNNING."""
    nb = codec.decode_notebook({"status": "running"})
    assert nb.status is not None and nb.status.value == "running" and not nb.status.known


def test_nulls_and_missing_objects_are_accepted() -> None:
    """JSON null in every optional field, and absent nested objects, decode to None."""
    nb = codec.decode_notebook(
        {
            "image": None,
            "lease": None,
            "endpoints": None,
            "status": None,
            "token": None,
            "volume": {"capacity": None},
            "user_vpc": {"connect_cidrs": None},
        }
    )
    assert nb.image is None and nb.lease is None and nb.endpoints is None and nb.token is None
    assert nb.volume == model.VolumeRes()
    assert codec.decode_notebook({}) == model.Notebook()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"lease": {"duration": "abc"}}, 'lease.duration: expected int, got "abc"'),
        ({"lease": {"enable": "false"}}, 'lease.enable: expected bool, got "false"'),
        ({"lease": {"duration": 1.5}}, "lease.duration: expected int, got 1.5"),
        ({"lease": {"duration": True}}, "lease.duration: expected int, got true"),
        ({"image": {"size": "big"}}, 'image.size: expected int, got "big"'),
        ({"image": {"tags": [{"key": 7}]}}, "image.tags[0].key: expected string, got 7"),
        (
            {"endpoints": [{}, {"allowed_access_ips": "1.2.3.4"}]},
            'endpoints[1].allowed_access_ips: expected list, got "1.2.3.4"',
        ),
        ({"endpoints": [{}, {"ssh_keys": ["a", 5]}]}, "endpoints[1].ssh_keys[1]: expected string, got 5"),
        ({"name": 12}, "name: expected string, got 12"),
        ({"status": 3}, "status: expected string, got 3"),
        ({"lease": [1]}, "lease: expected an object, got a list"),
        ({"action_progress": {"step": 1}}, "action_progress: expected list, got an object"),
        ({"user": {"domain": {"id": False}}}, "user.domain.id: expected string, got false"),
        ({"custom_spec": {"cpu": "8"}}, 'custom_spec.cpu: expected number, got "8"'),
    ],
)
def test_wrong_types_give_path_errors(body: dict[str, object], expected: str) -> None:
    """A wrong type at any depth is refused (never coerced) with the field's path in the message."""
    with pytest.raises(DecodeError) as info:
        codec.decode_notebook(body)
    assert str(info.value) == expected
    assert [str(p) for p in info.value.problems] == [expected]


def test_every_bad_field_is_listed() -> None:
    """One decode error lists every bad field, not only the first."""
    with pytest.raises(DecodeError) as info:
        codec.decode_notebook(
            {"name": 1, "lease": {"duration": "x", "enable": "yes"}, "volume": {"capacity": "5"}}
        )
    paths = [p.path for p in info.value.problems]
    assert paths == ["lease.duration", "lease.enable", "name", "volume.capacity"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "invalid JSON at line 1 column 2"),
        (b"[1, 2]", "expected an object, got a list"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"", "invalid JSON at line 1 column 1"),
    ],
)
def test_undecodable_bodies(body: bytes, expected: str) -> None:
    """Bodies that are not a JSON object give one clear DecodeError, with the source named."""
    with pytest.raises(DecodeError) as info:
        codec.decode_notebook(body, source="nb.json")
    assert str(info.value).startswith("nb.json: ")
    assert expected in str(info.value)


def test_list_response_decodes() -> None:
    """`GET .../notebooks` list bodies decode into pages of notebooks."""
    page = {
        "current": 0,
        "pages": 3,
        "size": 2,
        "total": 5,
        "data": [{"id": "a", "status": "RUNNING"}, {"id": "b"}],
    }
    nbl = codec.decode_notebook_list(json.dumps(page))
    assert (nbl.current, nbl.pages, nbl.size, nbl.total) == (0, 3, 2, 5)
    assert nbl.data == (model.Notebook(id="a", status=NotebookStatus.RUNNING), model.Notebook(id="b"))
    with pytest.raises(DecodeError, match=r"data\[1\]\.name: expected string, got 3"):
        codec.decode_notebook_list({"data": [{}, {"name": 3}]})


def test_time_fields_stay_integers_with_datetime_helpers(rich_body: bytes) -> None:
    """Times are ms integers; the helpers read them as aware UTC datetimes."""
    nb = codec.decode_notebook(rich_body)
    assert nb.lease is not None and nb.lease.create_at == 1700000000000
    assert nb.lease.create_at_datetime == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert nb.lease.stops_at_datetime == dt.datetime(2023, 11, 15, 0, 13, 20, tzinfo=dt.UTC)
    assert nb.create_at_datetime == nb.lease.create_at_datetime
    assert model.ms_to_datetime(None) is None


def test_effective_tag_falls_back_to_swr_path(example_body: bytes) -> None:
    """An image without `tag` takes its tag from the `:TAG` suffix of `swr_path`."""
    nb = codec.decode_notebook(example_body)
    assert nb.image is not None and nb.image.effective_tag == "3.3.1.B007_V2"
    assert model.Image(swr_path="registry:5000/org/img").effective_tag is None
    assert model.Image(tag="t", swr_path="r/o/i:u").effective_tag == "t"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (model.Image(swr_path="swr.example.com/org/serve", tag="1.4"), "swr.example.com/org/serve:1.4"),
        (model.Image(swr_path="org/serve@sha256:ab", tag="1.4"), "org/serve:1.4@sha256:ab"),
        (model.Image(swr_path="org/serve:2.0", tag="1.4"), "org/serve:2.0"),  # the path's own tag wins
        (model.Image(swr_path="registry:5000/org/img"), "registry:5000/org/img"),
        # A tag that would not read back as the joined reference's tag is not inserted (found by
        # the generate property test: `0` with tag `/` became `0:/`, which reads as a repository).
        (model.Image(swr_path="0", tag="/"), "0"),
        (model.Image(swr_path="org/serve", tag="a/b"), "org/serve"),
        (model.Image(swr_path="org/serve", tag="a@b"), "org/serve"),
    ],
)
def test_tagged_swr_path_inserts_only_a_tag_that_reads_back(image: model.Image, expected: str) -> None:
    """`tagged_swr_path` puts `tag` into the path only when the result parses back to that tag."""
    assert image.tagged_swr_path == expected


def test_token_never_shows(example_body: bytes, rich_body: bytes, caplog: pytest.LogCaptureFixture) -> None:
    """The notebook token is absent from repr, str, logging, default serialisation and errors."""
    for body, token in ((example_body, EXAMPLE_TOKEN), (rich_body, RICH_TOKEN)):
        nb = codec.decode_notebook(body)
        assert nb.token is not None and nb.token.reveal() == token
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("test").info("notebook %s %r %s", nb, nb, nb.token)
        unstructured = codec.unstructure(nb)
        for text in (
            repr(nb),
            str(nb),
            repr(nb.token),
            str(nb.token),
            f"{nb.token}",
            caplog.text,
            json.dumps(unstructured),
        ):
            assert token not in text
        assert "token" not in unstructured
        assert codec.unstructure(nb, reveal_secrets=True)["token"] == token
    # A token of the wrong type is not quoted in the error either.
    with pytest.raises(DecodeError) as info:
        codec.decode_notebook({"token": ["s3cr3t-value"], "name": 5})
    assert "s3cr3t-value" not in str(info.value)
    with pytest.raises(DecodeError) as info:
        codec.decode_notebook({"token": 123456789})
    assert "123456789" not in str(info.value) and REDACTED in str(info.value)


def test_secret_refuses_pickling() -> None:
    """A Secret cannot be written out through pickle."""
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))


@given(notebook_json)
def test_round_trip(raw: dict[str, object]) -> None:
    """Any valid response decodes, unstructures and decodes again to an equal notebook."""
    nb = codec.decode_notebook(raw)
    again = codec.decode_notebook(json.dumps(codec.unstructure(nb, reveal_secrets=True)))
    assert again == nb


@given(notebook_json)
def test_decoding_is_strict_about_types_only(raw: dict[str, object]) -> None:
    """Every generated valid response decodes, and a wrong-typed `name` is always caught."""
    codec.decode_notebook(raw)
    with pytest.raises(DecodeError, match=r"^name: expected string"):
        codec.decode_notebook({**raw, "name": 42})


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(number: str) -> None:
    """NaN and infinities (which json.loads accepts) are decode errors, so every plan stays valid JSON."""
    with pytest.raises(DecodeError, match=r"custom_spec\.gpu: expected finite number"):
        codec.decode_notebook(f'{{"custom_spec": {{"gpu": {number}}}}}')
