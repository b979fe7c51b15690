"""The `reconcile emulator` command: its options (`add_arguments`) and what it runs (`run`).

Credentials not given as options are read from the environment by the names in `ENV_VARS`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any, Final

import attrs

from reconcile._core.errors import ConfigError, ReconcileError
from reconcile._core.secrets import Scrubber, Secret
from reconcile._core.text import clean_text
from reconcile._emulator.server import Emulator
from reconcile._emulator.settings import ENV_VARS, EmulatorAuth, Faults, Schedule

__all__ = ["add_arguments", "auth_from_args", "faults_from_args", "run"]


_SCHEDULED: Final = (
    ("reset", "reset the connection (TCP RST) of"),
    ("throttle", "answer HTTP 429 with Retry-After to"),
    ("unavailable", "answer --unavailable-status (503) to"),
    ("truncate", "cut off halfway the successful answer to"),
    ("invalid_json", "send a body that is not JSON for"),
    ("oversize", "pad to --oversize-bytes the successful answer to"),
    ("slow_body", "drip the body of the successful answer to"),
    ("endless_headers", "drip header lines forever (the headers never end), one per --drip-ms, to"),
    ("reset_body", "reset the connection halfway through the successful answer to"),
    ("lying_total", "serve the first page with a total of a million, whatever the offset, to"),
    ("echo", "echo the request's credentials, Authorization header and signature back to"),
)
#: Faults on writes, counted over write requests only (create, update, start, stop, lease).
_WRITE_SCHEDULED: Final = (
    ("fail_after_commit", "commit, then answer HTTP 500 to"),
    ("timeout_after_commit", "commit, then never answer (for --hang-ms) to"),
    ("conflict", "answer HTTP 409 (transitioning), changing nothing, to"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `reconcile emulator` options to `parser`."""
    parser.add_argument(
        "--data",
        required=True,
        metavar="PATH",
        help="saved API responses, as for `plan --observed`: a *.json file or a directory of them "
        "(read recursively), each a GET body or a list response",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port to bind, 0 to 65535 (default 0: any free port)"
    )
    parser.add_argument("--project-id", help="serve only this project; others answer HTTP 403")
    safer = "(safer than the option: arguments show in `ps`)"
    parser.add_argument(
        "--token",
        help=f"require this X-Auth-Token (or a valid AK/SK signature); or set ${ENV_VARS['token']} {safer}",
    )
    parser.add_argument(
        "--ak", help=f"accept requests signed with this access key (with --sk); or set ${ENV_VARS['ak']}"
    )
    parser.add_argument("--sk", help=f"the secret key of --ak; or set ${ENV_VARS['sk']} {safer}")
    parser.add_argument(
        "--security-token",
        help=f"with --ak: also require this X-Security-Token; or set ${ENV_VARS['security_token']} {safer}",
    )
    parser.add_argument(
        "--plain-404",
        action="append",
        default=[],
        metavar="ID",
        help="answer a plain HTTP 404 for this notebook id (repeatable); unknown ids get 400 ModelArts.6309",
    )
    parser.add_argument("--log-requests", action="store_true", help="print one line per request on stderr")
    faults = parser.add_argument_group("faults (N counts requests from 1, over all requests)")
    faults.add_argument(
        "--latency-ms", type=_non_negative, default=0, metavar="MS", help="delay every answer"
    )
    for name, what in _SCHEDULED:
        flag = name.replace("_", "-")
        faults.add_argument(
            f"--{flag}-first", type=_non_negative, default=0, metavar="N", help=f"{what} the first N requests"
        )
        faults.add_argument(
            f"--{flag}-every", type=_non_negative, default=0, metavar="N", help=f"{what} every Nth request"
        )
    for name, what in _WRITE_SCHEDULED:
        flag = name.replace("_", "-")
        faults.add_argument(
            f"--{flag}-first", type=_non_negative, default=0, metavar="N", help=f"{what} the first N writes"
        )
        faults.add_argument(
            f"--{flag}-every", type=_non_negative, default=0, metavar="N", help=f"{what} every Nth write"
        )
    faults.add_argument(
        "--hang-ms",
        type=_non_negative,
        default=10_000,
        metavar="MS",
        help="how long a --timeout-after-commit answer is held (default 10000)",
    )
    parser.add_argument(
        "--transition-ms",
        type=_non_negative,
        default=50,
        metavar="MS",
        help="how long STARTING, STOPPING and CREATING last (default 50)",
    )
    faults.add_argument(
        "--retry-after", type=_non_negative, default=1, metavar="S", help="Retry-After of a 429 (default 1)"
    )
    faults.add_argument(
        "--retry-after-text",
        metavar="TEXT",
        help="send this Retry-After with a 429 instead of --retry-after (e.g. an unreadable value)",
    )
    faults.add_argument(
        "--unavailable-status",
        type=int,
        default=503,
        metavar="CODE",
        help="status of the 5xx fault (default 503)",
    )
    faults.add_argument(
        "--oversize-bytes",
        type=_non_negative,
        default=16 * 1024 * 1024,
        metavar="N",
        help="size of a padded body (default 16 MiB)",
    )
    faults.add_argument(
        "--drip-bytes", type=int, default=64, metavar="N", help="bytes per drip of a slow body (default 64)"
    )
    faults.add_argument(
        "--drip-ms", type=_non_negative, default=50, metavar="MS", help="pause between drips (default 50)"
    )
    lists = parser.add_argument_group(
        "list faults (the list API's entries differ from the GET bodies; `plan --refresh list` "
        "plans from a list entry only when it carries every managed field and shows no drift, and "
        "confirms every other entry with a GET)"
    )
    lists.add_argument(
        "--sparse-list",
        metavar="FIELD",
        action="append",
        default=[],
        help="leave top-level FIELD (flavor, lease, ...) out of every list entry, as a list less "
        "detailed than the GET; the GET keeps it. An entry whose spec manages FIELD is then "
        "confirmed with a GET. Repeatable",
    )
    lists.add_argument(
        "--list-lag",
        metavar="FIELD=VALUE",
        action="append",
        default=[],
        type=_lag,
        help="make the listing lag behind the GET: every list entry shows VALUE for top-level FIELD "
        "while the GET shows the stored value, as if FIELD changed after the listing was made. "
        "VALUE replaces the whole field and is read as JSON when it parses (quoted for the shell: "
        "'lease={\"enable\":false}'), else as text (status=STOPPED, flavor=modelarts.vm.cpu.2u). "
        "A lagging value that looks like drift is confirmed with a GET; one equal "
        "to the desired value hides the real value until the next run, as any snapshot does. "
        "Repeatable (one FIELD each)",
    )


def faults_from_args(args: argparse.Namespace) -> Faults:
    """The `Faults` the parsed command-line options ask for."""
    schedules: dict[str, Any] = {
        name: Schedule(first=getattr(args, f"{name}_first"), every=getattr(args, f"{name}_every"))
        for name, _ in (*_SCHEDULED, *_WRITE_SCHEDULED)
    }
    faults = Faults(
        latency_ms=args.latency_ms,
        retry_after=args.retry_after,
        retry_after_text=args.retry_after_text,
        unavailable_status=args.unavailable_status,
        oversize_bytes=args.oversize_bytes,
        drip_bytes=args.drip_bytes,
        drip_ms=args.drip_ms,
        hang_ms=args.hang_ms,
        **schedules,
    )
    lag: list[tuple[str, Any]] = list(getattr(args, "list_lag", ()))
    fields = [field for field, _ in lag]
    repeated = sorted({field for field in fields if fields.count(field) > 1})
    if repeated:
        raise ConfigError(f"--list-lag: {', '.join(repeated)} given more than once (one value per field)")
    lists: dict[str, Any] = {"sparse_list": tuple(getattr(args, "sparse_list", ())), "list_lag": tuple(lag)}
    return attrs.evolve(faults, **lists)


def run(
    args: argparse.Namespace,
    *,
    stdout: Any = None,
    stderr: Any = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run `reconcile emulator`: print the URL on stdout, serve until Ctrl-C.

    Credentials not given as options are read from `env` (default `os.environ`), by the names in
    `ENV_VARS`; empty values count as unset.

    Returns:
        0 after Ctrl-C; 1, with a one-line message on stderr, when anything stops it from starting
        (the data, the options, the credentials or the address).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    environ = os.environ if env is None else env

    def fail(text: str) -> int:
        # No message we build quotes a secret, but the text of an unexpected error (or a path) might,
        # as it is or encoded: the one scrubber of every output redacts each form.
        scrub = Scrubber.of(*(_option(args, environ, name) for name in ("token", "sk", "security_token")))
        print(f"reconcile emulator: error: {clean_text(' '.join(scrub.text(text).split()))}", file=err)
        return 1

    try:
        emulator = Emulator(
            args.data,
            host=args.host,
            port=args.port,
            auth=auth_from_args(args, environ),
            faults=faults_from_args(args),
            plain_404_ids=args.plain_404,
            project_id=args.project_id,
            transition_ms=args.transition_ms,
            log=(lambda line: print(clean_text(line), file=err, flush=True)) if args.log_requests else None,
        )
    except (ReconcileError, ValueError) as exc:  # attrs validators raise ValueError
        return fail(str(exc))
    except Exception as exc:  # anything else is still one line, never a traceback
        return fail(f"{type(exc).__name__}: {exc}")
    try:
        emulator.start()
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    except Exception as exc:  # e.g. OverflowError for a port out of range, given programmatically
        return fail(f"cannot listen on {args.host}:{args.port}: {type(exc).__name__}: {exc}")
    try:
        print(emulator.url, file=out, flush=True)
        count = len(emulator.store.bodies)
        print(f"serving {count} notebook(s) from {args.data}; press Ctrl-C to stop", file=err, flush=True)
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def auth_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> EmulatorAuth:
    """The credentials the options ask for; an option not given is read from its `ENV_VARS` variable.

    Raises:
        ConfigError: an AK without an SK, or an SK without an AK.
    """
    token, ak, sk, security_token = (
        _option(args, env, name) for name in ("token", "ak", "sk", "security_token")
    )
    return EmulatorAuth(
        token=Secret(token) if token else None,
        ak=ak,
        sk=Secret(sk) if sk else None,
        security_token=Secret(security_token) if security_token else None,
    )


def _option(args: argparse.Namespace, env: Mapping[str, str], name: str) -> str | None:
    """Option `name` if given, else its environment variable; empty values count as unset."""
    given: str | None = getattr(args, name, None)
    return given or env.get(ENV_VARS[name], "").strip() or None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return value


def _lag(text: str) -> tuple[str, Any]:
    """`FIELD=VALUE` of `--list-lag`: VALUE as JSON when it parses, else as text."""
    field, equals, raw = text.partition("=")
    field = field.strip()
    if not equals or not field:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE (e.g. status=STOPPED), got {text!r}")
    if field == "id":
        raise argparse.ArgumentTypeError(
            "the id cannot lag: list entries are matched to notebooks by id (choose another field)"
        )
    try:  # NaN and Infinity are not JSON, and a number too long for Python is kept as text
        value: Any = json.loads(raw, parse_constant=_not_json)
    except ValueError:
        value = raw
    return field, value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value
