"""Git trees and blobs by id, read with libgit2: what the index needs beyond `GitRepo`.

`GitRepo` reads by commit and path; the index's state is a tree id that may belong to no
commit any more (amended, rebased), so it diffs and lists trees by id. This is the only module
of the package that imports pygit2; it is meant to move into `gitrepo` as
`GitRepo.diff_trees` / `GitRepo.list_tree` / `GitRepo.read_blob`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from modelreg.index.stats import IndexStats

ZERO = "0" * 40
_TREE_MODE = 0o040000
_LINK_MODE = 0o160000


class Entry(NamedTuple):
    name: str
    id: str
    is_tree: bool


class FileChange(NamedTuple):
    """A file that differs between two trees; `new` is None when it is gone."""

    path: str
    new: str | None


class MissingTree(Exception):
    """A tree the index remembers is no longer in the object database (pruned)."""


class Trees:
    def __init__(self, git_dir: str | Path, stats: IndexStats, git_stats: Any = None) -> None:
        import pygit2

        self._repo: Any = pygit2.Repository(str(git_dir))
        self.stats = stats
        self._git_stats = git_stats  # GitRepo.stats: its `objects_read` counts ours too

    def _count(self, objects: int) -> None:
        self.stats.objects_read += objects
        if self._git_stats is not None:
            self._git_stats.objects_read += objects

    def _tree(self, tree_id: str) -> Any:
        import pygit2

        try:
            obj = self._repo[tree_id]
        except (KeyError, ValueError, pygit2.GitError) as exc:
            raise MissingTree(tree_id) from exc
        if obj.type_str != "tree":
            raise MissingTree(tree_id)
        return obj

    def diff(self, old: str, new: str) -> list[FileChange]:
        """Every file that differs from tree `old` to tree `new`, in C; equal subtrees are
        skipped by id, so the cost follows the change, not the registry."""
        import pygit2

        self.stats.tree_diffs += 1
        try:
            deltas = self._tree(old).diff_to_tree(self._tree(new)).deltas
            out = []
            for delta in deltas:
                new_file = delta.new_file
                new_id = str(new_file.id)
                gone = new_id == ZERO or new_file.mode == _LINK_MODE
                out.append(FileChange(new_file.path, None if gone else new_id))
        except (KeyError, pygit2.GitError) as exc:  # a subtree of `old` was pruned
            raise MissingTree(old) from exc
        self._count(2 * len(_folders(out)))
        return out

    def entries(self, tree_id: str) -> list[Entry]:
        self.stats.trees_listed += 1
        self._count(1)
        return [
            Entry(e.name, str(e.id), e.filemode == _TREE_MODE)
            for e in self._tree(tree_id)
            if e.filemode != _LINK_MODE
        ]

    def lookup(self, tree_id: str, names: list[str]) -> dict[str, Entry | None]:
        """Entries of one tree by name: the tree is loaded once (libgit2 does not cache big
        trees, and the models tree of a large registry is one)."""
        tree = self._tree(tree_id)
        self._count(1)
        out: dict[str, Entry | None] = {}
        for name in names:
            try:
                found = tree[name]
            except KeyError:
                out[name] = None
            else:
                out[name] = Entry(found.name, str(found.id), found.filemode == _TREE_MODE)
        return out

    def read(self, blob: str) -> bytes:
        self.stats.blobs_read += 1
        self._count(1)
        data: bytes = self._repo[blob].data
        return data

    def close(self) -> None:
        free = getattr(self._repo, "free", None)
        if free is not None:
            free()


def _folders(changes: list[FileChange]) -> set[str]:
    """The folders a diff opened (each on both sides): the root and every changed path's."""
    folders = {""}
    for change in changes:
        parts = change.path.split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return folders
