"""Tests for `reconcile._render.text`: the Terraform-style text plan."""

from __future__ import annotations

import re

import attrs
from hypothesis import given

from reconcile._core.plan import Action, ApplyMethod, Difference, Health, Plan, PlanError, ResourceChange
from reconcile._render import text
from reconcile._render.common import terminal_safe
from tests import plan_samples as samples

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

UPDATE_RESTART = """\
ModelArts notebooks compared with the desired state. \
Resource actions are indicated with the following symbols:
  ~ update in-place

modelarts-reconcile will perform the following actions:

  # huaweicloud_modelarts_notebook.train-box will be updated in-place
  # (the notebook is RUNNING: it is stopped for the update and started again afterwards)
  ~ resource "huaweicloud_modelarts_notebook" "train-box" {
        id     = "f9937afa-631e-4a8f-a8f7-3b6c800585f0"
      ~ flavor = "modelarts.vm.cpu.2u" -> "modelarts.vm.cpu.8u" # requires stop and restart
        # (9 unchanged attributes hidden)
    }

Plan: 0 to add, 1 to change, 0 to destroy.
"""

NESTED = """\
ModelArts notebooks compared with the desired state. \
Resource actions are indicated with the following symbols:
  ~ update in-place

modelarts-reconcile will perform the following actions:

  # huaweicloud_modelarts_notebook.dev-box will be updated in-place
  ~ resource "huaweicloud_modelarts_notebook" "dev-box" {
        id        = "f9937afa-631e-4a8f-a8f7-3b6c800585f0"
      ~ endpoints = {
          ~ SSH = {
              ~ allowed_access_ips = [
                  - "192.0.2.1/32",
                  + "198.51.100.0/24",
                    # (1 unchanged element hidden)
                ] # requires stop and restart
            }
        }
      ~ lease     = {
          ~ duration = 3600000 -> 7200000 # through the lease API
            # (3 unchanged attributes hidden)
        }
      ~ status    = "STOPPED" -> "RUNNING" # starts the notebook
      ~ volume    = {
          ~ capacity = 50 -> 100 # grows in place
            # (3 unchanged attributes hidden)
        }
        # (8 unchanged attributes hidden)
    }

Plan: 0 to add, 1 to change, 0 to destroy.
"""

REPLACE = """\
ModelArts notebooks compared with the desired state. \
Resource actions are indicated with the following symbols:
-/+ destroy and then create replacement

modelarts-reconcile will perform the following actions:

  # huaweicloud_modelarts_notebook.train-box must be replaced
-/+ resource "huaweicloud_modelarts_notebook" "train-box" {
      ~ id          = "f9937afa-631e-4a8f-a8f7-3b6c800585f0" -> (known after apply)
      ~ description = "api-test" -> "team sandbox"
      ~ token       = (sensitive value)
      ~ url         = "https://authoring-modelarts-xxxxx.xxxxx.com/f9937afa-631e-4a8f-a8f7-3b6c800585f0/lab" \
-> (known after apply)
      ~ volume      = {
          ~ category = "EFS" -> "EVS" # forces replacement
            # (2 unchanged attributes hidden)
        }
        # (7 unchanged attributes hidden)
    }

Plan: 1 to add, 0 to change, 1 to destroy.
"""

CREATE = """\
ModelArts notebooks compared with the desired state. \
Resource actions are indicated with the following symbols:
  + create

modelarts-reconcile will perform the following actions:

  # huaweicloud_modelarts_notebook.new-box will be created
  # (no notebook named new-box exists)
  + resource "huaweicloud_modelarts_notebook" "new-box" {
      + id          = (known after apply)
      + description = "team sandbox"
      + flavor      = "modelarts.vm.cpu.8u"
      + image       = {
          + name = "notebook2.0-mul-kernel-cpu-cp36"
          + tag  = "3.3.1.B007_V2"
        }
      + name        = "new-box"
      + volume      = {
          + capacity = 100
          + category = "EVS"
        }
    }

Plan: 1 to add, 0 to change, 0 to destroy.
"""


def test_update_with_restart_matches_terraform_layout() -> None:
    """An update needing a stop prints as Terraform would, with the restart comment and hidden count."""
    assert text.render(samples.update_restart()) == UPDATE_RESTART


def test_nested_paths_print_as_nested_levels_with_set_element_diffs() -> None:
    """Nested paths print as `key = { ... }` levels, sets element by element, each method with its comment."""
    assert text.render(samples.nested()) == NESTED


def test_replace_marks_forcing_path_and_unknown_computed_attributes() -> None:
    """A replacement says `-/+`, marks the forcing path, and shows the new id as known after apply."""
    assert text.render(samples.replace()) == REPLACE


def test_create_shows_desired_attributes() -> None:
    """A create shows every desired attribute with `+` and the id as known after apply."""
    assert text.render(samples.create()) == CREATE


def test_no_drift_says_no_changes() -> None:
    """A plan without changes or errors prints only the no-changes sentence."""
    assert text.render(samples.no_drift()) == "No changes. Your notebooks match the desired state.\n"


def test_pending_notebook_says_it_is_pending() -> None:
    """A pending notebook without changes is listed as pending, and the plan still says no changes."""
    out = text.render(samples.pending())
    assert out == (
        "  # huaweicloud_modelarts_notebook.warm-box will not be changed\n"
        '  # (pending: the notebook is "STARTING")\n'
        "  # (STARTING is a transitional state; plan again once it settles)\n"
        "\n"
        "No changes. Your notebooks match the desired state.\n"
    )


def test_failed_notebook_shows_failure_and_reason() -> None:
    """A failed notebook says it failed and prints the service's fail_reason note."""
    out = text.render(samples.failed())
    assert '  # (failed: the notebook is "ERROR")\n' in out
    assert "  # (fail_reason: insufficient resources in the pool)\n" in out
    assert '~ status = "ERROR" -> "RUNNING" # failed: needs recovery' in out


def test_errors_follow_the_footer() -> None:
    """Observation errors print as `Error: address: message` after the footer, in address order."""
    out = text.render(samples.errors())
    assert out.endswith(
        "Plan: 0 to add, 1 to change, 0 to destroy.\n"
        "\n"
        'Error: huaweicloud_modelarts_notebook.bad-body: notebooks/bad.json: image.size: expected int, got "big"\n'
        "\n"
        "Error: huaweicloud_modelarts_notebook.gone-box: "
        "GET /v1/p/notebooks/x: HTTP 503 Service Unavailable (request id 42)\n"
    )


def test_errors_without_changes_print_the_footer_not_no_changes() -> None:
    """With errors and no changes, the plan does not claim the notebooks match."""
    plan = Plan(samples.no_drift().resource_changes, samples.errors().errors)
    out = text.render(plan)
    assert "No changes" not in out
    assert out.startswith("Plan: 0 to add, 0 to change, 0 to destroy.\n\nError: ")


def test_legend_lists_only_actions_present_in_terraform_order() -> None:
    """The legend shows the symbols of the actions present, create before update before replace."""
    out = text.render(samples.many())
    legend = out.split("\n\n")[0].splitlines()[1:]
    assert legend == ["  + create", "  ~ update in-place", "-/+ destroy and then create replacement"]
    assert "Plan: 12 to add, 6 to change, 6 to destroy.\n" in out


def test_no_op_notebooks_are_not_shown() -> None:
    """Notebooks without changes, healthy and without notes, do not appear in a plan with changes."""
    out = text.render(samples.many())
    assert "box-00" not in out
    assert "# huaweicloud_modelarts_notebook.box-01 will be updated in-place" in out


def test_token_value_is_never_printed() -> None:
    """Even if `before` held the real token value, the text shows only `(sensitive value)` or hides it."""
    rc = samples.replace().resource_changes[0]
    before = {**(rc.before or {}), "token": samples.SECRET_VALUE}
    leaky = Plan(
        [ResourceChange(rc.name, rc.notebook_id, rc.actions, rc.differences, before=before, after=before)]
    )
    out = text.render(leaky)
    assert samples.SECRET_VALUE not in out
    assert "~ token       = (sensitive value)" in out
    token_diff = Difference(("token",), samples.SECRET_VALUE, "other", ApplyMethod.IN_PLACE)
    for action in ((Action.UPDATE,), (Action.DELETE,), (Action.CREATE,), (Action.DELETE, Action.CREATE)):
        plan = Plan([ResourceChange("x", None, action, (token_diff,), before=before, after=before)])
        assert samples.SECRET_VALUE not in text.render(plan)


def test_control_characters_are_escaped() -> None:
    """Escape sequences from values, names or notes print as escapes, never raw."""
    out = text.render(samples.special_characters())
    assert "\x1b" not in out
    assert "\\u001b[31m" in out
    assert all(ch == "\n" or ch >= " " for ch in out)


def test_color_only_when_asked_and_only_adds_escapes() -> None:
    """Colour adds Terraform's ANSI colours and nothing else; without it there are no escapes."""
    for make in samples.SAMPLES.values():
        plan = make()
        plain = text.render(plan)
        colored = text.render(plan, color=True)
        assert "\x1b" not in plain
        assert _ANSI.sub("", colored) == plain
    colored = text.render(samples.replace(), color=True)
    assert "\x1b[31m-\x1b[0m/\x1b[32m+\x1b[0m resource" in colored
    assert "\x1b[31m# forces replacement\x1b[0m" in colored
    assert "\x1b[33m~\x1b[0m description" in text.render(samples.replace(), color=True)


def test_list_and_map_changes_render_element_by_element() -> None:
    """Map values show changed keys with `~`/`+`/`-`; a value turning absent ends with `-> null`."""
    diffs = (
        Difference(
            ("image",),
            {"name": "a", "tag": "1", "type": "x"},
            {"name": "b", "tag": "1", "id": "i"},
            ApplyMethod.RESTART,
        ),
        Difference(("pool",), "pool-1", None, ApplyMethod.REPLACE),
    )
    plan = Plan([ResourceChange("x", "nid", (Action.DELETE, Action.CREATE), diffs, before={"id": "nid"})])
    out = text.render(plan)
    assert (
        "      ~ image = {\n"
        '          + id   = "i"\n'
        '          ~ name = "a" -> "b"\n'
        '          - type = "x" -> null\n'
        "            # (1 unchanged attribute hidden)\n"
        "        } # requires stop and restart\n"
        '      - pool  = "pool-1" -> null # forces replacement\n'
    ) in out


def test_unknown_status_is_called_out() -> None:
    """A status the documentation does not list is named in a comment."""
    rc = ResourceChange("x", "nid", (Action.NO_OP,), health=Health.UNKNOWN, status="HIBERNATING")
    assert '  # (status "HIBERNATING" is not a documented status)\n' in text.render(Plan([rc]))


@given(samples.plans())
def test_any_plan_renders_deterministically_and_safely(plan: Plan) -> None:
    """Any plan renders, twice the same, without raw control characters or the token value."""
    out = text.render(plan)
    assert out == text.render(plan)
    assert out.endswith("\n")
    assert all(ch == "\n" or ch >= " " for ch in out)
    assert samples.SECRET_VALUE not in out


def test_bidi_and_control_characters_are_escaped() -> None:
    """Bidi controls (U+202E, U+2066-2069, U+200E/F, U+061C) and ESC in service text print as escapes."""
    evil = "a\u202eb\u2066c\u2067d\u2068e\u2069f\u200eg\u200fh\u061ci\x1b]0;title\x07"
    rc = samples.failed().resource_changes[0]
    plan = Plan([attrs.evolve(rc, status=evil, notes=(evil,))], [PlanError("x", evil)])
    out = text.render(plan)
    assert not set(out) & set("\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\x1b\x07")
    escaped = "a\\u202eb\\u2066c\\u2067d\\u2068e\\u2069f\\u200eg\\u200fh\\u061ci\\u001b]0;title\\u0007"
    assert f"Error: huaweicloud_modelarts_notebook.x: {escaped}" in out
    assert f"  # ({escaped})" in out


def test_terminal_safe_escapes_what_drives_a_terminal_and_keeps_the_rest() -> None:
    """`terminal_safe` (for stderr) escapes controls, newlines and bidi characters, and keeps other text."""
    assert terminal_safe("开发 naïve 🚀 plain") == "开发 naïve 🚀 plain"
    assert terminal_safe("a\x1b[2Jb\nc\u202ed\ud800") == "a\\u001b[2Jb\\u000ac\\u202ed\\ud800"
