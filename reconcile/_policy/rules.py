"""The built-in rules MA001-MA013: what each reads, its parameters, and its check.

A check reads the normalised document (`reconcile._policy.document`) and returns `Outcome`s. A rule
that cannot apply (the field is absent, a setting is unset) says `not_applicable`, never `pass`.
MA012 (drift) and MA013 (unmanaged notebooks) are not document checks: the engine judges them from
the plan and the fleet listing.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import ipaddress
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import attrs

from reconcile._core.report import Control, Severity, Status, Subject

__all__ = ["BUILTIN", "EVERYWHERE", "Outcome", "Param", "ParamKind", "RuleDef", "check_context"]

HELP_BASE = "https://github.com/modelarts-reconcile/modelarts-reconcile/blob/main/docs/rules.md"
EVERYWHERE = frozenset({"0.0.0.0/0", "::/0"})
_FAILED_STATES = frozenset({"CREATE_FAILED", "START_FAILED", "DELETE_FAILED", "ERROR", "FROZEN"})
_DAY_MS = 86_400_000


class ParamKind(enum.Enum):
    """How a rule parameter is written in a policy file."""

    DURATION = "duration"  # ms as an integer, or text such as `8h`
    DAYS = "days"  # an integer of days, or text such as `30d`
    INT = "int"
    STRINGS = "strings"  # a list of text
    CIDRS = "cidrs"  # a list of IP networks


@attrs.frozen
class Param:
    """One parameter of a built-in rule: its kind, default (already normalised) and bounds."""

    kind: ParamKind
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    doc: str = ""


class Outcome(NamedTuple):
    """What a check found: a status, one line of message, and the spec path it is about.

    A named tuple rather than an attrs class: checks make one per rule and notebook and state, and a
    tuple is built several times faster.
    """

    status: Status
    message: str
    field: str = ""


Check = Callable[[Mapping[str, Any], Mapping[str, Any], "Context"], list[Outcome]]


@attrs.frozen
class Context:
    """What a check may know beyond the document: which state it reads, and the evaluation time."""

    subject: Subject
    now: dt.datetime


def check_context(subject: Subject, now: dt.datetime) -> Context:
    """A check context (for the engine and for tests)."""
    return Context(subject, now)


@attrs.frozen
class RuleDef:
    """A built-in rule.

    Attributes:
        subjects: the states it judges (MA010 and MA011 read the observed state only).
        check: the document check, or None for rules the engine judges itself (MA012, MA013).
        volatile: the check reads `create_at` or `update_at`, unique to each notebook: the engine
            judges it notebook by notebook on `status_document`, where other checks are judged once
            per distinct `desired_key` / `observed_key` (the fields every other check reads).
    """

    id: str
    title: str
    severity: Severity
    reads: str
    rationale: str
    remediation: str
    controls: tuple[Control, ...]
    params: Mapping[str, Param] = attrs.field(factory=dict)
    subjects: frozenset[Subject] = frozenset(Subject)
    check: Check | None = None
    volatile: bool = False

    @property
    def help_uri(self) -> str:
        """Where the rule is documented."""
        return f"{HELP_BASE}#{self.id.lower()}"


def _na(message: str, field: str = "") -> list[Outcome]:
    return [Outcome(Status.NOT_APPLICABLE, message, field)]


def _ssh(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in doc.get("endpoints", ()) if e.get("dev_service") == "SSH"]


def _ep_field(ep: Mapping[str, Any], name: str) -> str:
    return f"endpoints[{ep.get('index', 0)}].{name}"


def _ma001(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    eps = _ssh(doc)
    if not eps:
        return _na("no SSH endpoint")
    out = []
    for ep in eps:
        field = _ep_field(ep, "allowed_access_ips")
        ips = ep.get("allowed_access_ips")
        if not ips:
            out.append(Outcome(Status.FAIL, "SSH endpoint has no allow-list: reachable from anywhere", field))
        elif wide := sorted(ip for ip in ips if ip in EVERYWHERE or _open_to_all(ip)):
            out.append(Outcome(Status.FAIL, f"SSH allow-list contains {', '.join(wide)}", field))
        else:
            out.append(Outcome(Status.PASS, "SSH allow-list is restricted", field))
    return out


@functools.lru_cache(maxsize=4096)  # fleets repeat the same few allow-lists
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


#: IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`): a network here stands for the IPv4 network it maps.
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _judged(
    net: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network as a rule judges it: an IPv6 network over IPv4-mapped space as the IPv4 one it
    reaches (`::ffff:0.0.0.0/96` is all of IPv4, `::ffff:10.0.0.0/104` is 10.0.0.0/8)."""
    if net.version != 6 or not net.overlaps(_MAPPED):
        return net
    if net.prefixlen <= _MAPPED.prefixlen:
        return ipaddress.IPv4Network("0.0.0.0/0")
    mapped = int(net.network_address) & 0xFFFFFFFF
    return ipaddress.IPv4Network((mapped, net.prefixlen - _MAPPED.prefixlen))


def _open_to_all(ip: str) -> bool:
    """An entry that admits every address of a family: `/0`, or all of IPv4 spelled as IPv6."""
    net = _network(ip)
    return net is not None and _judged(net).prefixlen == 0


def _ma002(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    eps = [e for e in _ssh(doc) if e.get("allowed_access_ips")]
    if not eps:
        return _na("no SSH allow-list to judge")
    allowed = [n for n in (_network(c) for c in params.get("allowed_cidrs") or ()) if n is not None]
    out = []
    for ep in eps:
        bad = []
        # /0 (in any spelling) is MA001's
        judged = [ip for ip in ep["allowed_access_ips"] if ip not in EVERYWHERE and not _open_to_all(ip)]
        for ip in judged:
            written = _network(ip)
            if written is None:
                bad.append(f"{ip} (not an IP network)")
                continue
            net = _judged(written)
            limit = params["max_prefix"] if net.version == 4 else params["max_prefix_v6"]
            if net.prefixlen < limit:
                bad.append(f"{ip} (broader than /{limit})")
            elif params.get("allowed_cidrs") is not None and not any(
                net.version == a.version and net.subnet_of(a)  # type: ignore[arg-type]
                for a in allowed
            ):
                bad.append(f"{ip} (outside allowed_cidrs)")
        field = _ep_field(ep, "allowed_access_ips")
        if not judged:
            out.append(Outcome(Status.NOT_APPLICABLE, "only open-to-all entries (judged by MA001)", field))
        elif bad:
            out.append(Outcome(Status.FAIL, "SSH allow-list entries too broad: " + "; ".join(bad), field))
        else:
            out.append(Outcome(Status.PASS, "SSH allow-list entries are narrow enough", field))
    return out


def _ma003(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    eps = _ssh(doc)
    if not eps:
        return _na("no SSH endpoint")
    return [
        Outcome(Status.PASS, "SSH endpoint has a key pair", _ep_field(ep, "ssh_keys"))
        if ep.get("ssh_keys")
        else Outcome(Status.FAIL, "SSH endpoint has no key pair", _ep_field(ep, "ssh_keys"))
        for ep in eps
    ]


def _ma004(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    enable = doc.get("lease", {}).get("enable")
    if enable is None:
        return _na("auto-stop is not stated", "lease.enable")
    if enable:
        return [Outcome(Status.PASS, "auto-stop is enabled", "lease.enable")]
    return [Outcome(Status.FAIL, "auto-stop is disabled", "lease.enable")]


def _hours(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes = rest // 60_000
    return f"{hours}h{minutes}m" if minutes else f"{hours}h"


def _ma005(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    lease = doc.get("lease", {})
    duration = lease.get("duration")
    if lease.get("enable") is False:
        return _na("auto-stop is disabled (judged by MA004)", "lease.duration")
    if duration is None:
        return _na("the lease duration is not stated", "lease.duration")
    limit = params["max_lease"]
    if duration > limit:
        return [
            Outcome(
                Status.FAIL,
                f"auto-stop after {_hours(duration)}, longer than {_hours(limit)}",
                "lease.duration",
            )
        ]
    return [Outcome(Status.PASS, f"auto-stop after {_hours(duration)}", "lease.duration")]


def _ma006(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    orgs = params.get("allowed_image_orgs")
    if orgs is None:
        return _na("allowed_image_orgs is not set", "image")
    image = doc.get("image")
    if image is None:
        return _na("the image is not stated", "image")
    org = image.get("namespace")
    if org is None:
        what = "named by id" if "id" in image else "named without an SWR organisation"
        return _na(f"the image is {what}", "image")
    field = "image.swr_path" if "swr_path" in image else "image"
    if org in orgs:
        return [Outcome(Status.PASS, f"image organisation {org!r} is approved", field)]
    return [Outcome(Status.FAIL, f"image organisation {org!r} is not in allowed_image_orgs", field)]


def _ma007(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    flavors = params.get("allowed_flavors")
    if flavors is None:
        return _na("allowed_flavors is not set", "flavor")
    flavor = doc.get("flavor")
    if flavor is None:
        return _na("the flavor is not stated", "flavor")
    if flavor in flavors:
        return [Outcome(Status.PASS, f"flavor {flavor!r} is allowed", "flavor")]
    return [Outcome(Status.FAIL, f"flavor {flavor!r} is not in allowed_flavors", "flavor")]


def _ma008(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    capacity = doc.get("volume", {}).get("capacity")
    if capacity is None:
        return _na("the volume capacity is not stated", "volume.capacity")
    limit = params["max_capacity_gb"]
    if capacity > limit:
        return [Outcome(Status.FAIL, f"volume of {capacity} GB exceeds {limit} GB", "volume.capacity")]
    return [Outcome(Status.PASS, f"volume of {capacity} GB", "volume.capacity")]


def _ma009(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    required = params.get("required_tags")
    if required is None:
        return _na("required_tags is not set", "tags")
    tags = doc.get("tags")
    if tags is None:
        if ctx.subject is Subject.DESIRED:
            return _na("the spec states no tags", "tags")
        tags = {}
    missing = [key for key in required if key not in tags]
    if missing:
        return [Outcome(Status.FAIL, f"missing required tags: {', '.join(missing)}", "tags")]
    return [Outcome(Status.PASS, "every required tag is present", "tags")]


def _ma010(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    status = doc.get("status")
    if status is None:
        return _na("the service gave no status", "status")
    if status in _FAILED_STATES:
        reason = doc.get("fail_reason")
        return [Outcome(Status.FAIL, f"status {status}" + (f": {reason}" if reason else ""), "status")]
    return [Outcome(Status.PASS, f"status {status}", "status")]


def _ma011(doc: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    status = doc.get("status")
    if status is None:
        return _na("the service gave no status", "status")
    if status != "STOPPED":
        return [Outcome(Status.PASS, f"status {status}", "status")]
    update_at = doc.get("update_at")
    if update_at is None:
        return _na("STOPPED, but the service gave no update time", "status")
    now_ms = int(ctx.now.timestamp() * 1000)
    days = (now_ms - update_at) // _DAY_MS
    limit = params["max_stopped_days"]
    if days > limit:
        return [Outcome(Status.FAIL, f"STOPPED for {days} days (more than {limit})", "status")]
    return [Outcome(Status.PASS, f"STOPPED for {max(days, 0)} days", "status")]


def _c(framework: str, cid: str, title: str, judgement: bool = False) -> Control:
    return Control(framework, cid, title, judgement)


_ISO, _CIS, _NIST = "ISO/IEC 27001:2022", "CIS Controls v8", "NIST SP 800-53 Rev. 5"

BUILTIN: dict[str, RuleDef] = {
    r.id: r
    for r in (
        RuleDef(
            "MA001",
            "SSH endpoint reachable from anywhere",
            Severity.CRITICAL,
            "endpoints[SSH].allowed_access_ips",
            "An SSH endpoint without an allow-list, or with 0.0.0.0/0 or ::/0 in it, accepts connections "
            "from the whole internet: every credential-guessing bot can reach the notebook.",
            "List the networks that need SSH in `allowed_access_ips` (office egress, VPN, bastion).",
            (
                _c(_ISO, "A.8.20", "Networks security"),
                _c(_ISO, "A.8.22", "Segregation of networks", True),
                _c(_CIS, "4.4", "Implement and Manage a Firewall on Servers"),
                _c(_CIS, "12.2", "Establish and Maintain a Secure Network Architecture", True),
                _c(_NIST, "AC-17", "Remote Access"),
                _c(_NIST, "SC-7", "Boundary Protection"),
            ),
            check=_ma001,
        ),
        RuleDef(
            "MA002",
            "SSH allow-list entry too broad",
            Severity.HIGH,
            "endpoints[SSH].allowed_access_ips",
            "A wide network (a /8, a /16) in an SSH allow-list exposes the notebook to many hosts nobody "
            "vetted; an allow-list is only as good as its broadest entry.",
            "Narrow each entry to at most `max_prefix` (default /24, /64 for IPv6), inside `allowed_cidrs`.",
            (
                _c(_ISO, "A.8.20", "Networks security"),
                _c(_CIS, "4.4", "Implement and Manage a Firewall on Servers"),
                _c(_NIST, "SC-7", "Boundary Protection"),
                _c(_NIST, "AC-17", "Remote Access", True),
            ),
            params={
                "max_prefix": Param(ParamKind.INT, 24, 0, 32, "the broadest IPv4 prefix allowed"),
                "max_prefix_v6": Param(ParamKind.INT, 64, 0, 128, "the broadest IPv6 prefix allowed"),
                "allowed_cidrs": Param(ParamKind.CIDRS, None, doc="networks every entry must lie inside"),
            },
            check=_ma002,
        ),
        RuleDef(
            "MA003",
            "SSH endpoint without a key pair",
            Severity.HIGH,
            "endpoints[SSH].ssh_keys / key_pair_names",
            "ModelArts SSH access authenticates with a key pair; an endpoint without one cannot be "
            "attributed to a person and its access cannot be revoked key by key.",
            "Name at least one key pair in the SSH endpoint's `ssh_keys`.",
            (
                _c(_ISO, "A.8.5", "Secure authentication"),
                _c(_CIS, "6.3", "Require MFA for Externally-Exposed Applications", True),
                _c(_NIST, "IA-2", "Identification and Authentication (Organizational Users)"),
                _c(_NIST, "IA-5", "Authenticator Management"),
            ),
            check=_ma003,
        ),
        RuleDef(
            "MA004",
            "Auto-stop disabled",
            Severity.MEDIUM,
            "lease.enable",
            "A notebook without auto-stop keeps running (and billing, and exposing its endpoints) after "
            "its user has gone home; idle sessions are an open door nobody watches.",
            "Set `lease.enable: true` with a `duration`.",
            (
                _c(_ISO, "A.8.6", "Capacity management", True),
                _c(_CIS, "4.3", "Configure Automatic Session Locking on Enterprise Assets", True),
                _c(_NIST, "AC-12", "Session Termination", True),
                _c(_NIST, "CM-6", "Configuration Settings"),
            ),
            check=_ma004,
        ),
        RuleDef(
            "MA005",
            "Auto-stop lease too long",
            Severity.LOW,
            "lease.duration",
            "A long lease is nearly as good as none: the notebook stays up long after the work is done.",
            "Lower `lease.duration` to at most `max_lease` (default 8h).",
            (
                _c(_ISO, "A.8.6", "Capacity management", True),
                _c(_CIS, "4.3", "Configure Automatic Session Locking on Enterprise Assets", True),
                _c(_NIST, "AC-12", "Session Termination", True),
            ),
            params={
                "max_lease": Param(ParamKind.DURATION, 8 * 3_600_000, 1, None, "the longest lease allowed")
            },
            check=_ma005,
        ),
        RuleDef(
            "MA006",
            "Image from an unapproved SWR organisation",
            Severity.HIGH,
            "image.swr_path / namespace",
            "An image is software installed on the notebook; one from an organisation nobody vets can carry "
            "anything. Approved organisations are where the platform team builds and scans images.",
            "Use an image from an organisation in `allowed_image_orgs`.",
            (
                _c(_ISO, "A.8.19", "Installation of software on operational systems"),
                _c(_CIS, "2.5", "Allowlist Authorized Software"),
                _c(_NIST, "CM-7", "Least Functionality"),
                _c(_NIST, "CM-11", "User-Installed Software"),
                _c(_NIST, "SI-7", "Software, Firmware, and Information Integrity", True),
            ),
            params={"allowed_image_orgs": Param(ParamKind.STRINGS, None, doc="SWR organisations allowed")},
            check=_ma006,
        ),
        RuleDef(
            "MA007",
            "Flavor not allowed",
            Severity.MEDIUM,
            "flavor",
            "Flavors set cost and capacity; an unlisted GPU flavor can exhaust a quota or a budget.",
            "Choose a flavor in `allowed_flavors`.",
            (
                _c(_ISO, "A.8.6", "Capacity management"),
                _c(_CIS, "4.1", "Establish and Maintain a Secure Configuration Process", True),
                _c(_NIST, "CM-6", "Configuration Settings"),
                _c(_NIST, "SC-6", "Resource Availability", True),
            ),
            params={"allowed_flavors": Param(ParamKind.STRINGS, None, doc="flavors allowed")},
            check=_ma007,
        ),
        RuleDef(
            "MA008",
            "Volume too large",
            Severity.LOW,
            "volume.capacity",
            "Large volumes collect data nobody inventories, and cost money when forgotten.",
            "Lower `volume.capacity` to at most `max_capacity_gb` (default 1024), or keep data in OBS.",
            (
                _c(_ISO, "A.8.6", "Capacity management"),
                _c(_CIS, "3.1", "Establish and Maintain a Data Management Process", True),
                _c(_NIST, "SC-6", "Resource Availability", True),
            ),
            params={"max_capacity_gb": Param(ParamKind.INT, 1024, 1, None, "the largest volume in GB")},
            check=_ma008,
        ),
        RuleDef(
            "MA009",
            "Required tag missing",
            Severity.LOW,
            "tags",
            "Tags name the owner, the cost centre and the data class; an untagged notebook cannot be "
            "attributed in an inventory or a bill.",
            "Add every key of `required_tags` to the notebook's `tags`.",
            (
                _c(_ISO, "A.5.9", "Inventory of information and other associated assets"),
                _c(_CIS, "1.1", "Establish and Maintain Detailed Enterprise Asset Inventory"),
                _c(_NIST, "CM-8", "System Component Inventory"),
            ),
            params={
                "required_tags": Param(ParamKind.STRINGS, None, doc="tag keys every notebook must carry")
            },
            check=_ma009,
        ),
        RuleDef(
            "MA010",
            "Notebook in a failed state",
            Severity.MEDIUM,
            "status, fail_reason",
            "A notebook in CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR or FROZEN is not doing its job "
            "and may hold resources (volumes, addresses) nobody manages.",
            "Read `fail_reason`, fix the cause, then recover, restart or delete the notebook.",
            (
                _c(_ISO, "A.8.16", "Monitoring activities", True),
                _c(_CIS, "4.1", "Establish and Maintain a Secure Configuration Process", True),
                _c(_NIST, "SI-4", "System Monitoring", True),
                _c(_NIST, "CP-10", "System Recovery and Reconstitution", True),
            ),
            subjects=frozenset({Subject.OBSERVED}),
            check=_ma010,
        ),
        RuleDef(
            "MA011",
            "Notebook stopped for too long",
            Severity.LOW,
            "status, update_at",
            "A notebook stopped for weeks is usually abandoned; its volume keeps data (and costs) nobody "
            "reviews.",
            "Delete it, or start it and record who owns it.",
            (
                _c(_ISO, "A.5.9", "Inventory of information and other associated assets", True),
                _c(_CIS, "1.1", "Establish and Maintain Detailed Enterprise Asset Inventory", True),
                _c(_NIST, "CM-8", "System Component Inventory", True),
            ),
            params={
                "max_stopped_days": Param(ParamKind.DAYS, 30, 0, None, "days a notebook may stay STOPPED")
            },
            subjects=frozenset({Subject.OBSERVED}),
            check=_ma011,
            volatile=True,
        ),
        RuleDef(
            "MA012",
            "Notebook drifted from its spec",
            Severity.MEDIUM,
            "the plan",
            "The spec is the notebook's configuration baseline; a live notebook that differs from it runs "
            "a configuration nobody reviewed.",
            "Run `reconcile plan` and apply the spec, change the spec, or acknowledge the drift with a "
            "`drift:` waiver.",
            (
                _c(_ISO, "A.8.9", "Configuration management"),
                _c(_CIS, "4.1", "Establish and Maintain a Secure Configuration Process"),
                _c(_NIST, "CM-2", "Baseline Configuration"),
                _c(_NIST, "CM-3", "Configuration Change Control"),
            ),
            subjects=frozenset({Subject.OBSERVED}),
        ),
        RuleDef(
            "MA013",
            "Notebook not managed by any spec",
            Severity.MEDIUM,
            "list API",
            "A notebook no spec declares escapes every other rule's review.",
            "Add it to a spec, or delete it.",
            (
                _c(_ISO, "A.5.9", "Inventory of information and other associated assets"),
                _c(_CIS, "1.2", "Address Unauthorized Assets"),
                _c(_NIST, "CM-8", "System Component Inventory"),
            ),
            subjects=frozenset({Subject.OBSERVED}),
        ),
    )
}
