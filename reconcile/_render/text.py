"""The plan as text, in the look of `terraform plan`.

Layout, top to bottom: the legend of the action symbols present, one entry per notebook worth
showing (a change, a notebook that is not healthy, or one with notes), the footer
`Plan: X to add, Y to change, Z to destroy.` (or `No changes. ...`), then one `Error:` line per
notebook that could not be observed, then, when a listing was made, the unmanaged notebooks (one
line each; an ignored one with its rule's reason) and the coverage (`12 of 14 notebooks are
managed, 86%.`).

Conventions, fixed so the output is predictable:

- A difference with a nested path (`lease.duration`) prints as nested `key = { ... }` levels, each
  with the count of its unchanged attributes hidden where the observed value at that level is an
  object; a list or set prints element by element (`+ "a",` / `- "b",`), unchanged elements hidden.
- `id` is always shown; every other unchanged top-level attribute is hidden and counted.
- A secret field the observed notebook has (`ResourceChange.sensitive`: `token`) is an attribute
  like any other, except that no value of it is ever printed: while unchanged it is hidden and
  counted; a replacement gets a new one (`~ token = (sensitive value)`); a create does not list it.
- A replacement gets a new `id` and `url`: `~ id = "..." -> (known after apply)`; a create shows
  `+ id = (known after apply)` (never an id the spec or a gone notebook had) and no `url`.
- Health (pending, failed, an undocumented status) and the plan's notes print as `# (...)` comment
  lines under the notebook's header; a notebook without changes but with such lines is listed
  without a resource block.
- Strings print JSON-quoted, so a control character from the service or the spec prints as an
  escape and cannot drive the terminal. Colour (Terraform's: green `+`, yellow `~`, red `-`) only
  when asked for; the CLI decides from the TTY, `--no-color` and `NO_COLOR`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Final

import attrs

from reconcile._core.plan import (
    RESOURCE_TYPE,
    Action,
    ApplyMethod,
    Difference,
    Health,
    Plan,
    ResourceChange,
    Unmanaged,
)
from reconcile._render.common import (
    METHOD_COMMENT,
    clean_text,
    is_noteworthy,
    notes_of,
    secret_keys,
    sensitive_fields,
)

__all__ = ["render"]

_INTRO: Final = (
    "ModelArts notebooks compared with the desired state. "
    "Resource actions are indicated with the following symbols:"
)
_PERFORM: Final = "modelarts-reconcile will perform the following actions:"
_NO_CHANGES: Final = "No changes. Your notebooks match the desired state."
#: Attributes the service assigns to a new notebook; a replacement shows them as unknown.
_COMPUTED: Final = ("id", "url")
_KNOWN_AFTER_APPLY: Final = "(known after apply)"
_SENSITIVE: Final = "(sensitive value)"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

# Terraform's colours (SGR codes).
_GREEN, _YELLOW, _RED, _BOLD = "32", "33", "31", "1"


@attrs.frozen
class _Palette:
    """Paints text with ANSI colours, or leaves it alone."""

    color: bool

    def paint(self, text: str, *codes: str) -> str:
        """Wrap `text` in the given SGR codes when colour is on."""
        if not self.color or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"

    def sign(self, sign: str) -> str:
        """Colour an action symbol as Terraform does."""
        colours = {"+": _GREEN, "~": _YELLOW, "-": _RED}
        return "".join(self.paint(ch, colours[ch]) if ch in colours else ch for ch in sign)


class _Absent:
    """Marks a key missing from a mapping (None counts as absent too, as in Terraform)."""


_ABSENT: Final = _Absent()


class _Secret:
    """Stands for a secret attribute of the observed notebook, whose value the plan does not hold."""


_SECRET: Final = _Secret()


def render(plan: Plan, *, color: bool = False) -> str:
    """Render a plan as Terraform-style text.

    Args:
        plan: the plan to show.
        color: whether to use ANSI colours.

    Returns:
        The text, ending with a newline; equal plans give equal text.
    """
    pal = _Palette(color)
    summary = plan.summary
    out: list[str] = []
    if plan.has_changes:
        out += [_INTRO, *_legend(plan, pal), "", _PERFORM, ""]
    for rc in plan.resource_changes:
        if is_noteworthy(rc):
            out += [*_resource(rc, pal), ""]
    if plan.has_changes or plan.errors:
        out.append(
            pal.paint("Plan:", _BOLD)
            + f" {summary.add} to add, {summary.change} to change, {summary.destroy} to destroy."
        )
    else:
        out.append(pal.paint(_NO_CHANGES, _BOLD, _GREEN))
    for error in plan.errors:
        out += [
            "",
            f"{pal.paint('Error:', _BOLD, _RED)} {clean_text(error.address)}: {clean_text(error.message)}",
        ]
    out += _unmanaged(plan, pal)
    return "\n".join(out) + "\n"


def coverage_line(plan: Plan) -> str | None:
    """`12 of 14 notebooks are managed, 86%.` (rounded half up), or None without a listing."""
    coverage = plan.coverage
    if coverage is None:
        return None
    managed, listed = coverage
    if listed == 0:
        return "The listing holds no notebooks."
    percent = (200 * managed + listed) // (2 * listed)
    return f"{managed} of {listed} notebooks are managed, {percent}%."


def unmanaged_line(u: Unmanaged) -> str:
    """One unmanaged notebook: `name (id, STATUS, workspace W)`, and why it is ignored, if it is."""
    facts = [u.notebook_id, u.status or "no status"]
    if u.workspace_id is not None:
        facts.append(f"workspace {u.workspace_id}")
    text = f"{u.name if u.name is not None else '(no name)'} ({', '.join(facts)})"
    return clean_text(text + (f": ignored: {u.ignored}" if u.ignored is not None else ""))


def _unmanaged(plan: Plan, pal: _Palette) -> list[str]:
    line = coverage_line(plan)
    if line is None:
        return []
    out = [""]
    if plan.unmanaged:
        out.append(pal.paint("Unmanaged notebooks", _BOLD) + " (listed, but no spec entry manages them):")
        out += [f"  - {unmanaged_line(u)}" for u in plan.unmanaged]
        out.append("")
    out.append(line)
    return out


def _legend(plan: Plan, pal: _Palette) -> list[str]:
    """The symbols of the actions the plan holds, in Terraform's order."""
    present = {rc.actions for rc in plan.resource_changes}
    entries = [
        ((Action.CREATE,), "+", "create"),
        ((Action.UPDATE,), "~", "update in-place"),
        ((Action.DELETE,), "-", "destroy"),
        ((Action.DELETE, Action.CREATE), "-/+", "destroy and then create replacement"),
        ((Action.CREATE, Action.DELETE), "+/-", "create replacement and then destroy"),
    ]
    return [f"{_pad_sign(pal, sign)} {text}" for actions, sign, text in entries if actions in present]


def _pad_sign(pal: _Palette, sign: str) -> str:
    """Right-align a (possibly coloured) symbol in three columns."""
    return " " * (3 - len(sign)) + pal.sign(sign)


def _resource(rc: ResourceChange, pal: _Palette) -> list[str]:
    """The comment header and, for a change, the resource block of one notebook."""
    address = clean_text(rc.address)
    verb = {
        (Action.CREATE,): "will be created",
        (Action.UPDATE,): "will be updated in-place",
        (Action.DELETE,): "will be destroyed",
        (Action.DELETE, Action.CREATE): "must be replaced",
        (Action.CREATE, Action.DELETE): "must be replaced",
        (Action.NO_OP,): "will not be changed",
    }.get(rc.actions, "will be changed")
    lines = [f"  {pal.paint('# ' + address, _BOLD)} {verb}"]
    status = f" {_quote(rc.status)}" if rc.status is not None else ""
    health_note = {
        Health.PENDING: f"pending: the notebook is{status or ' in a transitional state'}",
        Health.FAILED: f"failed: the notebook is{status or ' in a failed state'}",
        Health.UNKNOWN: f"status{status} is not a documented status"
        if status
        else "the service sent no status",
    }.get(rc.health)
    for note in ([health_note] if health_note else []) + list(notes_of(rc)):
        lines.append(f"  # ({clean_text(note)})")
    if not rc.is_change:
        return lines

    w = _Block(pal)
    secrets = secret_keys(rc)
    # The observed attributes, each secret one (whether in `sensitive` or, by mistake, in `before`)
    # standing as a marker: it is counted and named, its value never reaches a line.
    before: dict[str, Any] = {k: v for k, v in (rc.before or {}).items() if k not in secrets}
    if rc.before is not None:
        before |= dict.fromkeys(sensitive_fields(rc), _SECRET)
    if rc.actions == (Action.CREATE,):
        sign, entries, hidden = "+", _create_entries(rc.after or {}, secrets, w), 0
    elif rc.actions == (Action.DELETE,):
        sign, hidden = "-", 0
        entries = [
            _Entry(k, "-", f"{_SENSITIVE} -> null")
            if v is _SECRET
            else _Entry(k, draw=partial(w.change, k, v, _ABSENT))
            for k, v in sorted(before.items())
        ]
    else:
        replace = Action.DELETE in rc.actions
        sign = ("-/+" if rc.actions[0] is Action.DELETE else "+/-") if replace else "~"
        entries, shown = _update_entries(rc.differences, before, secrets, w, replace=replace)
        hidden = len(set(before) - shown)
    head = f"resource {_quote(RESOURCE_TYPE)} {_quote(rc.name)} {{"
    lines.append(w.line(2, sign, head))
    lines += w.entries(entries, 6)
    if hidden:
        lines.append(" " * 8 + _hidden(hidden, "attribute"))
    lines.append("    }")
    return lines


def _create_entries(after: Mapping[str, Any], secrets: frozenset[str], w: _Block) -> list[_Entry]:
    """The attributes of a notebook to create: all desired values, `id` unknown until created.

    An `id` or `url` in `after` (the spec's id of a notebook that is gone) is not the new notebook's.
    """
    entries = [_Entry("id", "+", _KNOWN_AFTER_APPLY)]
    for key, value in sorted(after.items()):
        # A secret is never a desired value; the service issues it.
        if key not in secrets and key not in _COMPUTED and value is not None:
            entries.append(_Entry(key, draw=partial(w.change, key, _ABSENT, value)))
    return entries


def _update_entries(
    differences: Sequence[Difference],
    before: Mapping[str, Any],
    secrets: frozenset[str],
    w: _Block,
    *,
    replace: bool,
) -> tuple[list[_Entry], set[str]]:
    """The attributes of a notebook updated or replaced, and the top-level keys they show."""
    tree = _tree(differences)
    entries: list[_Entry] = []
    if "id" in before:
        old_id = _scalar(before["id"])
        entries.append(
            _Entry("id", "~", f"{old_id} -> {_KNOWN_AFTER_APPLY}") if replace else _Entry("id", " ", old_id)
        )
    others: list[_Entry] = []
    if replace:  # the service issues a new token and url with the new notebook
        for key in sorted(set(before) & (secrets | set(_COMPUTED)) - {"id"} - set(tree.children)):
            later = _SENSITIVE if key in secrets else f"{_scalar(before[key])} -> {_KNOWN_AFTER_APPLY}"
            others.append(_Entry(key, "~", later))
    for key, node in tree.children.items():
        if key in secrets:  # the comparator never compares a secret; never print one anyway
            others.append(_Entry(key, "~", _SENSITIVE))
        else:
            others.append(_Entry(key, draw=partial(w.node, key, node, before.get(key, _ABSENT))))
    entries += sorted(others, key=lambda e: e.key)
    return entries, {e.key for e in entries}


@attrs.define
class _Node:
    """A level of the path tree built from the differences of one notebook."""

    diff: Difference | None = None
    children: dict[str, _Node] = attrs.Factory(dict)


def _tree(differences: Sequence[Difference]) -> _Node:
    """Arrange differences by path, so `lease.duration` and `lease.enable` share a `lease` level."""
    root = _Node()
    for d in differences:
        node = root
        for part in d.path:
            node = node.children.setdefault(part, _Node())
        node.diff = d
    return root


@attrs.frozen
class _Entry:
    """One attribute of a block: a one-line `key = text` under a symbol, or a drawing of its own.

    `draw(base, width)` gets the symbol column and the key width shared by the block, for alignment.
    """

    key: str
    sign: str = " "
    text: str = ""
    draw: Callable[[int, int], list[str]] | None = None


@attrs.frozen
class _Block:
    """Draws attribute lines; `base` is the column of a one-character action symbol."""

    pal: _Palette

    def line(self, base: int, sign: str, body: str) -> str:
        """One line: the symbol right-aligned at column `base`, a space, then the body."""
        pad = " " * (base - len(sign) + 1)
        return pad + (self.pal.sign(sign) if sign.strip() else sign) + " " + body

    def entries(self, entries: Sequence[_Entry], base: int) -> list[str]:
        """Draw the attributes of one block with their `=` signs aligned."""
        width = max((len(_key(e.key)) for e in entries), default=0)
        lines: list[str] = []
        for e in entries:
            if e.draw is not None:
                lines += e.draw(base, width)
            else:
                lines.append(self.line(base, e.sign, f"{_key(e.key).ljust(width)} = {e.text}"))
        return lines

    def comment(self, comment: str | None, method: ApplyMethod | None) -> str:
        """The trailing `# ...` of a changed attribute, red when it forces replacement."""
        if not comment:
            return ""
        text = f"# {comment}"
        return " " + (self.pal.paint(text, _RED) if method is ApplyMethod.REPLACE else text)

    def node(self, key: str, node: _Node, observed: Any, base: int, width: int) -> list[str]:
        """Draw one level of the difference tree: a leaf difference, or a `key = { ... }` level."""
        lines: list[str] = []
        if node.diff is not None:
            d = node.diff
            lines += self.change(
                key,
                d.observed,
                d.desired,
                base,
                width,
                comment=self.comment(METHOD_COMMENT[d.method], d.method),
            )
        if node.children:
            inner = [
                _Entry(k, draw=partial(self.node, k, n, _child(observed, k)))
                for k, n in node.children.items()
            ]
            lines.append(self.line(base, "~", f"{_key(key).ljust(width)} = {{"))
            lines += self.entries(inner, base + 4)
            if isinstance(observed, Mapping):
                hidden = len(set(observed) - set(node.children))
                if hidden:
                    lines.append(" " * (base + 6) + _hidden(hidden, "attribute"))
            lines.append(" " * (base + 2) + "}")
        return lines

    def change(
        self, key: str, old: Any, new: Any, base: int, width: int, *, comment: str | None = None
    ) -> list[str]:
        """Draw the change of one attribute from `old` to `new` (None or absent: no value)."""
        label = _key(key).ljust(width)
        suffix = comment or ""
        old_absent = old is None or old is _ABSENT
        new_absent = new is None or new is _ABSENT
        if old_absent and new_absent:
            return [self.line(base, "~", f"{label} = null -> null{suffix}")]
        if old_absent:
            first, *rest = self.value(new, base, "+")
            return _close([self.line(base, "+", f"{label} = {first}"), *rest], suffix)
        if new_absent:
            first, *rest = self.value(old, base, "-")
            return _close([self.line(base, "-", f"{label} = {first}"), *rest], " -> null" + suffix)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            return self._map_change(label, old, new, base, suffix)
        if isinstance(old, list) and isinstance(new, list):
            return self._list_change(label, old, new, base, suffix)
        if isinstance(old, (Mapping, list)) or isinstance(new, (Mapping, list)):
            # A value changing shape: print both whole, one after the other.
            first, *rest = self.value(old, base, "-")
            lines = [self.line(base, "~", f"{label} = {first}"), *rest]
            first, *rest = self.value(new, base, "+")
            lines[-1] += f" -> {first}"
            return _close(lines + rest, suffix)
        return [self.line(base, "~", f"{label} = {_scalar(old)} -> {_scalar(new)}{suffix}")]

    def _map_change(
        self, label: str, old: Mapping[str, Any], new: Mapping[str, Any], base: int, suffix: str
    ) -> list[str]:
        keys = sorted(set(old) | set(new))
        changed = [k for k in keys if not _same(old.get(k), new.get(k))]
        lines = [self.line(base, "~", f"{label} = {{")]
        inner = [
            _Entry(k, draw=partial(self.change, k, old.get(k, _ABSENT), new.get(k, _ABSENT))) for k in changed
        ]
        lines += self.entries(inner, base + 4)
        hidden = len([k for k in keys if k not in changed and old.get(k) is not None])
        if hidden:
            lines.append(" " * (base + 6) + _hidden(hidden, "attribute"))
        return [*lines, " " * (base + 2) + "}" + suffix]

    def _list_change(self, label: str, old: list[Any], new: list[Any], base: int, suffix: str) -> list[str]:
        unmatched = [_canonical(v) for v in new]
        removed: list[Any] = []
        for value in old:
            canon = _canonical(value)
            if canon in unmatched:
                unmatched.remove(canon)
            else:
                removed.append(value)
        remaining = [_canonical(v) for v in old]
        added: list[Any] = []
        for value in new:
            canon = _canonical(value)
            if canon in remaining:
                remaining.remove(canon)
            else:
                added.append(value)
        lines = [self.line(base, "~", f"{label} = [")]
        for sign, values in (("-", removed), ("+", added)):
            for value in values:
                first, *rest = self.value(value, base + 4, sign)
                lines += _close([self.line(base + 4, sign, first), *rest], ",")
        hidden = len(old) - len(removed)
        if hidden:
            lines.append(" " * (base + 6) + _hidden(hidden, "element"))
        return [*lines, " " * (base + 2) + "]" + suffix]

    def value(self, value: Any, base: int, sign: str) -> list[str]:
        """Draw a whole value under one symbol; the first line is what follows `key = `."""
        if isinstance(value, Mapping) and value:
            width = max(len(_key(k)) for k in value)
            lines = ["{"]
            for k, v in sorted(value.items()):
                first, *rest = self.value(v, base + 4, sign)
                lines += [self.line(base + 4, sign, f"{_key(k).ljust(width)} = {first}"), *rest]
            return [*lines, " " * (base + 2) + "}"]
        if isinstance(value, list) and value:
            lines = ["["]
            for v in value:
                first, *rest = self.value(v, base + 4, sign)
                lines += _close([self.line(base + 4, sign, first), *rest], ",")
            return [*lines, " " * (base + 2) + "]"]
        return [_scalar(value)]


def _close(lines: list[str], suffix: str) -> list[str]:
    """Append `suffix` to the last line."""
    return [*lines[:-1], lines[-1] + suffix] if suffix else lines


def _child(observed: Any, key: str) -> Any:
    """The observed value one path element down, where the observed value is an object."""
    return observed.get(key, _ABSENT) if isinstance(observed, Mapping) else _ABSENT


def _hidden(count: int, noun: str) -> str:
    """`# (3 unchanged attributes hidden)`."""
    return f"# ({count} unchanged {noun}{'' if count == 1 else 's'} hidden)"


def _canonical(value: Any) -> str:
    """A text equal for equal JSON values (so `true` and `1` differ, as they do in JSON)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _same(a: Any, b: Any) -> bool:
    """Whether two plan values are equal as JSON values."""
    return _canonical(a) == _canonical(b)


def _quote(text: str) -> str:
    """A string as a JSON string literal, control characters escaped."""
    return clean_text(json.dumps(text, ensure_ascii=False))


def _scalar(value: Any) -> str:
    """A scalar (or empty container) the way HCL writes it."""
    if isinstance(value, str):
        return _quote(value)
    if value is None or value is _ABSENT:
        return "null"
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return clean_text(json.dumps(value, allow_nan=False))


def _key(key: str) -> str:
    """An attribute name, quoted unless it is a plain identifier."""
    return key if _IDENTIFIER.fullmatch(key) else _quote(key)
