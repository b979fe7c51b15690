"""The observed notebook: frozen attrs classes shaped like `GET /v1/{project_id}/notebooks/{id}`.

One class per table of the API page (Notebook = Table 2, JobProgress = 3, EndpointsRes = 4, Image = 5,
Lease = 6, Pool = 7, VolumeRes = 8) with every documented field, plus the fields the service is known
to return beyond the page (docs/design.md, "The ModelArts API facts"). Every field is optional: the
service omits fields freely and sends JSON null for others. Lists are tuples, so every instance is hashable.

Where the service uses two spellings, the model keeps one field and the decoder reads both:
`ssh_keys` / `key_pair_names`, `dev_service` / `service`, `step_description` / `description`
(see `ALIASES`). Times stay integers (milliseconds since the epoch, UTC); `ms_to_datetime` and the
`*_datetime` properties read them as datetimes. The `token` is a `Secret`: it never shows in a repr.
Every class is dict-based (`slots=False`): the one-pass decoder fills an instance's `__dict__` in
place, which is what a frozen dict-based `__init__` does, at a fraction of the cost of a call.
Decoding lives in `reconcile._codec`; this module imports nothing but attrs and our own leaves.
"""

from __future__ import annotations

import datetime as dt

import attrs

from reconcile._core.enums import (
    AffinityOperator,
    BillingItem,
    DataVolumeStatus,
    DevService,
    Feature,
    ImageArch,
    ImageFlavorType,
    ImageOrigin,
    ImageServiceType,
    ImageStatus,
    ImageType,
    ImageVisibility,
    JobStatus,
    JobStep,
    LeaseType,
    MountType,
    NotebookStatus,
    ResourceCategory,
    VolumeCategory,
    VolumeOwnership,
    VolumeStatus,
)
from reconcile._core.normalize import image_reference, join_image_reference
from reconcile._core.secrets import Secret

__all__ = [
    "ALIASES",
    "SECRET_FIELDS",
    "Affinity",
    "AffinityRule",
    "CustomSpec",
    "DataVolume",
    "Domain",
    "EndpointsRes",
    "Image",
    "JobProgress",
    "Lease",
    "Notebook",
    "NotebookList",
    "Pool",
    "RunUser",
    "TmsTag",
    "User",
    "UserVpc",
    "VolumeRes",
    "ms_to_datetime",
]

#: Field names whose values are secrets wherever they appear.
SECRET_FIELDS = frozenset({"token"})


def ms_to_datetime(ms: int | None) -> dt.datetime | None:
    """Read a ModelArts time (milliseconds since the epoch, UTC) as an aware datetime; None stays None."""
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


@attrs.frozen(slots=False)
class JobProgress:
    """Progress of one initialisation step (Table 3).

    Attributes:
        notebook_id: the instance id (older documentation and golangsdk only).
        status: WAITING, PROCESSING, FAILED or COMPLETED.
        step: 1 storage, 2 compute, 3 network, 4 instance initialisation.
        step_description: what the step does (`description` in SDK 3.1.219).
    """

    notebook_id: str | None = None
    status: JobStatus | None = None
    step: JobStep | None = None
    step_description: str | None = None


@attrs.frozen(slots=False)
class EndpointsRes:
    """One way to reach the notebook, with its SSH access rules (Table 4).

    Attributes:
        allowed_access_ips: public IPs or CIDRs allowed to reach the instance over SSH; absent = all.
        dev_service: NOTEBOOK (HTTPS) or SSH (`service` in the SDK model).
        ssh_keys: SSH key pair names (`key_pair_names` in the SDK model).
        uri: private IP:port of the endpoint (beyond the page).
    """

    allowed_access_ips: tuple[str, ...] | None = None
    dev_service: DevService | None = None
    ssh_keys: tuple[str, ...] | None = None
    uri: str | None = None


@attrs.frozen(slots=False)
class TmsTag:
    """A resource tag."""

    key: str | None = None
    value: str | None = None


@attrs.frozen(slots=False)
class Image:
    """The notebook's image (Table 5, plus `tag`, `flavor_type`, `swr_instance_id`, `show_name`,
    `show_tag` and `tags` from the SDK model).

    Attributes:
        arch: X86_64 or AARCH64.
        create_at: creation time, ms since the epoch (UTC).
        description: up to 512 characters.
        dev_services: services the image supports (NOTEBOOK, SSH).
        id: image UUID.
        name: image name.
        namespace: SWR organisation.
        origin: CUSTOMIZE or IMAGE_SAVE.
        resource_categories: flavors supported (CPU, GPU).
        service_type: COMMON, INFERENCE, TRAIN, DEV or UNKNOWN.
        size: image size in KB.
        status: INIT, CREATING, CREATE_FAILED, ERROR, DELETED or ACTIVE.
        status_message: build information while saving.
        support_res_categories: flavors supported (CPU, GPU).
        swr_path: SWR image address, usually ending in `:TAG`.
        tag: image tag (often absent: then it is the suffix of `swr_path`).
        type: BUILD_IN or DEDICATED.
        update_at: last update time, ms since the epoch (UTC).
        visibility: PRIVATE or PUBLIC.
        workspace_id: workspace id, "0" for the default workspace.
    """

    arch: ImageArch | None = None
    create_at: int | None = None
    description: str | None = None
    dev_services: tuple[DevService, ...] | None = None
    id: str | None = None
    name: str | None = None
    namespace: str | None = None
    origin: ImageOrigin | None = None
    resource_categories: tuple[ResourceCategory, ...] | None = None
    service_type: ImageServiceType | None = None
    size: int | None = None
    status: ImageStatus | None = None
    status_message: str | None = None
    support_res_categories: tuple[ResourceCategory, ...] | None = None
    swr_path: str | None = None
    tag: str | None = None
    type: ImageType | None = None
    update_at: int | None = None
    visibility: ImageVisibility | None = None
    workspace_id: str | None = None
    flavor_type: ImageFlavorType | None = None
    swr_instance_id: str | None = None
    show_name: str | None = None
    show_tag: str | None = None
    tags: tuple[TmsTag, ...] | None = None

    @property
    def effective_tag(self) -> str | None:
        """The image tag: `tag` when the service sent one, else the `:TAG` of `swr_path` (before
        any `@digest`; a digest-only reference has no tag)."""
        if self.tag:
            return self.tag
        return image_reference(self.swr_path)[1] if self.swr_path else None

    @property
    def tagged_swr_path(self) -> str | None:
        """`swr_path` with `:TAG` inserted from `tag` when the path carries no tag of its own.

        A `tag` that would not read back as the tag of the joined reference (one holding `/` or
        `@`, say) is not inserted: the path is then compared as it is.
        """
        if self.swr_path is None or not self.tag:
            return self.swr_path
        repository, tag, digest = image_reference(self.swr_path)
        if tag:
            return self.swr_path
        joined = join_image_reference(repository, self.tag, digest)
        return joined if image_reference(joined) == (repository, self.tag, digest) else self.swr_path

    @property
    def create_at_datetime(self) -> dt.datetime | None:
        """`create_at` as an aware UTC datetime."""
        return ms_to_datetime(self.create_at)

    @property
    def update_at_datetime(self) -> dt.datetime | None:
        """`update_at` as an aware UTC datetime."""
        return ms_to_datetime(self.update_at)


@attrs.frozen(slots=False)
class Lease:
    """Auto-stop countdown (Table 6).

    Attributes:
        create_at: when the lease started, ms since the epoch (UTC).
        duration: running time allowed from `create_at`, in ms.
        enable: whether auto-stop is on.
        type: TIMING or IDLE.
        update_at: last update (heartbeats excluded), ms since the epoch (UTC).
    """

    create_at: int | None = None
    duration: int | None = None
    enable: bool | None = None
    type: LeaseType | None = None
    update_at: int | None = None

    @property
    def create_at_datetime(self) -> dt.datetime | None:
        """`create_at` as an aware UTC datetime."""
        return ms_to_datetime(self.create_at)

    @property
    def update_at_datetime(self) -> dt.datetime | None:
        """`update_at` as an aware UTC datetime."""
        return ms_to_datetime(self.update_at)

    @property
    def stops_at_datetime(self) -> dt.datetime | None:
        """When auto-stop will stop the instance, if it is enabled and the times are known."""
        if not self.enable or self.create_at is None or self.duration is None:
            return None
        return ms_to_datetime(self.create_at + self.duration)


@attrs.frozen(slots=False)
class Pool:
    """The dedicated resource pool the instance runs in (Table 7)."""

    id: str | None = None
    name: str | None = None


@attrs.frozen(slots=False)
class VolumeRes:
    """The notebook's storage volume (Table 8, plus fields of the SDK model).

    Attributes:
        capacity: size in GB (defaults 5 for EVS, 50 for EFS; at most 4096).
        category: SFS or EVS (the service also returns OBS, OBSFS, EFS).
        mount_path: where it is mounted, `/home/ma-user/work/`.
        ownership: MANAGED or DEDICATED.
        status: EVS resize state (RESIZING).
    """

    capacity: int | None = None
    category: VolumeCategory | None = None
    mount_path: str | None = None
    ownership: VolumeOwnership | None = None
    status: VolumeStatus | None = None
    id: str | None = None
    read_only: bool | None = None
    dew_secret_name: str | None = None
    evs_sku_code: str | None = None
    uri: str | None = None
    mount_type: MountType | None = None


@attrs.frozen(slots=False)
class CustomSpec:
    """A custom resource spec used instead of a flavor (beyond the page)."""

    gpu: float | None = None
    gpu_type: str | None = None
    cpu: float | None = None
    memory: float | None = None
    arch: ImageArch | None = None
    category: ResourceCategory | None = None
    resource_flavor: str | None = None


@attrs.frozen(slots=False)
class Domain:
    """The account (domain) a user belongs to."""

    id: str | None = None
    name: str | None = None


@attrs.frozen(slots=False)
class User:
    """The notebook's owner (beyond the page)."""

    id: str | None = None
    name: str | None = None
    domain: Domain | None = None


@attrs.frozen(slots=False)
class AffinityRule:
    """One scheduling affinity rule."""

    key: str | None = None
    operator: AffinityOperator | None = None
    values: tuple[str, ...] | None = None
    weight: int | None = None


@attrs.frozen(slots=False)
class Affinity:
    """Scheduling affinity (beyond the page)."""

    required_during_scheduling_ignored_during_execution: tuple[AffinityRule, ...] | None = None
    preferred_during_scheduling_ignored_during_execution: tuple[AffinityRule, ...] | None = None


@attrs.frozen(slots=False)
class RunUser:
    """The user the notebook's processes run as (beyond the page)."""

    uid: int | None = None
    gid: int | None = None
    user_name: str | None = None
    group_name: str | None = None


@attrs.frozen(slots=False)
class DataVolume:
    """An extra mounted data volume (beyond the page)."""

    category: VolumeCategory | None = None
    mount_path: str | None = None
    url: str | None = None
    status: DataVolumeStatus | None = None
    mount_type: MountType | None = None


@attrs.frozen(slots=False)
class UserVpc:
    """The user's VPC the notebook is attached to (beyond the page).

    `connect_cidrs` is a string in the SDK's response model and a list in its request model; both
    are accepted.
    """

    vpc_id: str | None = None
    subnet_id: str | None = None
    security_group_ids: tuple[str, ...] | None = None
    connect_cidrs: str | tuple[str, ...] | None = None
    port_id: tuple[str, ...] | None = None
    port_ip: str | None = None
    nat_id: str | None = None
    eip_id: str | None = None


@attrs.frozen(slots=False)
class Notebook:
    """Details of one notebook instance (Table 2, plus the fields the service returns beyond it).

    Attributes:
        action_progress: initialisation progress.
        description: instance description.
        endpoints: how the instance can be reached (NOTEBOOK, SSH) and who may reach it.
        fail_reason: why the instance failed, in a failed state.
        flavor: instance flavor (`custom.flavor.spec.code` when `custom_spec` is used).
        id: instance id.
        image: instance image.
        lease: auto-stop countdown.
        name: instance name.
        pool: dedicated resource pool, for instances created in one.
        status: INIT, CREATING, STARTING, STOPPING, DELETING, RUNNING, STOPPED, SNAPSHOTTING,
            CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR, DELETED or FROZEN (or a newer state).
        token: notebook authentication token: a Secret, never printed.
        url: URL of the instance.
        volume: storage volume.
        workspace_id: workspace id, "0" for the default workspace.
        feature: DEFAULT (free CodeLab) or NOTEBOOK (billed).
        create_at: creation time in ms, top-level (golangsdk and Terraform read it).
        update_at: last update time in ms, top-level.
    """

    action_progress: tuple[JobProgress, ...] | None = None
    description: str | None = None
    endpoints: tuple[EndpointsRes, ...] | None = None
    fail_reason: str | None = None
    flavor: str | None = None
    id: str | None = None
    image: Image | None = None
    lease: Lease | None = None
    name: str | None = None
    pool: Pool | None = None
    status: NotebookStatus | None = None
    token: Secret | None = attrs.field(default=None, repr=False)
    url: str | None = None
    volume: VolumeRes | None = None
    workspace_id: str | None = None
    feature: Feature | None = None
    custom_spec: CustomSpec | None = None
    billing_items: tuple[BillingItem, ...] | None = None
    user: User | None = None
    affinity: Affinity | None = None
    run_user: RunUser | None = None
    data_volumes: tuple[DataVolume, ...] | None = None
    ip: str | None = None
    user_vpc: UserVpc | None = None
    user_id: str | None = None
    is_need_credentials: bool | None = None
    jupyter_version: str | None = None
    tags: tuple[TmsTag, ...] | None = None
    create_at: int | None = None
    update_at: int | None = None

    def endpoint(self, service: DevService) -> EndpointsRes | None:
        """The first endpoint for `service` (SSH or NOTEBOOK), or None."""
        for ep in self.endpoints or ():
            if ep.dev_service == service:
                return ep
        return None

    @property
    def create_at_datetime(self) -> dt.datetime | None:
        """`create_at` as an aware UTC datetime."""
        return ms_to_datetime(self.create_at)

    @property
    def update_at_datetime(self) -> dt.datetime | None:
        """`update_at` as an aware UTC datetime."""
        return ms_to_datetime(self.update_at)


@attrs.frozen(slots=False)
class NotebookList:
    """The body of `GET /v1/{project_id}/notebooks`: one page of notebooks."""

    current: int | None = None
    data: tuple[Notebook, ...] | None = None
    pages: int | None = None
    size: int | None = None
    total: int | None = None


#: Second spellings the service uses, per class: {class: {alias: field}}.
ALIASES: dict[type, dict[str, str]] = {
    JobProgress: {"description": "step_description"},
    EndpointsRes: {"service": "dev_service", "key_pair_names": "ssh_keys"},
}
