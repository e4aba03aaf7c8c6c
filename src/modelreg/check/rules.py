"""What a change may not do to what is written once: the rules `check` reads from its diff.

Existing versions are immutable (artifacts, digests, source, run, metrics); numbers are never
given twice (not by a removed file, a lowered `last_version`, a reverted registration, nor a
number the base branch gave meanwhile).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from modelreg import layout, problems
from modelreg.check import codes
from modelreg.check.view import ChangeView
from modelreg.diff import Event, EventKind
from modelreg.errors import ModelregError
from modelreg.policy.lines import Lines
from modelreg.problems import Problem
from modelreg.snapshot import Snapshot

K = EventKind


def _show(value: Any, limit: int = 60) -> str:
    # `default`: a hand edit can write what JSON has no type for (`!!timestamp`, `!!binary`).
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def written_once(view: ChangeView) -> list[Problem]:
    """IMMUTABLE_FIELD, VERSION_FILE_REMOVED, LAST_VERSION_DECREASED, REGISTRATION_REVERTED."""
    lines, old_lines = Lines(view.after.files), Lines(view.before.files)
    reverted = _reverted(view.diff.events)
    # A restored version gets its emptied source back too: the restore says it all.
    restored = {(e.model, e.version) for e in view.diff.events if e.kind is K.VERSION_RESTORED}
    found = []
    for event in view.diff.events:
        file = event.file or ""
        if (event.model, event.version) in restored and event.kind is not K.VERSION_RESTORED:
            continue
        if event.kind in (K.VERSION_IMMUTABLE_CHANGED, K.MODEL_IMMUTABLE_CHANGED):
            found += _immutable(event, lines, reverted)
        elif event.kind is K.VERSION_RESTORED:
            found.append(Problem(
                path=file, line=lines.of(file), code=codes.IMMUTABLE_FIELD,
                message=f"{event.model} v{event.version} was deleted and cannot come back (its "
                "tombstone stays; the number stays taken): register a new version instead"))
        elif event.kind is K.VERSION_DELETED and event.immutable:
            found.append(_removed(event, old_lines, reverted))
        elif event.kind is K.REGISTRY_CHANGED and event.key == "id" and event.old:
            found.append(Problem(
                path=layout.REGISTRY_FILE, line=lines.of(layout.REGISTRY_FILE, ("id",)),
                json_path="$.id", code=codes.IMMUTABLE_FIELD,
                message=f"the registry's id is written once ({_show(event.old)} -> "
                f"{_show(event.new)}): its store records it, so `gc` knows whose artifacts "
                "they are; keep the old id"))
    return found


def _immutable(event: Event, lines: Lines, reverted: dict[str, tuple[int, int]]) -> list[Problem]:
    file, key = event.file or "", event.key or ""
    at = problems.json_path((key,))
    line = lines.of(file, (key,))
    if event.kind is K.MODEL_IMMUTABLE_CHANGED and key == "last_version":
        if event.model in reverted:
            return []  # said once, as REGISTRATION_REVERTED
        return [Problem(path=file, line=line, json_path=at, code=codes.LAST_VERSION_DECREASED,
                        message=f"last_version of {event.model!r} goes down ({event.old} -> "
                        f"{event.new}): numbers are never given twice, so it only grows")]
    what = f"{event.model} v{event.version}" if event.version is not None else repr(event.model)
    return [Problem(path=file, line=line, json_path=at, code=codes.IMMUTABLE_FIELD,
                    message=f"{what}: {key} is written once and cannot change ({_show(event.old)}"
                    f" -> {_show(event.new)}); register a new version instead")]


def _removed(event: Event, lines: Lines, reverted: dict[str, tuple[int, int]]) -> Problem:
    file, number = event.file or "", event.version or 0
    span = reverted.get(event.model or "")
    if span is not None and span[1] < number <= span[0]:
        return Problem(
            path=file, line=lines.of(file), code=codes.REGISTRATION_REVERTED,
            message=f"{event.model} v{number}: this change removes the version file and lowers "
            f"last_version ({span[0]} -> {span[1]}), undoing the registration (a forge's Revert?) "
            f"so that number {number} would be given again: close it and run `modelreg revert` "
            "on that commit instead, which deletes the version and keeps its number taken")
    return Problem(
        path=file, line=lines.of(file), code=codes.VERSION_FILE_REMOVED,
        message=f"{event.model} v{number}: the version file is removed instead of deleted "
        f"(a deleted version keeps a tombstone so its number stays taken): restore it and run "
        f"`modelreg versions delete {event.model} {number}`")


def _reverted(events: tuple[Event, ...]) -> dict[str, tuple[int, int]]:
    """Models whose last_version went down while version files went away: (old, new)."""
    removed = {e.model for e in events if e.kind is K.VERSION_DELETED and e.immutable}
    return {
        e.model: (e.old, e.new) for e in events
        if e.kind is K.MODEL_IMMUTABLE_CHANGED and e.key == "last_version" and e.model is not None
        and e.model in removed and isinstance(e.old, int) and isinstance(e.new, int)
    }


def store_changed(view: ChangeView) -> list[Problem]:
    """STORE_CHANGED: `store:` in registry.yaml moves, so every version's artifacts would be
    read from elsewhere (and the check verifies against the base branch's store anyway)."""
    lines = Lines(view.after.files)
    return [
        Problem(path=layout.REGISTRY_FILE, line=lines.of(layout.REGISTRY_FILE, ("store",)),
                json_path="$.store", code=codes.STORE_CHANGED,
                message=f"the artifact store changes ({_show(event.old)} -> {_show(event.new)}): "
                "every version's files would then be read from there; a pull request may not "
                "move it (copy the store, then change `store:` on the base branch itself)")
        for event in view.diff.events
        if event.kind is K.REGISTRY_CHANGED and event.key == "store"
    ]


def numbers_taken(view: ChangeView) -> list[Problem]:
    """VERSION_TAKEN: a version file the change adds whose number the base branch gave."""
    lines = Lines(view.after.files)
    found = []
    for path, folder, number in _added_versions(view):
        given = view.base.files.blob_id(path)
        if given == view.after.files.blob_id(path):
            continue  # the same registration landed on the base branch (a cherry-pick)
        name = _name(view.after, path, folder)
        if given is not None:
            why = f"{name} v{number} was registered on the base branch meanwhile"
        else:
            last = _last_version(view.base, folder)
            if last is None or number > last:
                continue
            why = f"{name} v{number}: number {number} was given before (last_version is {last} " \
                  "on the base branch)"
        found.append(Problem(
            path=path, line=lines.of(path, ("version",)), json_path="$.version",
            code=codes.VERSION_TAKEN, message=f"{why}, and a number is never given twice: run "
            "`modelreg rebase` to renumber this change's registrations on top of the base branch"))
    return found


def _added_versions(view: ChangeView) -> Iterator[tuple[str, str, int]]:
    for path in view.paths:
        parts = path.split("/")
        if len(parts) != 4 or parts[0] != layout.MODELS_DIR or parts[2] != layout.VERSIONS_DIR:
            continue
        number = layout.version_number(parts[3])
        if number is None or view.before.files.blob_id(path) is not None:
            continue
        if view.after.files.blob_id(path) is not None:
            yield path, parts[1], number


def _name(snapshot: Snapshot, path: str, folder: str) -> str:
    try:
        mv = snapshot.parsed_at("version", path)
    except ModelregError:
        mv = None
    return mv.name if mv is not None and isinstance(mv.name, str) and mv.name else unquote(folder)


def _last_version(snapshot: Snapshot, folder: str) -> int | None:
    path = f"{layout.MODELS_DIR}/{folder}/{layout.MODEL_FILE}"
    try:
        model = snapshot.parsed_at("model", path)
    except ModelregError:
        return None
    return model.last_version if model is not None else None
