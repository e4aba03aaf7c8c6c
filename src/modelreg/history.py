"""The audit trail (`modelreg log`, DESIGN §4): what each commit did to the registry.

Each first-parent commit is diffed with its parent by the same engine as `modelreg diff`, so
the trail holds every change however it was made: modelreg's own commits, squash merges, hand
edits, commits from a forge's web editor. Trailers (`Modelreg-Op: alias-set`) only add words;
a commit without them is described all the same.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from modelreg import layout
from modelreg.change import format_time
from modelreg.diff import Event, EventKind, registry_diff
from modelreg.snapshot import Snapshot

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo

OP_TRAILER = "Modelreg-Op"
OP_ID_TRAILER = "Modelreg-Op-Id"


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """One commit that changed the registry. `time` is the author time, RFC 3339 UTC; `op` and
    `op_id` come from the trailers (None for commits modelreg did not make)."""

    commit: str
    author: str
    author_email: str
    time: str
    summary: str
    op: str | None = None
    op_id: str | None = None
    trailers: dict[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")


def parse_trailers(message: str) -> dict[str, str]:
    """`Key: value` lines of the message's last paragraph, as `git interpret-trailers` reads
    them: only when every line of it is a trailer (or continues one), never in the subject.
    A key given twice (a transaction's `Modelreg-Step`s) keeps its values joined by ', '."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return {}
    pairs: list[list[str]] = []
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match:
            pairs.append([match.group(1), match.group(2).strip()])
        elif line[:1] in (" ", "\t") and pairs:
            pairs[-1][1] = f"{pairs[-1][1]} {line.strip()}"
        else:
            return {}
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _trailer(trailers: dict[str, str], key: str) -> str | None:
    folded = key.casefold()
    return next((v for k, v in trailers.items() if k.casefold() == folded), None)


def git_time(moment: Any) -> str:
    """Git's author time (seconds since the epoch, or a datetime) in the registry's format:
    RFC 3339 UTC with milliseconds, like every time in a manifest."""
    if isinstance(moment, _dt.datetime):
        when = moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)
    else:
        when = _dt.datetime.fromtimestamp(float(moment), tz=_dt.timezone.utc)
    return format_time(when)


def log(
    repo: GitRepo,
    prefix: str,
    *,
    rev: str = "HEAD",
    model: str | None = None,
    max_count: int | None = None,
    since: str | None = None,
) -> Iterator[LogEntry]:
    """Commits that changed the registry at `prefix`, newest first, along first parents.

    With `model`, only the commits that changed that model, following it across renames (the
    commits before a rename are listed under the name it had then, as events say). Like
    `git log -n`, `max_count` counts the entries listed, not the commits walked. With
    `since`, the walk stops before that commit, as `git log --first-parent SINCE..REV` does
    when SINCE is one of REV's first parents (else it goes on to the first commit).
    """
    if max_count is not None and max_count <= 0:
        return
    follow = _Follow(model) if model is not None else None
    stop = repo.resolve(since) if since is not None else None
    listed = 0
    for info in repo.first_parent_log(repo.resolve(rev)):
        if info.id == stop:
            return
        parent = info.parents[0] if info.parents else None
        paths = [change.path for change in repo.changed_paths(parent, info.id, prefix)]
        if not paths or (follow is not None and not follow.may_touch(paths)):
            continue
        old = Snapshot(repo.tree_files(parent, prefix)) if parent is not None else None
        events = registry_diff(old, Snapshot(repo.tree_files(info.id, prefix)), paths).events
        if follow is not None:
            events = follow.keep(events)
        if not events:
            continue
        yield _entry(info, events)
        listed += 1
        if max_count is not None and listed >= max_count:
            return


def _entry(info: Any, events: tuple[Event, ...]) -> LogEntry:
    message: str = info.message
    trailers = parse_trailers(message)
    return LogEntry(
        commit=info.id,
        author=info.author_name,
        author_email=info.author_email,
        time=git_time(info.author_time),
        summary=(message.strip().splitlines() or [""])[0],
        op=_trailer(trailers, OP_TRAILER),
        op_id=_trailer(trailers, OP_ID_TRAILER),
        trailers=trailers,
        events=events,
    )


class _Follow:
    """One model's events, walking backwards: past its rename, it goes by its former name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def may_touch(self, paths: list[str]) -> bool:
        """Cheap test before diffing: does a changed path lie in a folder of this model?

        The folder is the one its name maps to, or one that reads as the name (a folder made
        by hand, `models/Fraud Model/`); other misnamed folders are `check`'s to report.
        """
        mapped = layout.model_dir(self.name)
        start = f"{layout.MODELS_DIR}/"
        for path in paths:
            folder = path[len(start) :].split("/", 1)[0] if path.startswith(start) else None
            if folder is not None and (folder == mapped or unquote(folder) == self.name):
                return True
        return False

    def keep(self, events: tuple[Event, ...]) -> tuple[Event, ...]:
        """Events about the model under its current name; a rename to it (or from it, when
        asked by its former name) is kept and moves the name back."""
        renames = [e for e in events if e.kind is EventKind.MODEL_RENAMED]
        rename = next((e for e in renames if self.name in (e.model, e.old)), None)
        kept = tuple(e for e in events if e.model == self.name or e is rename)
        if rename is not None and isinstance(rename.old, str):
            self.name = rename.old
        return kept
