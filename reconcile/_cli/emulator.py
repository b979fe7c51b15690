"""`reconcile emulator`: serve saved notebooks as a local ModelArts API."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add"]


def add(commands: argparse._SubParsersAction[Any], *, full: bool) -> None:
    """Add the `emulator` command; its options (and the HTTP server) only when `full`."""
    p = commands.add_parser(
        "emulator",
        help="serve saved notebooks as a local ModelArts API (for demos and tests)",
        description="Serve notebooks from a directory of JSON files (GET bodies or list responses)\n"
        "under the real ModelArts paths, on loopback by default, with optional auth checks and\n"
        "injected faults.\n"
        "Prints its URL; pass it to `reconcile plan --endpoint URL`. Stop with Ctrl-C.",
        epilog="example:\n"
        "  EMULATOR_TOKEN=demo-token reconcile emulator --data examples/observed --port 8080\n"
        "  MODELARTS_AUTH_TOKEN=demo-token \\\n"
        "    reconcile plan examples/*.yaml --endpoint http://127.0.0.1:8080",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if full:
        from reconcile._emulator import cli

        cli.add_arguments(p)
        p.set_defaults(func=cli.run)
