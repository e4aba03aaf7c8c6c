"""The write side of a sync: parsed manifests in, then the state moved to a new models tree.

Everything here runs inside the caller's `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from modelreg import layout
from modelreg.index import codec, db
from modelreg.index.plan import DirUpdate, FileKey

PRUNE_SLACK = 1000  # parsed manifests kept beyond twice the live ones before pruning

_INSERT = {
    codec.MODEL: "INSERT OR IGNORE INTO model_manifests VALUES (?, ?, ?, ?, ?)",
    codec.ALIASES: "INSERT OR IGNORE INTO alias_manifests VALUES (?, ?, ?)",
    codec.VERSION: "INSERT OR IGNORE INTO version_manifests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
}
_COLUMNS = {codec.MODEL: 2, codec.ALIASES: 0, codec.VERSION: 7}
_TAGS = {codec.MODEL: "model_tags", codec.VERSION: "version_tags"}


def insert(conn: sqlite3.Connection, rows: list[codec.Row]) -> None:
    for sql, params in statements(rows):
        conn.executemany(sql, params)


Statements = list[tuple[str, list[tuple[Any, ...]]]]


def statements(rows: list[codec.Row]) -> Statements:
    out: Statements = []
    for kind in codec.KINDS:
        mine = [r for r in rows if r.kind == kind]
        width = _COLUMNS[kind]
        out.append((_INSERT[kind],
                    [(r.blob, int(r.ok), *(r.columns or (None,) * width), r.data) for r in mine]))
        if kind in _TAGS:
            out.append((
                f"INSERT OR IGNORE INTO {_TAGS[kind]} VALUES (?, ?, ?)",
                # NaN, which SQLite would hold as NULL, as text (its blob is odd anyway)
                [(k, v if v == v else "NaN", r.blob) for r in mine for k, v in r.tags],
            ))
            out.append(("INSERT OR IGNORE INTO odd_tags VALUES (?)",
                        [(r.blob,) for r in mine if r.tags and odd_tags(r.tags)]))
    if rows:
        out.append(("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'inserted'",
                    [(len(rows),)]))
    return out


def odd_tags(tags: tuple[tuple[str, Any], ...]) -> bool:
    """Whether the tag rows may misstate a manifest's tags, so that SQL could miss a match.

    A hand-written YAML value may be a number, NaN (SQLite's NULL), a boolean, null, a list
    or a mapping (the last three stored as JSON text, which `!=` would compare as a string).
    A string that looks like such JSON counts too. Manifests modelreg writes have none.
    (Keys are always text: `yamlio` builds mapping keys from the scalar's text.)
    """
    return any(not isinstance(v, str) or v[:1] in ("[", "{") or v == "null" for _, v in tags)


def apply(conn: sqlite3.Connection, tree: str, updates: list[DirUpdate]) -> None:
    """Move the state to models tree `tree` (inside the caller's write transaction)."""
    renamed = place(conn, updates)
    conn.executemany(f"UPDATE files SET live = {_LIVE.format('files.blob', 'files.version', '?')}"
                     " WHERE dir = ?", renamed)
    set_tree(conn, tree)


def set_tree(conn: sqlite3.Connection, tree: str) -> None:
    conn.execute("UPDATE meta SET value = ? WHERE key = 'tree'", (tree,))


def place(conn: sqlite3.Connection, updates: list[DirUpdate]) -> list[tuple[str | None, str]]:
    """The folders' new rows, every folder at once (a first build places 10,000 of them),
    files with their `live`; the (name, folder) of each folder whose other files' `live` must
    be computed again, because it holds another model now."""
    gone = [(u.dir,) for u in updates if u.tree is None]
    conn.executemany("DELETE FROM files WHERE dir = ?", gone)
    conn.executemany("DELETE FROM dirs WHERE dir = ?", gone)
    kept = [u for u in updates if u.tree is not None]
    before = _dirs_before(conn, [u.dir for u in kept if not u.replace])
    conn.executemany("DELETE FROM files WHERE dir = ?", [(u.dir,) for u in kept if u.replace])
    states = [_state(u, before.get(u.dir)) for u in kept]
    names = _model_names(conn, {s.model for s in states if s.model is not None})
    dirs, files, dropped, renamed = [], [], [], []
    for state in states:
        name = _name_of(state.dir, state.model, names)
        dirs.append((state.dir, state.tree, name, state.model, state.aliases))
        files += [(state.dir, v, blob, name) for v, blob in state.versions]
        dropped += [(state.dir, v) for v in state.dropped]
        if name != state.name and not state.replace:
            renamed.append((name, state.dir))
    conn.executemany("DELETE FROM files WHERE dir = ? AND version = ?", dropped)
    conn.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?, ?)", dirs)
    conn.executemany(_INSERT_FILE, files)
    return renamed


class _State(NamedTuple):
    """A folder's manifests after an update, and the model name it had before."""

    dir: str
    tree: str | None
    replace: bool
    model: str | None
    aliases: str | None
    name: str | None
    versions: list[tuple[int, str]]
    dropped: list[int]


def _state(update: DirUpdate, row: tuple[Any, ...] | None) -> _State:
    blobs: dict[FileKey, str | None] = {codec.MODEL: None, codec.ALIASES: None}
    before = None
    if row is not None:
        blobs, before = {codec.MODEL: row[0], codec.ALIASES: row[1]}, row[2]
    versions, dropped = [], []
    for key, blob in update.files.items():
        if not isinstance(key, int):
            blobs[key] = blob
        elif blob is None:
            dropped.append(key)
        else:
            versions.append((key, blob))
    return _State(update.dir, update.tree, update.replace, blobs[codec.MODEL],
                  blobs[codec.ALIASES], before, versions, dropped)


def _dirs_before(conn: sqlite3.Connection, dirnames: list[str]) -> dict[str, tuple[Any, ...]]:
    select = "SELECT dir, model_blob, aliases_blob, name FROM dirs"
    return {row[0]: row[1:] for row in db.where_in(conn, select, "dir", dirnames)}


def _model_names(conn: sqlite3.Connection, blobs: set[str]) -> dict[str, str]:
    select = "SELECT blob, name FROM model_manifests WHERE ok = 1"
    return dict(db.where_in(conn, select, "blob", sorted(blobs)))


def _name_of(dirname: str, blob: str | None, names: dict[str, str]) -> str | None:
    """The model a folder holds: its `model.yaml` parses and names this very folder."""
    name = None if blob is None else names.get(blob)
    return name if name is not None and layout.model_dir(name) == dirname else None


# `live`: the version file ({0}) parses, is no tombstone, and names its model ({2}) and its
# number ({1}). Both `place` and `apply` use it, and `live` says it of a row in hand (a first
# build's, index/fresh.py), so a file's `live` has one meaning.
_LIVE = (
    "EXISTS(SELECT 1 FROM version_manifests v WHERE v.blob = {0} AND v.ok = 1"
    " AND v.deleted = 0 AND v.version = {1} AND v.name = {2})"
)
_INSERT_FILE = f"INSERT OR REPLACE INTO files SELECT ?1, ?2, ?3, {_LIVE.format('?3', '?2', '?4')}"


def live(columns: tuple[Any, ...] | None, version: int, name: str | None) -> bool:
    """`_LIVE` of a version row's columns (None: it did not parse), file number and model."""
    return (columns is not None and name is not None and columns[6] == 0
            and columns[1] == version and columns[0] == name)


def prune(conn: sqlite3.Connection) -> None:
    """Drop parsed manifests nothing refers to, once they may outnumber the live ones.

    `inserted` counts rows added (roughly: ignored duplicates too) and `live` the references
    at the last look, so the counting itself runs rarely.
    """
    meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('inserted', 'live')"))
    if int(meta["inserted"]) <= 2 * int(meta["live"]) + PRUNE_SLACK:
        return
    live = conn.execute("SELECT (SELECT count(*) FROM files) + 2 * (SELECT count(*) FROM dirs)")
    meta["live"] = live.fetchone()[0]
    if int(meta["inserted"]) > 2 * int(meta["live"]) + PRUNE_SLACK:
        for sql in _PRUNE:
            conn.execute(sql)
        meta["inserted"] = conn.execute(
            "SELECT (SELECT count(*) FROM version_manifests)"
            " + (SELECT count(*) FROM model_manifests) + (SELECT count(*) FROM alias_manifests)"
        ).fetchone()[0]
    conn.executemany("UPDATE meta SET value = ? WHERE key = ?",
                     [(str(v), k) for k, v in meta.items()])


_PRUNE = (
    "DELETE FROM version_manifests WHERE blob NOT IN (SELECT blob FROM files)",
    "DELETE FROM model_manifests WHERE blob NOT IN"
    " (SELECT model_blob FROM dirs WHERE model_blob IS NOT NULL)",
    "DELETE FROM alias_manifests WHERE blob NOT IN"
    " (SELECT aliases_blob FROM dirs WHERE aliases_blob IS NOT NULL)",
    "DELETE FROM version_tags WHERE blob NOT IN (SELECT blob FROM version_manifests)",
    "DELETE FROM model_tags WHERE blob NOT IN (SELECT blob FROM model_manifests)",
    "DELETE FROM odd_tags WHERE blob NOT IN (SELECT blob FROM version_manifests)"
    " AND blob NOT IN (SELECT blob FROM model_manifests)",
)
