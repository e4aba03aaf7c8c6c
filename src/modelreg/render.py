"""Registry diffs and audit logs as text (terminals), JSON (scripts) and Markdown (reviews).

Pure: values in, strings or JSON-ready lists out; the CLI prints them (STYLE §5). The JSON
shapes are a contract: deployment jobs read `modelreg diff --json` after a merge, so field
names never change meaning and every field is always present (null when not relevant).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from modelreg.diff.events import Event, EventKind, RegistryDiff

if TYPE_CHECKING:
    from modelreg.history import LogEntry

K = EventKind


class EventJson(TypedDict):
    """One event of `diff_json` / `log_json`. Every key is always present.

    kind: what happened (`model-created`, `version-registered`, `alias-moved`,
        `stage-changed`, ...: `modelreg.diff.EventKind` lists them with their old/new).
    model: the registered model's name (its new name after a rename); null for
        registry-level events (`registry-changed`, ...).
    version: the version number involved: the one registered, edited or deleted, the one an
        alias now points at (the one it pointed at when removed), the one whose stage changed.
    alias: the alias set, moved or removed.
    stage: the stage a version is in after a `stage-changed` ("None", "Staging",
        "Production", "Archived").
    key: the tag key, or the field of an `*-immutable-changed` / `registry-changed` event.
    old, new: the value before and after (version numbers for aliases, stage names for
        stages, texts for descriptions, ...); null when there is none.
    immutable: true when something written once changed (artifacts, source, run, metrics,
        created_*): `modelreg check` refuses it.
    file: the registry-relative manifest the event was read from.
    reason: why a file is `unreadable`.
    artifact_uri: where the version's files are: a URL when the registry's store is one (or
        the reference's own URI), else a path relative to the registry folder; null when
        unknown.
    digest: the tree digest of those files (`sha256:<hex>`), when known.
    """

    kind: str
    model: str | None
    version: int | None
    alias: str | None
    stage: str | None
    key: str | None
    old: Any
    new: Any
    immutable: bool
    file: str | None
    reason: str | None
    artifact_uri: str | None
    digest: str | None


class LogEntryJson(TypedDict):
    """One commit of `log_json`: `time` is RFC 3339 UTC; `op`/`op_id` come from trailers
    (null for commits made without modelreg); `events` are `EventJson`s."""

    commit: str
    author: str
    author_email: str
    time: str
    summary: str
    op: str | None
    op_id: str | None
    trailers: dict[str, str]
    events: list[EventJson]


# ---------------------------------------------------------------- one event in words


def _value(value: Any, limit: int = 60) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        first = (value.splitlines() or [""])[0][: limit - 1]
        return repr(first if first == value else first + "…")
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _registered(e: Event) -> str:
    new = e.new or {}
    parts = [f"registered from {new.get('source') or '(no source)'}"]
    metrics = new.get("metrics") or {}
    if metrics:
        parts.append(" ".join(f"{k}={v}" for k, v in sorted(metrics.items())))
    if e.artifact_uri:
        parts.append(f"artifacts {e.artifact_uri}")
    return ", ".join(parts)


def _deleted(e: Event) -> str:
    if e.new is None:
        return "version file removed (no tombstone written)"
    return f"deleted by {e.new.get('by') or '(unknown)'}"


def _unreadable(e: Event) -> str:
    if e.new is None:
        return f"was unreadable, now fixed (it said: {e.old})"
    return f"unreadable: {e.reason}"


_WORDS: dict[EventKind, Callable[[Event], str]] = {
    K.REGISTRY_CREATED: lambda e: f"created (store {(e.new or {}).get('store', '?')})",
    K.REGISTRY_CHANGED: lambda e: f"{e.key} changed: {_value(e.old)} -> {_value(e.new)}",
    K.REGISTRY_DELETED: lambda e: "deleted",
    K.MODEL_CREATED: lambda e: "model created",
    K.MODEL_RENAMED: lambda e: f"renamed from {e.old!r}",
    K.MODEL_DELETED: lambda e: f"model deleted ({(e.old or {}).get('versions', 0)} version files)",
    K.MODEL_DESCRIPTION_EDITED: lambda e: f"description edited: {_value(e.new)}",
    K.VERSION_DESCRIPTION_EDITED: lambda e: f"description edited: {_value(e.new)}",
    K.MODEL_TAG_SET: lambda e: f"tag {e.key!r} set to {_value(e.new)}",
    K.VERSION_TAG_SET: lambda e: f"tag {e.key!r} set to {_value(e.new)}",
    K.MODEL_TAG_CHANGED: lambda e: f"tag {e.key!r} changed: {_value(e.old)} -> {_value(e.new)}",
    K.VERSION_TAG_CHANGED: lambda e: f"tag {e.key!r} changed: {_value(e.old)} -> {_value(e.new)}",
    K.MODEL_TAG_REMOVED: lambda e: f"tag {e.key!r} removed (was {_value(e.old)})",
    K.VERSION_TAG_REMOVED: lambda e: f"tag {e.key!r} removed (was {_value(e.old)})",
    K.MODEL_IMMUTABLE_CHANGED: lambda e: _immutable(e),
    K.VERSION_IMMUTABLE_CHANGED: lambda e: _immutable(e),
    K.VERSION_REGISTERED: _registered,
    K.VERSION_DELETED: _deleted,
    K.VERSION_RESTORED: lambda e: "restored after deletion (tombstone removed)",
    K.ALIAS_SET: lambda e: f"set to v{e.new}",
    K.ALIAS_MOVED: lambda e: f"moved v{e.old} -> v{e.new}",
    K.ALIAS_REMOVED: lambda e: f"removed (was v{e.old})",
    K.STAGE_CHANGED: lambda e: f"stage {e.old} -> {e.new}",
    K.UNREADABLE: _unreadable,
    K.UNRECOGNIZED_FILE: lambda e: f"not a registry file ({e.new})",
}


def _immutable(e: Event) -> str:
    return f"IMMUTABLE field {e.key} changed: {_value(e.old)} -> {_value(e.new)}"


def subject(event: Event) -> str:
    """What the event is about, the way a person names it: `fraud`, `fraud v3`, `fraud@prod`."""
    if event.kind in (K.UNREADABLE, K.UNRECOGNIZED_FILE):
        return event.file or "?"
    if event.model is None:
        return "registry"
    if event.alias is not None:
        return f"{event.model}@{event.alias}"
    if event.version is not None:
        return f"{event.model} v{event.version}"
    return event.model


def describe(event: Event) -> str:
    """The event as one line: `fraud@champion: moved v2 -> v3`."""
    return f"{subject(event)}: {_WORDS[event.kind](event)}"


# ---------------------------------------------------------------- diffs


def diff_text(diff: RegistryDiff) -> str:
    if not diff.events:
        return "no registry changes\n"
    return "".join(describe(e) + "\n" for e in diff.events)


def event_json(event: Event) -> EventJson:
    return EventJson(
        kind=event.kind.value,
        model=event.model,
        version=event.version,
        alias=event.alias,
        stage=event.stage,
        key=event.key,
        old=event.old,
        new=event.new,
        immutable=event.immutable,
        file=event.file,
        reason=event.reason,
        artifact_uri=event.artifact_uri,
        digest=event.digest,
    )


def diff_json(diff: RegistryDiff) -> list[EventJson]:
    """The events as JSON-ready dicts, in the diff's order; fields as `EventJson` documents."""
    return [event_json(e) for e in diff.events]


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def diff_markdown(diff: RegistryDiff) -> str:
    """A table a reviewer reads in a pull request, with changes `check` refuses called out."""
    if not diff.events:
        return "No registry changes.\n"
    lines = [*_headline(diff), "| | What | Change |", "|---|---|---|"]
    lines += [f"|{_mark(e)}| {_what(e)} |" for e in diff.events]
    return "\n".join(lines) + "\n"


def _headline(diff: RegistryDiff, commits: str = "") -> list[str]:
    count, models = len(diff.events), diff.models
    lines = [
        f"**{count} registry change{'s' if count != 1 else ''}{commits}**"
        + (f" to {', '.join(f'`{m}`' for m in models)}" if models else ""),
        "",
    ]
    flagged = sum(1 for e in diff.events if _flagged(e))
    if flagged:
        lines += [
            "> [!WARNING]",
            f"> {flagged} change{'s' if flagged != 1 else ''} marked ⚠️ alter what is written "
            "once or cannot be read: `modelreg check` refuses them.",
            "",
        ]
    return lines


def _mark(event: Event) -> str:
    return " ⚠️ " if _flagged(event) else " "


def _what(event: Event) -> str:
    return f"`{_cell(subject(event))}` | {_cell(_WORDS[event.kind](event))}"


def _flagged(event: Event) -> bool:
    return event.immutable or (event.kind is K.UNREADABLE and event.new is not None)


# ---------------------------------------------------------------- logs


def log_text(entries: Iterable[LogEntry]) -> str:
    """One block per commit: short id, time, author, summary, then one line per event."""
    return "\n".join(_block(f"{e.time}  {e.author}  {e.summary}", e) for e in entries)


def _block(head: str, entry: LogEntry) -> str:
    lines = [f"{entry.commit[:10]}  {head}"] + [f"    {describe(e)}" for e in entry.events]
    return "\n".join(lines) + "\n"


def log_json(entries: Iterable[LogEntry]) -> list[LogEntryJson]:
    return [
        LogEntryJson(
            commit=entry.commit,
            author=entry.author,
            author_email=entry.author_email,
            time=entry.time,
            summary=entry.summary,
            op=entry.op,
            op_id=entry.op_id,
            trailers=dict(entry.trailers),
            events=[event_json(e) for e in entry.events],
        )
        for entry in entries
    ]


# ---------------------------------------------------------------- first-parent diffs


class CommitEventJson(EventJson):
    """One event of `modelreg diff --first-parent --json`: an `EventJson` and `commit`, the
    full id of the commit whose diff with its first parent holds it."""

    commit: str


def commits_text(entries: Sequence[LogEntry]) -> str:
    """`diff --first-parent`, oldest commit first: short id and subject, then its events."""
    if not entries:
        return "no registry changes\n"
    return "\n".join(_block(e.summary, e) for e in entries)


def commits_json(entries: Sequence[LogEntry]) -> list[CommitEventJson]:
    """Every commit's events in one list, in order, each `EventJson` with its `commit`."""
    return [{**event_json(e), "commit": entry.commit} for entry in entries for e in entry.events]


def commits_markdown(entries: Sequence[LogEntry]) -> str:
    """`diff_markdown`'s table with the commit of each change (and its subject, once)."""
    rows = [(entry, e) for entry in entries for e in entry.events]
    if not rows:
        return "No registry changes.\n"
    commits = len({entry.commit for entry, _ in rows})
    lines = _headline(RegistryDiff(events=tuple(e for _, e in rows)),
                      f" in {commits} commit{'s' if commits != 1 else ''}")
    lines += ["| | Commit | What | Change |", "|---|---|---|---|"]
    shown = ""
    for entry, e in rows:
        commit = f"`{entry.commit[:10]}`" + ("" if shown == entry.commit else
                                              f" {_cell(entry.summary)}")
        shown = entry.commit
        lines.append(f"|{_mark(e)}| {commit} | {_what(e)} |")
    return "\n".join(lines) + "\n"


COMMITS_RENDERERS: dict[str, Callable[[Sequence[LogEntry]], Any]] = {
    "text": commits_text,
    "json": commits_json,
    "markdown": commits_markdown,
}


DIFF_RENDERERS: dict[str, Callable[[RegistryDiff], Any]] = {
    "text": diff_text,
    "json": diff_json,
    "markdown": diff_markdown,
}
