"""From changed files to events: the registry diff of `modelreg diff`, `log` and `check`.

It reads only the changed paths (plus a model's `model.yaml` to name it and the version an
alias points at to locate its bytes), so it costs O(change), not O(registry). It goes by
folder, not by name, so hand-edited folders whose name does not match their model are
described too, and a file that cannot be parsed becomes an `unreadable` event instead of an
exception.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from urllib.parse import unquote

from modelreg import layout
from modelreg.diff import compare
from modelreg.diff.events import Event, EventKind, RegistryDiff
from modelreg.diff.reading import Reader, Side, artifact_uri
from modelreg.model import AliasTable, ModelVersion, RegisteredModel
from modelreg.snapshot import MemoryFiles, Snapshot

_MODELS = f"{layout.MODELS_DIR}/"
_VERSIONS = f"{layout.VERSIONS_DIR}/"


def registry_diff(old: Snapshot | None, new: Snapshot, paths: Iterable[str]) -> RegistryDiff:
    """The events that turn `old` (None: nothing) into `new`, given the paths that differ.

    `paths` are registry-relative (`models/fraud/aliases.yaml`); the Git layer lists them
    from a tree diff, `changed_paths` computes them for views without one. Paths outside the
    format (a README next to `registry.yaml`) are not the registry's and are left out.
    """
    before = old if old is not None else Snapshot(MemoryFiles())
    reader = Reader(before, new)
    events: list[Event] = []
    folders: dict[str, set[str]] = {}
    for path in paths:
        if path == layout.REGISTRY_FILE:
            configs = reader.config(old=True), reader.config(old=False)
            if not reader.broken(path):
                events += compare.registry_events(*configs)
        elif path.startswith(_MODELS) and path.count("/") >= 2:
            folder, _, rel = path[len(_MODELS) :].partition("/")
            folders.setdefault(folder, set()).add(rel)
        elif path.startswith(_MODELS):
            events.append(_unrecognized(reader, path, model=None))
    for old_folder, new_folder in _pairs(reader, folders):
        rels = folders.get(old_folder, set()) | folders.get(new_folder, set())
        events += _folder_events(reader, Side(before, old_folder), Side(new, new_folder), rels)
    events += reader.unreadable_events()
    return RegistryDiff.of(events, old_revision=before.revision, new_revision=new.revision)


def _pairs(reader: Reader, folders: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(old folder, new folder) for each touched model: equal unless the model was renamed.

    A rename shows up as one folder deleted and one created; they are the same model when
    `model.yaml`'s `created_at` and every version's number, artifacts digest and `created_at`
    agree (a copy made elsewhere would not have them all).
    """
    touched = [f for f, rels in sorted(folders.items()) if layout.MODEL_FILE in rels]
    gone = [f for f in touched if reader.exists(f, old=True) and not reader.exists(f, old=False)]
    born = [f for f in touched if reader.exists(f, old=False) and not reader.exists(f, old=True)]
    identities = {f: reader.identity(f, old=False) for f in born} if gone else {}
    renamed: dict[str, str] = {}
    for folder in gone:
        identity = reader.identity(folder, old=True)
        match = next((b for b in born if identity and identities[b] == identity), None)
        if match is not None:
            renamed[folder] = match
            born.remove(match)
    targets = set(renamed.values())
    return [(f, renamed.get(f, f)) for f in sorted(folders) if f not in targets]


def _folder_events(reader: Reader, old: Side, new: Side, rels: set[str]) -> list[Event]:
    old_model: RegisteredModel | None = reader.read(old, "model", layout.MODEL_FILE)
    new_model: RegisteredModel | None = reader.read(new, "model", layout.MODEL_FILE)
    name = _name(new_model, old_model, new.folder)
    reader.names[old.folder] = reader.names[new.folder] = name
    renamed = old.folder != new.folder
    existed, exists = old.exists(layout.MODEL_FILE), new.exists(layout.MODEL_FILE)
    if existed and not exists:
        count = len(old.snapshot.files.listdir(old.path(layout.VERSIONS_DIR)))
        deleted = Event(kind=EventKind.MODEL_DELETED, old={"versions": count})
        return _about([deleted], name, old.path(layout.MODEL_FILE))
    events: list[Event] = []
    if renamed:
        former = _name(old_model, None, old.folder)
        events.append(Event(kind=EventKind.MODEL_RENAMED, old=former, new=name))
    elif exists and not existed:
        events.append(compare.model_created(new_model))
    edited = renamed or layout.MODEL_FILE in rels
    if edited and existed and old_model is not None and new_model is not None:
        events += compare.model_events(old_model, new_model, renamed=renamed)
    out = _about(events, name, new.path(layout.MODEL_FILE))
    out += _version_changes(reader, old, new, rels, name)
    if layout.ALIASES_FILE in rels:
        out += _alias_changes(reader, old, new, name)
    for rel in sorted(rels):
        if not _known(rel):
            out.append(_unrecognized(reader, new.path(rel), model=name, old_path=old.path(rel)))
    return out


def _version_changes(
    reader: Reader, old: Side, new: Side, rels: set[str], name: str
) -> list[Event]:
    out: list[Event] = []
    store = reader.store()
    for number in sorted({n for n in map(_version_number, rels) if n is not None}):
        rel = f"{_VERSIONS}{number}.yaml"
        before: ModelVersion | None = reader.read(old, "version", rel)
        after: ModelVersion | None = reader.read(new, "version", rel)
        if reader.broken(old.path(rel), new.path(rel)):
            continue
        changes = compare.version_events(before, after, renamed=old.folder != new.folder)
        art = next((mv.artifacts for mv in (after, before) if mv and mv.artifacts), None)
        digest = art.digest if art is not None and art.digest else None
        uri = artifact_uri(store, art)
        file = new.path(rel) if after is not None else old.path(rel)
        out += [
            dataclasses.replace(e, version=number, artifact_uri=uri, digest=digest)
            for e in _about(changes, name, file)
        ]
    return out


def _alias_changes(reader: Reader, old: Side, new: Side, name: str) -> list[Event]:
    rel = layout.ALIASES_FILE
    before: AliasTable | None = reader.read(old, "aliases", rel)
    after: AliasTable | None = reader.read(new, "aliases", rel)
    if reader.broken(old.path(rel), new.path(rel)):
        return []
    changes = compare.alias_events(before or AliasTable(), after or AliasTable())
    store = reader.store()
    out = []
    for event in _about(changes, name, new.path(rel) if after is not None else old.path(rel)):
        art = reader.version_artifacts(new, old, event.version)
        digest = art.digest if art is not None and art.digest else None
        uri = artifact_uri(store, art)
        out.append(dataclasses.replace(event, artifact_uri=uri, digest=digest))
    return out


def _about(events: Iterable[Event], model: str, file: str) -> list[Event]:
    return [dataclasses.replace(e, model=model, file=file) for e in events]


def _name(first: RegisteredModel | None, second: RegisteredModel | None, folder: str) -> str:
    for model in (first, second):
        if model is not None and isinstance(model.name, str) and model.name:
            return model.name
    return unquote(folder)


def _version_number(rel: str) -> int | None:
    if not rel.startswith(_VERSIONS) or rel.count("/") != 1:
        return None
    return layout.version_number(rel[len(_VERSIONS) :])


def _known(rel: str) -> bool:
    return rel in (layout.MODEL_FILE, layout.ALIASES_FILE) or _version_number(rel) is not None


def _unrecognized(reader: Reader, path: str, *, model: str | None, old_path: str = "") -> Event:
    state = reader.file_state(old_path or path, path)
    return Event(kind=EventKind.UNRECOGNIZED_FILE, model=model, file=path, new=state)

