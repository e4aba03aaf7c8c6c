"""A registry folder at one commit, read from Git's objects (`snapshot.Files`).

Git walks `<commit>:<path>` itself, so a folder is one request however deep it is, and each
folder's entries are kept for the life of the view: a resolve reads `models/<name>/` once and
its files by id, never the `models` tree (one big object in a large registry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelreg.gitrepo.catfile import parse_tree

if TYPE_CHECKING:
    from modelreg.gitrepo.catfile import CatFile

TREE = 0o040000
LINK = 0o120000
GITLINK = 0o160000


class GitStats:
    """Objects this process read from Git (benchmarks prove "does not grow" with it)."""

    def __init__(self) -> None:
        self.objects_read = 0


class TreeFiles:
    """The files under `prefix` at `commit` (an empty view when `commit` is None)."""

    def __init__(self, cat: CatFile, commit: str | None, prefix: str, stats: GitStats) -> None:
        self._cat = cat
        self._commit = commit or ""
        self._prefix = prefix.strip("/")
        self._stats = stats
        self._dirs: dict[str, dict[str, tuple[int, str]] | None] = {}
        self._ids: dict[str, str] = {}

    @property
    def revision(self) -> str:
        return self._commit

    def _spec(self, path: str) -> str:
        full = "/".join(p for p in (self._prefix, path) if p)
        return f"{self._commit}:{full}" if full else f"{self._commit}^{{tree}}"

    def _entries(self, path: str) -> dict[str, tuple[int, str]] | None:
        """The folder's entries (name -> (mode, id)), or None when there is no folder."""
        if path in self._dirs:
            return self._dirs[path]
        entries = None
        if self._commit:
            self._stats.objects_read += 1
            obj = self._cat.get(self._by_id(path) or self._spec(path))
            if obj is not None and obj.kind == "tree":
                entries = parse_tree(obj.data)
                self._ids[path] = obj.id
        self._dirs[path] = entries
        return entries

    def _by_id(self, path: str) -> str | None:
        """The folder's id when its parent was read: Git then need not walk the path again
        (through `models`, one large tree, for every folder of a model)."""
        parent, _, name = path.rpartition("/")
        entries = self._dirs.get(parent) if path else None
        entry = entries.get(name) if entries else None
        return entry[1] if entry is not None and entry[0] == TREE else None

    def folders(self) -> dict[str, tuple[str, dict[str, tuple[int, str]]]]:
        """The folders read so far (id, entries), by path relative to the repository."""
        out = {}
        for path, oid in self._ids.items():
            entries = self._dirs.get(path)
            if entries is not None:
                out["/".join(p for p in (self._prefix, path) if p)] = (oid, entries)
        return out

    def _entry(self, path: str) -> tuple[int, str] | None:
        parent, _, name = path.rpartition("/")
        entries = self._entries(parent) if name else None
        found = entries.get(name) if entries else None
        if found is None or found[0] in (LINK, GITLINK):
            return None
        return found

    def blob_id(self, path: str) -> str | None:
        entry = self._entry(path)
        return None if entry is None or entry[0] == TREE else entry[1]

    def read(self, path: str) -> bytes | None:
        blob = self.blob_id(path)
        if blob is None:
            return None
        self._stats.objects_read += 1
        obj = self._cat.get(blob)
        return None if obj is None else obj.data

    def listdir(self, path: str) -> list[str]:
        entries = self._entries(path)
        if not entries:
            return []
        return sorted(n for n, (mode, _) in entries.items() if mode not in (LINK, GITLINK))

    def tree_id(self, path: str) -> str | None:
        """Git's id of the folder at `path`: equal ids mean equal contents."""
        if path in self._ids or not path:
            self._entries(path)
            return self._ids.get(path)
        entry = self._entry(path)
        return entry[1] if entry is not None and entry[0] == TREE else None
