"""A pull request's title and body: what changes in words, the registry diff as Markdown, and
the metrics of the versions involved side by side (`champion v6 → v7`, one row per metric).

Pure: a change, its registry diff and the two snapshots in; text out.
"""

from __future__ import annotations

from collections.abc import Iterable

from modelreg import render
from modelreg.change import Change
from modelreg.diff import Event, EventKind, RegistryDiff
from modelreg.snapshot import Snapshot

K = EventKind
MISSING = "—"


def title(change: Change) -> str:
    return change.summary


def body(
    change: Change, diff: RegistryDiff, *, base: Snapshot, head: Snapshot, branch: str,
    actor: str,
) -> str:
    """The Markdown body of the pull request that proposes `change` from `branch`."""
    parts = [change.summary + "\n"]
    if change.body:
        parts.append(change.body.rstrip("\n") + "\n")
    parts.append("## Registry diff\n\n" + render.diff_markdown(diff))
    metrics = metrics_markdown(diff, base=base, head=head)
    if metrics:
        parts.append("## Metrics\n\n" + metrics)
    parts.append(
        f"---\nProposed with modelreg by `{actor}`. `modelreg check` judges this change in "
        f"CI; if the base branch takes a version number first, `modelreg rebase {branch}` "
        "renumbers it.\n"
    )
    return "\n".join(parts)


def metrics_markdown(diff: RegistryDiff, *, base: Snapshot, head: Snapshot) -> str:
    """Per model: what the versions involved are doing, then their metrics side by side."""
    blocks = []
    for model in diff.models:
        events = [e for e in diff.for_model(model) if e.model == model]
        versions = sorted({n for e in events for n in _versions(e)})
        if not versions:
            continue
        captions = [c for c in map(_caption, events) if c]
        lines = [f"**`{model}`**" + (": " + "; ".join(captions) if captions else ""), ""]
        lines += _table(model, versions, base=base, head=head)
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _versions(event: Event) -> Iterable[int]:
    if event.kind is K.ALIAS_MOVED:
        return (event.old, event.new)
    if event.kind in (K.ALIAS_SET, K.ALIAS_REMOVED):
        return (event.new if event.kind is K.ALIAS_SET else event.old,)
    return (event.version,) if event.version is not None else ()


def _caption(event: Event) -> str:
    if event.kind is K.ALIAS_MOVED:
        return f"{event.alias} v{event.old} → v{event.new}"
    if event.kind is K.ALIAS_SET:
        return f"{event.alias} → v{event.new}"
    if event.kind is K.ALIAS_REMOVED:
        return f"{event.alias} removed (was v{event.old})"
    if event.kind is K.STAGE_CHANGED:
        return f"v{event.version} {event.old} → {event.new}"
    if event.kind is K.VERSION_REGISTERED:
        return f"v{event.version} registered"
    return ""


def _table(model: str, versions: list[int], *, base: Snapshot, head: Snapshot) -> list[str]:
    values: dict[int, dict[str, float]] = {}
    for number in versions:
        mv = head.raw_version(model, number) or base.raw_version(model, number)
        values[number] = dict(mv.metrics) if mv is not None else {}
    names = sorted({k for metrics in values.values() for k in metrics})
    if not names:
        return ["No metrics recorded for " + ", ".join(f"v{n}" for n in versions) + "."]
    lines = [
        "| Metric | " + " | ".join(f"v{n}" for n in versions) + " |",
        "|---|" + "---:|" * len(versions),
    ]
    for name in names:
        cells = [_number(values[n].get(name)) for n in versions]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _number(value: float | None) -> str:
    return MISSING if value is None else f"{value:g}"
