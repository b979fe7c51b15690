"""Shared pytest configuration: Hypothesis profiles and common fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# `ci` (the default) keeps property runs bounded so the suite stays within minutes on 2 cores, and
# derandomized so that the same commit runs the same examples on every run (a failure found by a
# random search is fixed and kept as an `@example`, never left to turn up at random in CI);
# HYPOTHESIS_PROFILE=thorough runs many more, random, examples locally to look for new failures.
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def example_body() -> bytes:
    """The API page's example response, as bytes."""
    return (DATA / "show-notebook-example.json").read_bytes()


@pytest.fixture
def rich_body() -> bytes:
    """A response with every known field set."""
    return (DATA / "rich-notebook.json").read_bytes()
