"""A registry folder at one commit, read from Git's objects with libgit2 (`snapshot.Files`).

Each folder's tree is loaded once per view and kept: a resolve reads `models/<name>/...` three
times, and the `models` tree of a large registry is one big object that libgit2 would parse
again on every path lookup.
"""

from __future__ import annotations

from typing import Any

import pygit2

_TREE = int(pygit2.enums.FileMode.TREE)
_LINK = int(pygit2.enums.FileMode.LINK)
_COMMIT = int(pygit2.enums.FileMode.COMMIT)


class GitStats:
    """Objects this process read from Git (benchmarks prove "does not grow" with it)."""

    def __init__(self) -> None:
        self.objects_read = 0


class TreeFiles:
    """The files under `prefix` at `commit` (an empty view when `commit` is None)."""

    def __init__(self, repo: Any, commit: str | None, prefix: str, stats: GitStats) -> None:
        self._repo = repo
        self._commit = commit or ""
        self._prefix = prefix.strip("/")
        self._stats = stats
        self._trees: dict[str, Any | None] = {}

    @property
    def revision(self) -> str:
        return self._commit

    def _root(self) -> Any | None:
        if "" not in self._trees:
            tree = None
            if self._commit:
                self._stats.objects_read += 2
                tree = self._repo[self._commit].peel(pygit2.Tree)
                if self._prefix:
                    tree = _child_tree(tree, self._prefix, self._stats)
            self._trees[""] = tree
        return self._trees[""]

    def _tree(self, path: str) -> Any | None:
        """The tree at `path` ('' is the registry folder), or None."""
        if path in self._trees:
            return self._trees[path]
        if not path:
            return self._root()
        parent, _, name = path.rpartition("/")
        above = self._tree(parent)
        tree = _child_tree(above, name, self._stats) if above is not None else None
        self._trees[path] = tree
        return tree

    def _entry(self, path: str) -> Any | None:
        parent, _, name = path.rpartition("/")
        tree = self._tree(parent)
        if tree is None or not name:
            return None
        try:
            entry = tree[name]
        except KeyError:
            return None
        return None if entry.filemode in (_LINK, _COMMIT) else entry

    def blob_id(self, path: str) -> str | None:
        entry = self._entry(path)
        if entry is None or entry.filemode == _TREE:
            return None
        return str(entry.id)

    def read(self, path: str) -> bytes | None:
        blob = self.blob_id(path)
        if blob is None:
            return None
        self._stats.objects_read += 1
        data: bytes = self._repo[blob].data
        return data

    def listdir(self, path: str) -> list[str]:
        tree = self._tree(path)
        if tree is None:
            return []
        return sorted(e.name for e in tree if e.filemode not in (_LINK, _COMMIT))

    def tree_id(self, path: str) -> str | None:
        """Git's id of the folder at `path`: equal ids mean equal contents."""
        tree = self._tree(path)
        return None if tree is None else str(tree.id)


def _child_tree(tree: Any, path: str, stats: GitStats) -> Any | None:
    try:
        entry = tree[path]
    except KeyError:
        return None
    if entry.filemode != _TREE:
        return None
    stats.objects_read += 1
    return entry
