"""From the models tree the index holds to the one asked about: which model folders change.

Two ways, same result. The usual one diffs the two trees (libgit2 skips equal subtrees by
id, so a new version costs a few objects whatever the registry's size). When the old tree is
gone (amend + gc, a first build), the new models tree is listed and each folder's tree id is
compared with the one remembered: only folders whose id differs are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from modelreg import layout
from modelreg.index import codec
from modelreg.index.gittrees import Entry, FileChange, Trees

# What a file of a model folder is: "model", "aliases", or a version number.
FileKey = str | int


class DirUpdate(NamedTuple):
    """The new state of one model folder: `tree` None when it is gone. `files` maps each
    manifest to its new blob id (None: deleted); with `replace`, it is the whole folder."""

    dir: str
    tree: str | None
    files: dict[FileKey, str | None]
    replace: bool


def kind_of(key: FileKey) -> str:
    if isinstance(key, int):
        return codec.VERSION
    return key


def classify(parts: list[str]) -> FileKey | None:
    """The manifest a path inside a model folder is (`model.yaml`, `versions/7.yaml`)."""
    if len(parts) == 1:
        if parts[0] == layout.MODEL_FILE:
            return codec.MODEL
        if parts[0] == layout.ALIASES_FILE:
            return codec.ALIASES
        return None
    if len(parts) == 2 and parts[0] == layout.VERSIONS_DIR:
        return layout.version_number(parts[1])
    return None


def by_diff(trees: Trees, old: str, new: str) -> list[DirUpdate]:
    """Raises `MissingTree` when `old` was pruned."""
    touched: dict[str, dict[FileKey, str | None]] = {}
    for change in trees.diff(old, new):
        _note(touched, change)
    updates = []
    entries = trees.lookup(new, list(touched))
    for dirname, files in touched.items():
        entry = entries[dirname]
        tree = entry.id if entry is not None and entry.is_tree else None
        updates.append(DirUpdate(dirname, tree, files if tree else {}, replace=False))
    return updates


def _note(touched: dict[str, dict[FileKey, str | None]], change: FileChange) -> None:
    dirname, *rest = change.path.split("/")
    files = touched.setdefault(dirname, {})
    key = classify(rest)
    if key is not None:
        files[key] = change.new


def by_scan(trees: Trees, new: str, stored: Mapping[str, str]) -> list[DirUpdate]:
    """Compare every folder's tree id with the one remembered; read only those that differ."""
    trees.stats.full_scans += 1
    updates = []
    present = set()
    for entry in trees.entries(new):
        if not entry.is_tree:
            continue
        present.add(entry.name)
        if stored.get(entry.name) != entry.id:
            updates.append(DirUpdate(entry.name, entry.id, folder_files(trees, entry), True))
    updates += [DirUpdate(d, None, {}, False) for d in stored if d not in present]
    return updates


def folder_files(trees: Trees, folder: Entry) -> dict[FileKey, str | None]:
    files: dict[FileKey, str | None] = {}
    for entry in trees.entries(folder.id):
        if entry.is_tree and entry.name == layout.VERSIONS_DIR:
            for item in trees.entries(entry.id):
                number = None if item.is_tree else layout.version_number(item.name)
                if number is not None:
                    files[number] = item.id
        elif not entry.is_tree:
            key = classify([entry.name])
            if key is not None:
                files[key] = entry.id
    return files


def needed(updates: list[DirUpdate]) -> dict[str, set[str]]:
    """Blob ids by kind that the updates refer to."""
    out: dict[str, set[str]] = {kind: set() for kind in codec.KINDS}
    for update in updates:
        for key, blob in update.files.items():
            if blob is not None:
                out[kind_of(key)].add(blob)
    return out
