"""Searches answered by the index: the SQL of `index/query.py`, then Python's exact check.

1. SQLite returns the candidates (in the request's order when `Select.ordered`).
2. They are built a batch at a time (the memo, else stored JSON, else a parse of the blob) and
   checked with the predicate `modelreg.search` compiles from the same conditions, so a
   candidate SQL let through in excess never reaches the page.
3. Matches are counted off: `offset` of them skipped (unless SQLite skipped them, for an exact
   select), `limit` + 1 kept, the rest never built. An unordered select is built whole and
   sorted here with `modelreg.search`'s keys.
4. Aliases and stages are read for the matches kept only; registered models get their latest
   version per stage from the `files` rows and the alias table, as `Snapshot.latest_in_stage`
   computes it for each `Stage`.

Both functions run through `Index._answer` (the file checked and moved to the commit, rebuilt
if damaged, replaced by memory if locked), and return what `request.page` turns into a page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from modelreg.index import bulk, codec, db, load
from modelreg.index.gittrees import Trees
from modelreg.index.query import Select, model_select, version_select
from modelreg.model import AliasTable, ModelVersion, RegisteredModel, Stage
from modelreg.search import Request
from modelreg.search.order import sort

_BATCH = 256  # candidates fetched and built at a time
Found = list[tuple[Any, Any]]  # (row, built value) of each match kept


def versions(conn: sqlite3.Connection, trees: Trees, *, request: Request) -> list[ModelVersion]:
    """Live versions matching `request`, in its order, from its offset: up to limit + 1."""
    found = collect(conn, trees, version_select(request), codec.VERSION, request)
    tables = alias_tables(conn, trees, {row[3] for row, _ in found if row[3] is not None})
    return [worn(mv, tables.get(row[3])) for row, mv in found]


def models(conn: sqlite3.Connection, trees: Trees, *, request: Request) -> list[RegisteredModel]:
    """Registered models matching `request` (aliases and latest versions filled), in its
    order, from its offset: up to limit + 1."""
    found = collect(conn, trees, model_select(request), codec.MODEL, request)
    tables = alias_tables(conn, trees, {row[2] for row, _ in found if row[2] is not None})
    by_dir = {row[1]: tables.get(row[2]) for row, _ in found}
    latest = latest_versions(conn, trees, by_dir)
    out = []
    for row, model in found:
        table = by_dir[row[1]]
        if table is not None and table.table.aliases:
            model = replace(model, aliases=table.table.aliases)
        out.append(replace(model, latest_versions=latest[row[1]]))
    return out


def collect(conn: sqlite3.Connection, trees: Trees, select: Select, kind: str,
            request: Request) -> Found:
    """The matches from the request's offset, in its order, at most limit + 1."""
    if not select.ordered:
        return _sorted(conn, trees, select, kind, request)
    skip = 0 if select.exact else request.offset
    return _first(conn, trees, select, kind, request, skip=skip, want=request.limit + 1)


def _first(conn: sqlite3.Connection, trees: Trees, select: Select, kind: str,
           request: Request, *, skip: int, want: int) -> Found:
    """Candidates built and checked a batch at a time: `skip` matches left out, then `want`
    kept; candidates past the last one kept are never built."""
    check = _predicate(request)
    out: Found = []
    cursor = conn.execute(select.sql, select.params)
    try:
        while len(out) < want and (rows := cursor.fetchmany(_BATCH)):
            trees.stats.rows_loaded += len(rows)
            built = load.values_of(conn, trees, kind, [row[0] for row in rows])
            for row in rows:
                value = built[row[0]]
                if not check(value):
                    continue
                if skip:
                    skip -= 1
                else:
                    out.append((row, value))
    finally:
        cursor.close()
    return out[:want]


def _sorted(conn: sqlite3.Connection, trees: Trees, select: Select, kind: str,
            request: Request) -> Found:
    """Every candidate built and checked, the matches sorted here (what SQLite would need a
    manifest lookup per version for)."""
    rows = conn.execute(select.sql, select.params).fetchall()
    trees.stats.rows_loaded += len(rows)
    check = _predicate(request)
    with bulk.no_gc(len(rows) > 1000):
        built = load.values_of(conn, trees, kind, [row[0] for row in rows])
        matches = [(row, built[row[0]]) for row in rows]
        values = [value for _, value in matches if check(value)]
        row_of = {id(value): row for row, value in matches}  # one value per blob, per row
        sort(values, request.keys, request.schema)
    start = request.offset
    return [(row_of[id(value)], value) for value in values[start : start + request.limit + 1]]


def _predicate(request: Request) -> Callable[[Any], bool]:
    check = request.predicate()  # the conditions, and MLflow's prompts split when asked
    return (lambda _: True) if check is None else check


def alias_tables(
    conn: sqlite3.Connection, trees: Trees, blobs: set[str]
) -> dict[str, codec.Aliases]:
    """The alias tables that parse among `blobs` (the others count as none, as in listings)."""
    out: dict[str, codec.Aliases] = {}
    missing = []
    for blob in blobs:
        value = codec.remembered(codec.ALIASES, blob)
        if value is None:
            missing.append(blob)
        else:
            out[blob] = value
    for blob, ok, data in db.manifests(conn, codec.ALIASES, missing):
        if ok:
            out[blob] = load.build(trees, codec.ALIASES, blob, data)
    return out


def worn(mv: ModelVersion, table: codec.Aliases | None) -> ModelVersion:
    """The version with the aliases and stage its model's table gives it."""
    wear = table.wear.get(mv.version) if table is not None else None
    return mv if wear is None else replace(mv, aliases=wear[0], current_stage=wear[1])


def latest_versions(
    conn: sqlite3.Connection, trees: Trees, tables: Mapping[str, codec.Aliases | None]
) -> dict[str, tuple[ModelVersion, ...]]:
    """Each folder's latest live version per stage, in `Stage` order."""
    live: dict[str, dict[int, str]] = {dirname: {} for dirname in tables}
    select = "SELECT dir, version, blob FROM files WHERE live = 1"
    for dirname, number, blob in db.where_in(conn, select, "dir", list(tables)):
        live[dirname][number] = blob
    picks = {dirname: [n for stage in Stage
                       if (n := latest_in(stage, _table(table), live[dirname])) is not None]
             for dirname, table in tables.items()}
    blobs = sorted({live[d][n] for d, numbers in picks.items() for n in numbers})
    built = load.values_of(conn, trees, codec.VERSION, blobs)
    return {d: tuple(worn(built[live[d][n]], tables[d]) for n in numbers)
            for d, numbers in picks.items()}


def _table(table: codec.Aliases | None) -> AliasTable:
    return AliasTable() if table is None else table.table


def latest_in(stage: Stage, table: AliasTable, live: Mapping[int, str]) -> int | None:
    """The highest live version in `stage`; for NONE, in no stage of the table at all."""
    if stage is Stage.NONE:
        staged = {v for vs in table.stages.values() for v in vs}
        return max((n for n in live if n not in staged), default=None)
    return max((n for n in table.stages.get(stage, ()) if n in live), default=None)
