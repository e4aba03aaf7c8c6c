"""The write side of a sync: parsed manifests in, then the state moved to a new models tree.

Everything here runs inside the caller's `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from modelreg import layout
from modelreg.index import codec
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
    for kind in codec.KINDS:
        mine = [r for r in rows if r.kind == kind]
        width = _COLUMNS[kind]
        conn.executemany(
            _INSERT[kind],
            [(r.blob, int(r.ok), *(r.columns or (None,) * width), r.data) for r in mine],
        )
        if kind in _TAGS:
            conn.executemany(
                f"INSERT OR IGNORE INTO {_TAGS[kind]} VALUES (?, ?, ?)",
                # NaN, which SQLite would hold as NULL, as text (its blob is odd anyway)
                [(k, v if v == v else "NaN", r.blob) for r in mine for k, v in r.tags],
            )
            conn.executemany("INSERT OR IGNORE INTO odd_tags VALUES (?)",
                             [(r.blob,) for r in mine if odd_tags(r.tags)])
    if rows:
        conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'inserted'",
            (len(rows),),
        )


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
    for update in updates:
        if update.tree is None:
            conn.execute("DELETE FROM files WHERE dir = ?", (update.dir,))
            conn.execute("DELETE FROM dirs WHERE dir = ?", (update.dir,))
        else:
            _apply_dir(conn, update)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'tree'", (tree,))


def _apply_dir(conn: sqlite3.Connection, update: DirUpdate) -> None:
    blobs: dict[FileKey, str | None] = {codec.MODEL: None, codec.ALIASES: None}
    before: str | None = None
    row = conn.execute(
        "SELECT model_blob, aliases_blob, name FROM dirs WHERE dir = ?", (update.dir,)
    ).fetchone()
    if update.replace:
        conn.execute("DELETE FROM files WHERE dir = ?", (update.dir,))
    elif row is not None:
        blobs, before = {codec.MODEL: row[0], codec.ALIASES: row[1]}, row[2]
    versions = []
    for key, blob in update.files.items():
        if not isinstance(key, int):
            blobs[key] = blob
        elif blob is None:
            conn.execute("DELETE FROM files WHERE dir = ? AND version = ?", (update.dir, key))
        else:
            versions.append((update.dir, key, blob))
    name = _model_name(conn, update.dir, blobs[codec.MODEL])
    conn.execute(
        "INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?, ?)",
        (update.dir, update.tree, name, blobs[codec.MODEL], blobs[codec.ALIASES]),
    )
    conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, 0)", versions)
    if name != before or update.replace:
        conn.execute(_LIVE + " WHERE dir = ?", (name, update.dir))
    else:
        conn.executemany(_LIVE + " WHERE dir = ? AND version = ?",
                         [(name, d, v) for d, v, _ in versions])


_LIVE = (
    "UPDATE files SET live = EXISTS(SELECT 1 FROM version_manifests v WHERE v.blob = files.blob"
    " AND v.ok = 1 AND v.deleted = 0 AND v.version = files.version AND v.name = ?)"
)


def _model_name(conn: sqlite3.Connection, dirname: str, blob: str | None) -> str | None:
    """The model a folder holds: its `model.yaml` parses and names this very folder."""
    if blob is None:
        return None
    row = conn.execute(
        "SELECT name FROM model_manifests WHERE blob = ? AND ok = 1", (blob,)
    ).fetchone()
    if row is None or layout.model_dir(row[0]) != dirname:
        return None
    name: str = row[0]
    return name


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
