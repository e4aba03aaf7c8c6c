"""Git trees and blobs by id, read with libgit2: what the index needs beyond `GitRepo`.

`GitRepo` reads by commit and path; the index's state is a tree id that may belong to no
commit any more (amended, rebased), so it diffs and lists trees by id. This is the only module
of the package that imports pygit2; it is meant to move into `gitrepo` as
`GitRepo.diff_trees` / `GitRepo.list_tree` / `GitRepo.read_blob`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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


@contextlib.contextmanager
def unverified(bulk: bool = True) -> Iterator[None]:
    """Reads that do not hash every object again, for a first build or a `bulk` sync (#5).

    libgit2 re-hashes each object it reads (strict hash verification, SHA-1 with collision
    detection): 60 % of a read, ~0.5 s of CPU in a first build at 100,000 versions. Git does
    not (`git cat-file` trusts the object store; `git fsck` is what checks it), and every other
    read of the registry goes through Git. The option is process-wide and libgit2 has no way
    to read it, so it is set back to libgit2's default, the stricter one, afterwards.
    """
    if not bulk:
        yield
        return
    import pygit2

    pygit2.settings.enable_strict_hash_verification(False)
    try:
        yield
    finally:
        pygit2.settings.enable_strict_hash_verification(True)


class Trees:
    def __init__(self, git_dir: str | Path, stats: IndexStats, git_stats: Any = None) -> None:
        self._git_dir = str(git_dir)
        self._opened: Any = None
        self._odb: Any = None
        self.stats = stats
        self._git_stats = git_stats  # GitRepo.stats: its `objects_read` counts ours too

    @property
    def _repo(self) -> Any:
        """libgit2's handle, opened on first use: a query the index file answers alone never
        imports pygit2 (~40 ms of a `modelreg search` process)."""
        if self._opened is None:
            import pygit2

            self._opened = pygit2.Repository(self._git_dir)
        return self._opened

    @property
    def git_dir(self) -> str:
        return self._git_dir

    def _count(self, objects: int) -> None:
        self.stats.objects_read += objects
        self.count_git(objects)

    def count_git(self, objects: int) -> None:
        """Objects read for this index, by us or by a helper process (index/bulk.py)."""
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
        """A tree's entries but submodules. By object type, which libgit2 derives from the
        (normalized) mode: pygit2 makes an enum of each `filemode` read, ~5x the cost, and a
        first build lists 20,000 trees (issue #5)."""
        import pygit2

        self.stats.trees_listed += 1
        self._count(1)
        tree, link = pygit2.GIT_OBJECT_TREE, pygit2.GIT_OBJECT_COMMIT
        return [
            Entry(e.name, str(e.id), kind == tree)
            for e in self._tree(tree_id)
            if (kind := e.type) != link
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
        if self._odb is None:
            self._odb = self._repo.odb
        # The object database directly: no object wrapper, ~half the cost (issue #5: a first
        # build reads 110,000 blobs). A missing id raises a KeyError, as the wrapper did.
        data: bytes = self._odb.read(blob)[1]
        return data

    def close(self) -> None:
        self._odb = None
        free = getattr(self._opened, "free", None)
        if free is not None:
            free()


def _folders(changes: list[FileChange]) -> set[str]:
    """The folders a diff opened (each on both sides): the root and every changed path's."""
    folders = {""}
    for change in changes:
        parts = change.path.split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return folders
