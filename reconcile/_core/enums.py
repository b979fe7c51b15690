"""The documented option lists of the ModelArts notebook API, as open enums.

An *open* enum accepts a value the documentation does not list: `NotebookStatus("HIBERNATING")`
returns a member-like value whose `.value` is exactly "HIBERNATING" and whose `known` is False. The
service adds states over time, and a new state must never break a drift check; it stays visible,
character for character, in every output.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "AffinityOperator",
    "BillingItem",
    "DataVolumeStatus",
    "DevService",
    "Feature",
    "ImageArch",
    "ImageFlavorType",
    "ImageOrigin",
    "ImageServiceType",
    "ImageStatus",
    "ImageType",
    "ImageVisibility",
    "JobStatus",
    "JobStep",
    "LeaseType",
    "MountType",
    "NotebookStatus",
    "OpenIntEnum",
    "OpenStrEnum",
    "ResourceCategory",
    "VolumeCategory",
    "VolumeOwnership",
    "VolumeStatus",
]


class OpenStrEnum(enum.StrEnum):
    """A string enum that also holds values outside its documented list, keeping their exact text."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """Whether the documentation lists this value."""
        return self._name_ in type(self).__members__


class OpenIntEnum(enum.IntEnum):
    """An integer enum that also holds values outside its documented list."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = str(value)
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """Whether the documentation lists this value."""
        return self._name_ in type(self).__members__


class NotebookStatus(OpenStrEnum):
    """Instance status (API page, Table 2)."""

    INIT = "INIT"
    CREATING = "CREATING"
    STARTING = "STARTING"
    STOPPING = "STOPPING"
    DELETING = "DELETING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SNAPSHOTTING = "SNAPSHOTTING"
    CREATE_FAILED = "CREATE_FAILED"
    START_FAILED = "START_FAILED"
    DELETE_FAILED = "DELETE_FAILED"
    ERROR = "ERROR"
    DELETED = "DELETED"
    FROZEN = "FROZEN"


class Feature(OpenStrEnum):
    """Instance type: DEFAULT is the free CodeLab instance, NOTEBOOK a billed one."""

    DEFAULT = "DEFAULT"
    NOTEBOOK = "NOTEBOOK"


class JobStatus(OpenStrEnum):
    """Status of one initialisation step (Table 3)."""

    WAITING = "WAITING"
    PROCESSING = "PROCESSING"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"


class JobStep(OpenIntEnum):
    """Initialisation step number (Table 3)."""

    PREPARE_STORAGE = 1
    PREPARE_COMPUTE = 2
    CONFIGURE_NETWORK = 3
    INITIALIZE_INSTANCE = 4


class DevService(OpenStrEnum):
    """A way to reach the notebook (Table 4; image `dev_services`)."""

    NOTEBOOK = "NOTEBOOK"
    SSH = "SSH"


class ImageArch(OpenStrEnum):
    """Processor architecture of an image (also `custom_spec.arch`)."""

    X86_64 = "X86_64"
    AARCH64 = "AARCH64"


class ImageOrigin(OpenStrEnum):
    """Where an image came from."""

    CUSTOMIZE = "CUSTOMIZE"
    IMAGE_SAVE = "IMAGE_SAVE"


class ResourceCategory(OpenStrEnum):
    """Flavor category an image supports (also `custom_spec.category`)."""

    CPU = "CPU"
    GPU = "GPU"


class ImageServiceType(OpenStrEnum):
    """What an image is for."""

    COMMON = "COMMON"
    INFERENCE = "INFERENCE"
    TRAIN = "TRAIN"
    DEV = "DEV"
    UNKNOWN = "UNKNOWN"


class ImageStatus(OpenStrEnum):
    """Image status."""

    INIT = "INIT"
    CREATING = "CREATING"
    CREATE_FAILED = "CREATE_FAILED"
    ERROR = "ERROR"
    DELETED = "DELETED"
    ACTIVE = "ACTIVE"


class ImageType(OpenStrEnum):
    """Built-in or private image."""

    BUILD_IN = "BUILD_IN"
    DEDICATED = "DEDICATED"


class ImageVisibility(OpenStrEnum):
    """Image visibility."""

    PRIVATE = "PRIVATE"
    PUBLIC = "PUBLIC"


class ImageFlavorType(OpenStrEnum):
    """Ascend flavor type of an image (SDK model, beyond the page)."""

    ASCEND_SNT9 = "ASCEND_SNT9"
    ASCEND_SNT9B = "ASCEND_SNT9B"
    ASCEND_SNT3 = "ASCEND_SNT3"


class LeaseType(OpenStrEnum):
    """Auto-stop type: TIMING stops after a duration, IDLE after idleness."""

    TIMING = "TIMING"
    IDLE = "IDLE"


class VolumeCategory(OpenStrEnum):
    """Storage type (Table 8 lists SFS and EVS; the service also returns OBS, OBSFS and EFS)."""

    SFS = "SFS"
    EVS = "EVS"
    OBS = "OBS"
    OBSFS = "OBSFS"
    EFS = "EFS"


class VolumeOwnership(OpenStrEnum):
    """Who manages the storage: the service (MANAGED) or the user's account (DEDICATED, EFS only)."""

    MANAGED = "MANAGED"
    DEDICATED = "DEDICATED"


class VolumeStatus(OpenStrEnum):
    """EVS resize state (RESIZING is documented; Terraform also waits on INITIALIZING and DELETING)."""

    RESIZING = "RESIZING"
    INITIALIZING = "INITIALIZING"
    DELETING = "DELETING"


class MountType(OpenStrEnum):
    """How a volume is mounted."""

    STATIC = "STATIC"
    DYNAMIC = "DYNAMIC"


class DataVolumeStatus(OpenStrEnum):
    """Mount state of an extra data volume."""

    MOUNTING = "MOUNTING"
    MOUNTED = "MOUNTED"
    UNMOUNTING = "UNMOUNTING"
    UNMOUNTED = "UNMOUNTED"
    MOUNT_FAILED = "MOUNT_FAILED"
    UNMOUNT_FAILED = "UNMOUNT_FAILED"


class BillingItem(OpenStrEnum):
    """What a notebook is billed for."""

    STORAGE = "STORAGE"
    COMPUTE = "COMPUTE"
    ALL = "ALL"


class AffinityOperator(OpenStrEnum):
    """Operator of a scheduling affinity rule."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"
