"""The SQLite file: its schema, opening, checking or discarding it, and reading its state.

Tables of two sorts. Content tables (`*_manifests`, `*_tags`) hold parsed manifests by blob
id: a blob's id never changes meaning, so a row is never updated, only pruned when nothing
refers to it. State tables (`dirs`, `files`) are one models tree, whose id is `meta.tree`:
each model folder's tree id and its manifests' blob ids. Several processes share the file:
WAL (readers never wait), `BEGIN IMMEDIATE` for writes, and a busy timeout. Searches read the
tag tables by key and value (their primary key) and call `modelreg_like`, a SQL function each
connection defines (nothing of it is stored in the file). A first build writes a new file
without a journal (`create`), parts of it in helper processes (`merge`), and shares it only
once complete (index/fresh.py).
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from modelreg.index import codec
from modelreg.search.evaluate import like_regex

APPLICATION_ID = 0x6D524958  # "mRIX": a file with another id is not ours
SCHEMA_VERSION = 4  # 4: rows hold the manifests' bytes (3: tags ordered by tag, `odd_tags`)
BUSY_SECONDS = 30.0

_SCHEMA = (
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE dirs(dir TEXT PRIMARY KEY, tree TEXT NOT NULL, name TEXT,"
    " model_blob TEXT, aliases_blob TEXT) WITHOUT ROWID",
    # Unique: a folder holds a model only when its name maps to that very folder. It also
    # lets SQLite list versions in (name, version) order without sorting.
    "CREATE UNIQUE INDEX dirs_by_name ON dirs(name) WHERE name IS NOT NULL",
    # `live`: the version file parses, is no tombstone, and names its model and number.
    "CREATE TABLE files(dir TEXT NOT NULL, version INTEGER NOT NULL, blob TEXT NOT NULL,"
    " live INTEGER NOT NULL, PRIMARY KEY(dir, version)) WITHOUT ROWID",
    "CREATE TABLE model_manifests(blob TEXT PRIMARY KEY, ok INTEGER NOT NULL, name TEXT,"
    " created_at TEXT, data BLOB)",
    "CREATE TABLE alias_manifests(blob TEXT PRIMARY KEY, ok INTEGER NOT NULL, data BLOB)",
    "CREATE TABLE version_manifests(blob TEXT PRIMARY KEY, ok INTEGER NOT NULL, name TEXT,"
    " version INTEGER, run_id TEXT, source TEXT, created_at TEXT, updated_at TEXT,"
    " deleted INTEGER, data BLOB)",
    "CREATE INDEX versions_by_run ON version_manifests(run_id)",
    # Ordered by tag, so that a search by tag (index/query.py) finds its blobs directly.
    "CREATE TABLE model_tags(key TEXT NOT NULL, value NOT NULL, blob TEXT NOT NULL,"
    " PRIMARY KEY(key, value, blob)) WITHOUT ROWID",
    "CREATE TABLE version_tags(key TEXT NOT NULL, value NOT NULL, blob TEXT NOT NULL,"
    " PRIMARY KEY(key, value, blob)) WITHOUT ROWID",
    # Manifests whose tags the `*_tags` rows may misstate (see write.odd_tags): every tag
    # search takes them as candidates and lets Python judge.
    "CREATE TABLE odd_tags(blob TEXT PRIMARY KEY) WITHOUT ROWID",
)

TABLE = {codec.MODEL: "model_manifests", codec.ALIASES: "alias_manifests",
         codec.VERSION: "version_manifests"}


class Foreign(Exception):
    """The file is not an index this version of modelreg wrote for this registry."""


def connect(path: str | Path, prefix: str) -> sqlite3.Connection:
    """Open (creating if need be) and check the file; raise `Foreign` or sqlite3's errors."""
    conn = sqlite3.connect(
        str(path), timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
    )
    _functions(conn)
    try:
        _prepare(conn, prefix)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, prefix: str) -> None:
    conn.execute("PRAGMA synchronous = NORMAL")  # a cache: losing the last sync is fine
    if _pragma(conn, "application_id") == 0:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise Foreign("a SQLite file of something else")
        conn.execute("PRAGMA journal_mode = WAL")
        with immediate(conn):
            if _pragma(conn, "application_id") == 0:
                _create(conn, prefix)
    if _pragma(conn, "application_id") != APPLICATION_ID:
        raise Foreign("a SQLite file of something else")
    if _pragma(conn, "user_version") != SCHEMA_VERSION:
        raise Foreign("an index in another layout")
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("codec") != codec.CODEC or meta.get("prefix") != prefix or "tree" not in meta:
        raise Foreign("an index of another modelreg version or registry")


def _functions(conn: sqlite3.Connection) -> None:
    """SQL functions the searches use (a connection's own: nothing of them is in the file)."""
    conn.create_function("modelreg_like", 3, _like, deterministic=True)


def _like(pattern: object, ignore_case: object, value: object) -> int:
    """`value` LIKE (or ILIKE) `pattern` exactly as `modelreg.search` decides it: the same
    regex, so SQL and Python never disagree on case folding or escapes. Never raises (an
    error inside SQLite would read as a damaged file)."""
    if not isinstance(value, str) or not isinstance(pattern, str):
        return 0
    return int(_matcher(pattern, bool(ignore_case))(value) is not None)


@functools.lru_cache(maxsize=64)
def _matcher(pattern: str, ignore_case: bool) -> Callable[[str], object]:
    return like_regex(pattern, ignore_case=ignore_case).fullmatch


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    value: int = conn.execute(f"PRAGMA {name}").fetchone()[0]
    return value


def _create(conn: sqlite3.Connection, prefix: str) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("codec", codec.CODEC), ("prefix", prefix), ("tree", ""), ("inserted", "0"),
         ("live", "0")],
    )
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


BUSY, GONE, BROKEN = "busy", "gone", "broken"
_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_GONE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_PERM",
         "SQLITE_NOMEM", "SQLITE_AUTH")


def trouble(exc: sqlite3.Error) -> str:
    """What an error says of the file: BUSY (others hold it: do not wait again), GONE (it
    cannot be written as it is opened, e.g. deleted under us: reopen), BROKEN (rebuild)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return BROKEN
    name = getattr(exc, "sqlite_errorname", "")  # Python >= 3.11
    text = str(exc).lower()
    if name.startswith(_BUSY) or (not name and "locked" in text):
        return BUSY
    if name.startswith(_GONE) or (not name and any(
        word in text for word in ("readonly", "unable to open", "disk", "memory")
    )):
        return GONE
    return BROKEN


def create(path: Path, prefix: str, *, keyed: bool = True,
           like: Path | None = None) -> sqlite3.Connection:
    """A new file for a first build (index/fresh.py), not yet shared: no journal, no syncs
    (on any failure it is deleted); `finish` makes it a shared one. A helper's share of the
    build, read once by `merge`, is not `keyed`: its tables have the same columns and no keys
    or indexes, which roughly halves the cost of filling them (issue #5). A new file `like`
    an empty one `create` made is a copy of it (~0.2 ms, against ~4 ms to make the tables)."""
    if like is not None:
        shutil.copyfile(like, path)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        _functions(conn)
        if like is None:
            conn.execute("PRAGMA page_size = 8192")  # rows of ~1 KB: ~15 % less to insert
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MB: a first build fits in it
        if like is not None:
            return conn
        with immediate(conn):
            _create(conn, prefix)
            for table in () if keyed else _MERGED:
                conn.execute(f"CREATE TABLE heap_{table} AS SELECT * FROM {table} WHERE 0")
                conn.execute(f"DROP TABLE {table}")
                conn.execute(f"ALTER TABLE heap_{table} RENAME TO {table}")
    except BaseException:
        conn.close()
        raise
    return conn


_MERGED = ("model_manifests", "alias_manifests", "version_manifests", "model_tags",
           "version_tags", "odd_tags", "dirs", "files")


def merge(conn: sqlite3.Connection, side: Path, prefix: str) -> bool:
    """Add every row of the file at `side` (made by `create` for a share of a first build)
    to the file of `conn`; False, adding nothing, when `side` is not such a file."""
    if not side.is_file():  # ATTACH would make an empty file
        return False
    conn.execute("ATTACH DATABASE ? AS side", (str(side),))
    try:
        with immediate(conn):
            meta = dict(conn.execute("SELECT key, value FROM side.meta").fetchall())
            ours = (_pragma(conn, "side.application_id"), _pragma(conn, "side.user_version"),
                    meta.get("codec"), meta.get("prefix"))
            if ours != (APPLICATION_ID, SCHEMA_VERSION, codec.CODEC, prefix):
                return False
            for table in _MERGED:
                conn.execute(f"INSERT OR IGNORE INTO main.{table} SELECT * FROM side.{table}")
            conn.execute("UPDATE main.meta SET value = CAST(value AS INTEGER) + ?"
                         " WHERE key = 'inserted'", (int(meta.get("inserted", 0)),))
    finally:
        conn.execute("DETACH DATABASE side")
    return True


def finish(conn: sqlite3.Connection) -> None:
    """Turn a file `create` made into one several processes share (WAL, see `connect`)."""
    conn.execute("PRAGMA journal_mode = WAL")


def memory(prefix: str) -> sqlite3.Connection:
    """An index that lives only as long as the process: when the file cannot be used."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    _functions(conn)
    with immediate(conn):
        _create(conn, prefix)
    return conn


def discard(path: Path) -> None:
    """Remove the file and its WAL companions (a stale WAL must not meet a new file)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # sqlite may have rolled back already (disk full)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def reading(conn: sqlite3.Connection) -> Iterator[None]:
    """One consistent view of the file (WAL: it never waits for a writer)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def state_tree(conn: sqlite3.Connection) -> str:
    """The models tree id the state tables hold ('' before the first sync)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'tree'").fetchone()
    if row is None or not isinstance(row[0], str):
        raise Foreign("an index without its state")
    return row[0]


def stored_dirs(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT dir, tree FROM dirs").fetchall())


def where_in(
    conn: sqlite3.Connection, select: str, column: str, keys: Sequence[Any]
) -> Iterator[Any]:
    """`select ... WHERE column IN (...)` over any number of keys (SQLite caps parameters);
    `select` may hold a WHERE clause of its own."""
    joiner = " AND " if " WHERE " in select else " WHERE "
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        yield from conn.execute(f"{select}{joiner}{column} IN ({marks})", chunk)


def _by_blob(conn: sqlite3.Connection, select: str, blobs: list[str]) -> Iterator[Any]:
    return where_in(conn, select, "blob", blobs)


_CHUNK = 500


def known(conn: sqlite3.Connection, kind: str, blobs: Iterable[str]) -> set[str]:
    """Which of `blobs` are parsed already."""
    return {row[0] for row in _by_blob(conn, f"SELECT blob FROM {TABLE[kind]}", list(blobs))}


def data_of(conn: sqlite3.Connection, kind: str, blobs: list[str]) -> dict[str, bytes | None]:
    """The stored bytes of parsed manifests, by blob id."""
    return dict(_by_blob(conn, f"SELECT blob, data FROM {TABLE[kind]}", blobs))


def manifests(conn: sqlite3.Connection, kind: str, blobs: list[str]) -> Iterator[Any]:
    """(blob, ok, data) of parsed manifests."""
    return _by_blob(conn, f"SELECT blob, ok, data FROM {TABLE[kind]}", blobs)
