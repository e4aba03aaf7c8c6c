"""Manifests in and out of the index: parse what is new, build listings from rows."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

from modelreg.index import bulk, codec, db
from modelreg.index.bulk import no_gc
from modelreg.index.gittrees import Trees
from modelreg.index.plan import DirUpdate, kind_of
from modelreg.model import ModelVersion, RegisteredModel
from modelreg.snapshot import ParseStats


def parse(trees: Trees, kind: str, blob: str) -> Any:
    """The value of a manifest blob, or None when it does not parse (`validate` says why)."""
    value = codec.remembered(kind, blob)
    if value is not None:
        return value
    return row_of(trees, kind, blob, keep=True)[1]


def row_of(trees: Trees, kind: str, blob: str, *, keep: bool = True) -> tuple[codec.Row, Any]:
    """The row of a blob and its value, remembered with `keep` (see `bulk_row`)."""
    data = trees.read(blob)
    trees.stats.manifests_parsed += 1
    ParseStats.parsed += 1
    value = codec.parse(kind, blob, data)
    if value is not None and keep:
        codec.remember(kind, blob, value)
    return codec.encode(kind, blob, value, data), value


def make_row(trees: Trees, kind: str, blob: str) -> codec.Row:
    return row_of(trees, kind, blob)[0]


def bulk_row(trees: Trees, kind: str, blob: str) -> codec.Row:
    """A row whose value is not remembered: a bulk build makes 100,000 of them (issue #5),
    in helper processes too, and keeping them costs more than building a few again."""
    return row_of(trees, kind, blob, keep=False)[0]


def prepare(conn: sqlite3.Connection, trees: Trees, updates: list[DirUpdate]) -> list[codec.Row]:
    """Rows for every blob the updates refer to that the file does not hold yet, sorted by
    blob id (inserts then walk the B-trees in order)."""
    rows = bulk.rows(trees, _wanted(conn, updates), make_row)
    rows.sort(key=lambda row: row.blob)
    return rows


def _wanted(conn: sqlite3.Connection, updates: list[DirUpdate]) -> bulk.Wanted:
    """(kind, blob) of each blob the updates refer to that the file does not hold, in the
    trees' order: the pack's order, so reading them is ~4x faster than by id (issue #5)."""
    order: dict[tuple[str, str], None] = {}
    for update in updates:
        for key, blob in update.files.items():
            if blob is not None:
                order[(kind_of(key), blob)] = None
    by_kind: dict[str, list[str]] = {}
    for kind, blob in order:
        by_kind.setdefault(kind, []).append(blob)
    held = {kind: _held(conn, kind, blobs) for kind, blobs in by_kind.items()}
    return [(kind, blob) for kind, blob in order if blob not in held[kind]]


def _held(conn: sqlite3.Connection, kind: str, blobs: list[str]) -> set[str]:
    """Which `blobs` the file holds: many are looked up in one pass over the table."""
    if len(blobs) <= _BULK:
        return db.known(conn, kind, blobs)
    return {row[0] for row in conn.execute(f"SELECT blob FROM {db.TABLE[kind]}")}


_BULK = 2000  # missing values from which one pass over the whole table beats lookups


def values_of(
    conn: sqlite3.Connection, trees: Trees, kind: str, blobs: list[str]
) -> dict[str, Any]:
    """Values by blob id (every blob parsed fine): from the memo, else from stored bytes."""
    out: dict[str, Any] = {}
    missing = []
    for blob in blobs:
        value = codec.remembered(kind, blob)
        if value is None:
            missing.append(blob)
        else:
            out[blob] = value
    if len(missing) > _BULK and 2 * len(missing) > len(blobs):
        stored = dict(conn.execute(f"SELECT blob, data FROM {db.TABLE[kind]}").fetchall())
    else:
        stored = db.data_of(conn, kind, missing)
    with no_gc(len(missing) > 1000):
        for blob in missing:
            out[blob] = build(trees, kind, blob, stored[blob])
    return out


def build(trees: Trees, kind: str, blob: str, data: bytes | None) -> Any:
    """The value of a blob from its stored bytes, remembered (`data` None: a row of a blob
    that did not parse, which no listing asks for; it is parsed again)."""
    if data is None:
        return parse(trees, kind, blob)
    trees.stats.rows_decoded += 1
    value = codec.decode(kind, blob, data)
    codec.remember(kind, blob, value)
    return value


def _aliases(conn: sqlite3.Connection, trees: Trees) -> dict[str, codec.Aliases]:
    """The alias table of every listed model folder, by folder."""
    rows = conn.execute(
        "SELECT d.dir, a.blob FROM dirs d JOIN alias_manifests a ON a.blob = d.aliases_blob"
        " WHERE d.name IS NOT NULL AND a.ok = 1"
    ).fetchall()
    values = values_of(conn, trees, codec.ALIASES, [blob for _, blob in rows])
    return {dirname: values[blob] for dirname, blob in rows}


_VERSIONS = (
    "SELECT f.dir, f.blob FROM dirs d JOIN files f ON f.dir = d.dir"
    " WHERE d.name IS NOT NULL AND f.live = 1 ORDER BY d.name, f.version"
)


def versions(conn: sqlite3.Connection, trees: Trees) -> list[ModelVersion]:
    tables = _aliases(conn, trees)
    rows = conn.execute(_VERSIONS).fetchall()
    trees.stats.rows_loaded += len(rows)
    values = values_of(conn, trees, codec.VERSION, [blob for _, blob in rows])
    out = []
    for dirname, blob in rows:
        mv: ModelVersion = values[blob]
        table = tables.get(dirname)
        worn = table.wear.get(mv.version) if table is not None else None
        if worn is not None:
            mv = replace(mv, aliases=worn[0], current_stage=worn[1])
        out.append(mv)
    return out


_MODELS = "SELECT d.dir, d.model_blob FROM dirs d WHERE d.name IS NOT NULL ORDER BY d.name"


def models(conn: sqlite3.Connection, trees: Trees) -> list[RegisteredModel]:
    tables = _aliases(conn, trees)
    rows = conn.execute(_MODELS).fetchall()
    trees.stats.rows_loaded += len(rows)
    values = values_of(conn, trees, codec.MODEL, [blob for _, blob in rows])
    out = []
    for dirname, blob in rows:
        model: RegisteredModel = values[blob]
        table = tables.get(dirname)
        if table is not None and table.table.aliases:
            model = replace(model, aliases=table.table.aliases)
        out.append(model)
    return out


def model_names(conn: sqlite3.Connection, trees: Trees) -> list[str]:
    rows = conn.execute("SELECT name FROM dirs WHERE name IS NOT NULL ORDER BY name").fetchall()
    trees.stats.rows_loaded += len(rows)
    return [row[0] for row in rows]
