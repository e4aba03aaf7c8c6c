"""`Index`: listings of a registry at any commit, parsing only what changed since last time.

The file is a pure function of Git's content: its state is "the registry at models tree X",
and every row is keyed by a blob or tree id. Asked about a commit whose models tree is Y, it
moves from X to Y by diffing the two trees, and parses only blobs it has never seen. So it is
right after any Git operation (checkout, reset, amend, rebase, gc), and disposable: a missing,
corrupt or foreign file is rebuilt; a locked or unwritable one is replaced, for this process,
by one in memory. No answer, and no error, depends on the file.

Searches (`search_versions`, `search_models`) are answered in the file too: SQL selects and
orders the candidates, Python checks each with `modelreg.search`'s own predicate, and only
the page is built (index/query.py, index/pages.py). Every question goes through `_answer`, so
the guarantees above hold for them alike.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from modelreg import layout
from modelreg.gitrepo import refs
from modelreg.index import codec, db, fresh, load, pages, plan, write
from modelreg.index.gittrees import MissingTree, Trees
from modelreg.index.stats import IndexStats
from modelreg.model import ModelVersion, RegisteredModel

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo
    from modelreg.search import Request

T = TypeVar("T")
Query = Callable[[sqlite3.Connection, Trees], list[T]]
INDEX_DIR = "modelreg"
_ATTEMPTS = 4


_COMMIT_TREES: dict[tuple[str, str, str], str | None] = {}
_COMMIT_TREES_MAX = 10_000

# What a damaged file can raise besides sqlite3's errors. A bug of ours raising one of these
# is not hidden: the same code then runs on an index in memory and raises again.
_DAMAGED = (db.Foreign, codec.Undecodable, ValueError, KeyError, TypeError, IndexError)


class _Contended(Exception):
    """Other processes kept moving the file's state; answer from memory this time."""


def index_path(git_dir: str | Path, prefix: str) -> Path:
    """One file per registry folder, inside the repository's Git directory."""
    tag = hashlib.sha1(prefix.encode()).hexdigest()[:16]
    return Path(git_dir) / INDEX_DIR / f"index-{tag}.sqlite3"


class Index:
    """The read cache of one registry folder of one repository (DESIGN §6)."""

    def __init__(self, repo: GitRepo, prefix: str, path: Path | None) -> None:
        self.repo = repo
        self.prefix = prefix.strip("/")
        self.path = path
        self.stats = IndexStats()
        self._trees: Trees | None = None
        self._conn: sqlite3.Connection | None = None
        self._memory: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @classmethod
    def open(cls, repo: GitRepo, prefix: str) -> Index:
        """The index of the registry at `prefix` ('' for the repository's root). Cheap: the
        file is opened, created or rebuilt on the first question."""
        return cls(repo, prefix, index_path(repo.git_dir, prefix.strip("/")))

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for conn in (self._conn, self._memory):
                if conn is not None:
                    conn.close()
            self._conn = self._memory = None
            if self._trees is not None:
                self._trees.close()
                self._trees = None

    # -- questions --------------------------------------------------------------------

    def models(self, commit: str | None) -> list[RegisteredModel]:
        """Registered models at `commit` with their aliases, sorted by name."""
        return self._answer(commit, load.models)

    def versions(self, commit: str | None) -> list[ModelVersion]:
        """Live versions at `commit` (tombstones excluded) with aliases and stage, sorted by
        (name, version). A manifest that does not parse is left out (`validate` reports it)."""
        return self._answer(commit, load.versions)

    def model_names(self, commit: str | None) -> list[str]:
        return self._answer(commit, load.model_names)

    def search_versions(self, commit: str | None, request: Request) -> list[ModelVersion]:
        """The live versions at `commit` that `request` selects, in its order, from its offset:
        at most limit + 1 (`request.page` makes the page). What `request.run(versions(commit))`
        gives, without building every version (index/pages.py says how)."""
        return self._answer(commit, partial(pages.versions, request=request))

    def search_models(self, commit: str | None, request: Request) -> list[RegisteredModel]:
        """The same for registered models, each with its latest version per stage."""
        return self._answer(commit, partial(pages.models, request=request))

    # -- how ----------------------------------------------------------------------------

    def _answer(self, commit: str | None, query: Query[T]) -> list[T]:
        if commit is None:
            return []
        with self._lock:
            tree = self._models_tree(commit)
            if tree is None:
                return []
            trees = self._git()
            for _ in range(2):
                try:
                    return self._ask(self._file(trees, tree), trees, tree, query)
                except (_Contended, OSError):
                    break  # held by others too long, or no place for a file
                except _DAMAGED:
                    self._drop(discard=True)
                except sqlite3.Error as exc:
                    trouble = db.trouble(exc)
                    if trouble == db.BUSY:
                        break
                    self._drop(discard=trouble == db.BROKEN)
            self.stats.in_memory += 1
            return self._ask(self._in_memory(), trees, tree, query)

    def _models_tree(self, commit: str) -> str | None:
        """The models tree of `commit`: read once per process, since a commit id names one
        tree forever (a search then reads no Git object at all)."""
        key = (str(self.repo.git_dir), self.prefix, commit)
        if key in _COMMIT_TREES:
            return _COMMIT_TREES[key]
        tree: str | None = self.repo.tree_files(commit, self.prefix).tree_id(layout.MODELS_DIR)
        if refs.is_object_id(commit):  # not a ref name, which moves
            if len(_COMMIT_TREES) >= _COMMIT_TREES_MAX:
                _COMMIT_TREES.clear()
            _COMMIT_TREES[key] = tree
        return tree

    def _ask(self, conn: sqlite3.Connection, trees: Trees, tree: str, query: Query[T]) -> list[T]:
        for _ in range(_ATTEMPTS):
            with db.reading(conn):
                base = db.state_tree(conn)
                if base == tree:
                    return query(conn, trees)
            self._sync(conn, trees, base, tree)
        raise _Contended(tree)

    def _sync(self, conn: sqlite3.Connection, trees: Trees, base: str, tree: str) -> None:
        """Move the file's state from models tree `base` to `tree`; parse outside the lock."""
        updates = self._plan(conn, trees, base, tree)
        if updates is None:
            return  # another process moved the state meanwhile
        rows = load.prepare(conn, trees, updates)
        with db.immediate(conn):
            write.insert(conn, rows)
            if db.state_tree(conn) != base:
                return
            write.insert(conn, load.prepare(conn, trees, updates))  # pruned meanwhile
            write.apply(conn, tree, updates)
            write.prune(conn)

    @staticmethod
    def _plan(
        conn: sqlite3.Connection, trees: Trees, base: str, tree: str
    ) -> list[plan.DirUpdate] | None:
        if base:
            try:
                return plan.by_diff(trees, base, tree)
            except MissingTree:
                pass  # `base` was pruned (amend, rebase, gc): compare folder by folder
        with db.reading(conn):
            if db.state_tree(conn) != base:
                return None
            stored = db.stored_dirs(conn)
        return plan.by_scan(trees, tree, stored)

    # -- the file -------------------------------------------------------------------------

    def _git(self) -> Trees:
        if self._trees is None:
            self._trees = Trees(self.repo.git_dir, self.stats, getattr(self.repo, "stats", None))
        return self._trees

    def _file(self, trees: Trees, tree: str) -> sqlite3.Connection:
        """The file, opened once; with none yet, a first build of `tree` makes it."""
        if self._conn is None:
            if self.path is None:
                raise OSError("no index file")
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fresh.build(self.path, self.prefix, trees, tree)
            self._conn = db.connect(self.path, self.prefix)
        return self._conn

    def _drop(self, *, discard: bool) -> None:
        """Close the file (the next question reopens it); `discard` also deletes it."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if discard and self.path is not None:
            self.stats.discarded += 1
            db.discard(self.path)

    def _in_memory(self) -> sqlite3.Connection:
        if self._memory is None:
            self._memory = db.memory(self.prefix)
        return self._memory
