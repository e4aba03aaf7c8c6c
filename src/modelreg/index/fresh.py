"""A first build: every manifest of a models tree into a new file, on every core (issue #5).

With no file yet (a fresh clone, or one discarded), the whole tree must be read. It is built
into a file of its own, without a journal (a cache: if the build fails, the file is deleted),
then linked into place unless another process was faster (its file is as good): nobody ever
sees a half-built file.

The model folders are cut into chunks, which this process takes from the front and helper
processes (index/bulk.py) from the back, each claiming a chunk by creating its claim folder
(`os.mkdir` fails for all but one), until they meet. A helper writes each chunk it claimed,
folders with `live` included, into a part file of its own and reports it; this process merges
each part as it comes (db.merge, one statement a table) between chunks of its own. So the
work balances itself whatever the cores' speeds (another program's load, a helper's ~0.2 s
start): all end within about one chunk, and only the last part's merge is left after the
helpers end. A chunk no one merged (a helper failed) is filled here at the end.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelreg import layout
from modelreg.index import bulk, codec, db, load, plan, write
from modelreg.index.gittrees import Entry, Trees, unverified
from modelreg.index.plan import DirUpdate

PARALLEL_MIN = 1_500  # model folders (~10 manifests each) from which helpers pay
CHUNK = 400  # folders a claim takes: ~0.2 s of work, parsed, then written in one transaction

Folders = list[tuple[str, str]]  # (name, tree id) of model folders
Facts = dict[tuple[str, str], tuple[Any, ...] | None]  # (kind, blob): its row's columns, if ok


def build(path: Path, prefix: str, trees: Trees, tree: str) -> None:
    """The index of models tree `tree` at `path`, unless a file is there already."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.new")
    _sweep(path)
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


def _sweep(path: Path) -> None:
    """Delete what first builds of processes that died left (a killed build of 100,000
    versions leaves ~100 MB): the files and parts named for a process that no longer runs."""
    for left in path.parent.glob(f"{glob.escape(path.name)}.*-*.new*"):
        pid = left.name[len(path.name) + 1 :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            if left.is_dir():
                shutil.rmtree(left, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    left.unlink()


def _running(pid: int) -> bool:
    if os.name == "nt":  # there os.kill ends the process: leave its files
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: it runs
        return True
    return True


def _load(conn: sqlite3.Connection, trees: Trees, tree: str, temporary: Path,
          prefix: str) -> None:
    """Fill the file with every folder below `tree` and its manifests."""
    folders = [(e.name, e.id) for e in trees.entries(tree) if e.is_tree]
    trees.stats.full_scans += 1
    chunks = [folders[start : start + CHUNK] for start in range(0, len(folders), CHUNK)]
    facts: Facts = {}
    helpers = bulk.helper_count(len(folders), PARALLEL_MIN)
    if helpers:
        parts = temporary.with_name(f"{temporary.name}-parts")
        _share(conn, trees, chunks, facts, helpers, parts, prefix)
    else:
        for chunk in chunks:
            fill(conn, trees, chunk, facts)


def _share(conn: sqlite3.Connection, trees: Trees, chunks: list[Folders], facts: Facts,
           helpers: int, parts: Path, prefix: str) -> None:
    """Fill the file with `chunks`, shared with `helpers` helpers through folder `parts`."""
    parts.mkdir()
    manifests = 10 * sum(len(chunk) for chunk in chunks)  # about
    crew = bulk.Crew(("build", trees.git_dir, str(parts), prefix, chunks), helpers, manifests)
    done: set[int] = set()

    def merge(numbers: list[int]) -> None:
        for n in numbers:
            if n not in done and db.merge(conn, parts / _part(n), prefix):
                done.add(n)

    try:
        for n, chunk in enumerate(chunks):
            if claim(parts, n):
                fill(conn, trees, chunk, facts)
                done.add(n)
            merge(crew.reported(trees, wait=False))
        while crew.running:
            merge(crew.reported(trees, wait=True))
        for n, chunk in enumerate(chunks):
            if n not in done:  # its helper failed: done here
                fill(conn, trees, chunk, facts)
    finally:
        crew.stop()  # interrupted: no helper outlives the build
        shutil.rmtree(parts, ignore_errors=True)


def claim(parts: Path, n: int) -> bool:
    """Whether chunk `n` is this process's to do: the first to create its folder has it
    (False too when `parts` is gone: the build ended)."""
    try:
        os.mkdir(parts / f"claim-{n}")
    except OSError:
        return False
    return True


def _part(n: int) -> str:
    return f"part-{n}"


def fill(conn: sqlite3.Connection, trees: Trees, folders: Folders, facts: Facts) -> None:
    """Write `folders` and their manifests in one transaction; the blobs in `facts` (met in
    an earlier chunk) are not parsed again.

    Each folder's name and files' `live` are decided here from the rows in hand, by
    `write.live`'s rule, not looked up in the file: a helper's file has no keys to look up by
    (`db.create`), and the rows are those a sync's `write.place` makes.
    """
    updates, rows = _walk(trees, folders, facts)
    dirs, files = _placed(updates, facts)
    with db.immediate(conn):
        write.insert(conn, rows)
        conn.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?, ?)", dirs)
        conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", files)


def _walk(trees: Trees, folders: Folders, facts: Facts) -> tuple[list[DirUpdate], list[codec.Row]]:
    """The folders' files, and the rows of the blobs not met before (noted in `facts`)."""
    updates, rows = [], []
    row_of = load.bulk_row
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


def build_parts(trees: Trees, parts: str, prefix: str, chunks: list[Folders],
                report: Callable[[int], None]) -> None:
    """A helper's job: the chunks it claims, from the back, each into a part file of its
    own (`db.create`, not keyed), `report`ed once complete."""
    folder = Path(parts)
    template = folder / f"template-{os.getpid()}"
    db.create(template, prefix, keyed=False).close()
    facts: Facts = {}
    for n in reversed(range(len(chunks))):
        if claim(folder, n):
            conn = db.create(folder / _part(n), prefix, keyed=False, like=template)
            try:
                fill(conn, trees, chunks[n], facts)
            finally:
                conn.close()
            report(n)
