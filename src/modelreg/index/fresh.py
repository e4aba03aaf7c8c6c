"""A first build: every manifest of a models tree into a new file, on every core (issue #5).

With no file yet (a fresh clone, or one discarded), the whole tree must be read. It is built
into a file of its own, without a journal (a cache: if the build fails, the file is deleted),
then linked into place unless another process was faster (its file is as good): nobody ever
sees a half-built file. The model folders are shared between this process and helper
processes (index/bulk.py): each walks its folders, parses their manifests and writes rows and
folders, `live` included, into a file of its own; this process then merges the helpers' files
into its own, one statement a table.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from modelreg import layout
from modelreg.index import bulk, codec, db, load, plan, write
from modelreg.index.gittrees import Entry, Trees, unverified
from modelreg.index.plan import DirUpdate

PARALLEL_MIN = 1_500  # model folders (~10 manifests each) from which helpers pay
# Folders this process takes per helper beyond an equal share: negative, since merging a
# helper's rows (db.merge) costs this process more than the ~0.2 s a helper takes to start.
HEAD_START = -500
_CHUNK = 200  # folders parsed, then written, at a time

Folders = list[tuple[str, str]]  # (name, tree id) of model folders
Facts = dict[tuple[str, str], tuple[Any, ...] | None]  # (kind, blob): its row's columns, if ok


def build(path: Path, prefix: str, trees: Trees, tree: str) -> None:
    """The index of models tree `tree` at `path`, unless a file is there already."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.new")
    db.discard(temporary)
    try:
        conn = db.create(temporary, prefix)
        try:
            with bulk.no_gc(), unverified():
                _load(conn, trees, tree, temporary, prefix)
            with db.immediate(conn):
                write.set_tree(conn, tree)
            db.finish(conn)
        finally:
            conn.close()
        # Linked, not renamed: a file another process made meanwhile stays (as good as this
        # one, and maybe open with its WAL). Without hard links, the caller builds in place.
        with contextlib.suppress(OSError):
            os.link(temporary, path)
    finally:
        db.discard(temporary)


def _load(conn: sqlite3.Connection, trees: Trees, tree: str, temporary: Path,
          prefix: str) -> None:
    """Fill the file with every folder below `tree` and its manifests."""
    folders = [(e.name, e.id) for e in trees.entries(tree) if e.is_tree]
    trees.stats.full_scans += 1
    helpers = bulk.helper_count(len(folders), PARALLEL_MIN)
    mine, *theirs = bulk.shares(folders, helpers, HEAD_START)
    sides = [temporary.with_name(f"{temporary.name}-{n}") for n in range(len(theirs))]
    started: list[bulk.Helper] = []
    try:
        for side, share in zip(sides, theirs, strict=True):
            started.append(bulk.Helper(("build", trees.git_dir, str(side), prefix, share),
                                       10 * len(share)))
        fill(conn, trees, mine, load.bulk_row)
        for helper, side, share in zip(started, sides, theirs, strict=True):
            if helper.result(trees) != len(share) or not db.merge(conn, side, prefix):
                fill(conn, trees, share, load.bulk_row)  # the helper failed: do it here
    finally:
        for helper in started:
            helper.stop()  # interrupted: no helper outlives the build
        for side in sides:
            db.discard(side)


def fill(conn: sqlite3.Connection, trees: Trees, folders: Folders, row_of: bulk.RowOf) -> None:
    """Write `folders` and their manifests, a chunk at a time, in one transaction.

    Each folder's name and files' `live` are decided here from the rows in hand, by
    `write.live`'s rule, not looked up in the file: a helper's file has no keys to look up by
    (`db.create`), and the rows are those a sync's `write.place` makes.
    """
    facts: Facts = {}
    with db.immediate(conn):
        for start in range(0, len(folders), _CHUNK):
            updates, rows = _walk(trees, folders[start : start + _CHUNK], row_of, facts)
            write.insert(conn, rows)
            dirs, files = _placed(updates, facts)
            conn.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?, ?)", dirs)
            conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", files)


def _walk(trees: Trees, folders: Folders, row_of: bulk.RowOf,
          facts: Facts) -> tuple[list[DirUpdate], list[codec.Row]]:
    """The folders' files, and the rows of the blobs not met before (noted in `facts`)."""
    updates, rows = [], []
    for name, tree in folders:
        files = plan.folder_files(trees, Entry(name, tree, True))
        updates.append(DirUpdate(name, tree, files, True))
        for key, blob in files.items():
            kind = plan.kind_of(key)
            if blob is not None and (kind, blob) not in facts:
                row = row_of(trees, kind, blob)
                facts[kind, blob] = row.columns if row.ok else None
                rows.append(row)
    return updates, rows


def _placed(updates: list[DirUpdate], facts: Facts
            ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The `dirs` and `files` rows of new folders, as `write.place` would make them."""
    dirs, files = [], []
    for update in updates:
        model = update.files.get(codec.MODEL)
        given = facts.get((codec.MODEL, model)) if model is not None else None
        name = given[0] if given is not None else None
        if name is not None and layout.model_dir(name) != update.dir:
            name = None
        dirs.append((update.dir, update.tree, name, model, update.files.get(codec.ALIASES)))
        for key, blob in update.files.items():
            if isinstance(key, int) and blob is not None:
                row = facts.get((codec.VERSION, blob))
                files.append((update.dir, key, blob, int(write.live(row, key, name))))
    return dirs, files


def build_side(trees: Trees, side: str, prefix: str, folders: Folders) -> int:
    """A helper's job: `folders` written into a new file at `side`; how many."""
    conn = db.create(Path(side), prefix, keyed=False)
    try:
        with bulk.no_gc(), unverified():
            fill(conn, trees, folders, load.bulk_row)
    finally:
        conn.close()
    return len(folders)
