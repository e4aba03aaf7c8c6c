"""A registry folder at one commit, read from Git's objects (`snapshot.Files`).

Git walks `<commit>:<path>` itself, so a folder is one request however deep it is, and each
folder's entries are kept for the life of the view: a resolve reads `models/<name>/` once and
its files by id, never the `models` tree (one big object in a large registry).

But Git inflates and scans every tree on the path for each such request: at 100,000 versions
the packed `models` tree (10,000 entries) made an in-process resolve ~1.7 ms. So a process
that asks for folders of one big folder at one commit a second time reads that folder once and
keeps its entries (`_Shared`, a few commits' worth): a serving process then resolves with
requests by id only (~0.5 ms), while a one-shot CLI resolve still never reads the big tree.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from modelreg.gitrepo import refs
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


Entries = dict[str, tuple[int, str]]
SHARED_MIN = 256  # entries from which a folder is worth keeping for the process
_SHARED_MAX = 4  # big folders kept (a service reads at HEAD, which moves now and then)


class _Shared:
    """Big folders' entries by (repository, commit, path), for the whole process. A commit id
    names one tree forever, so an entry never goes stale; ref names are never keys."""

    def __init__(self) -> None:
        self.asked: dict[tuple[str, str, str], int] = {}
        self.kept: OrderedDict[tuple[str, str, str], Entries | None] = OrderedDict()

    def second_ask(self, key: tuple[str, str, str]) -> bool:
        """Whether a child of this folder was asked for by path before (then read the folder)."""
        if len(self.asked) > 4096:
            self.asked.clear()
        self.asked[key] = self.asked.get(key, 0) + 1
        return self.asked[key] >= 2

    def keep(self, key: tuple[str, str, str], entries: Entries | None) -> None:
        self.kept[key] = entries if entries is None or len(entries) >= SHARED_MIN else None
        while len(self.kept) > _SHARED_MAX:
            self.kept.popitem(last=False)


_SHARED = _Shared()


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
        if path and self._by_id(path) is None:
            self._share_parent(path)
        entries = None
        if self._commit:
            self._stats.objects_read += 1
            obj = self._cat.get(self._by_id(path) or self._spec(path))
            if obj is not None and obj.kind == "tree":
                entries = parse_tree(obj.data)
                self._ids[path] = obj.id
        self._dirs[path] = entries
        return entries

    def _share_parent(self, path: str) -> None:
        """Take the parent's entries from the process's big folders, reading it on the second
        ask at this commit (see the module's docstring)."""
        parent = path.rpartition("/")[0]
        if parent in self._dirs or not refs.is_object_id(self._commit):
            return
        key = (str(self._cat.git_dir), self._commit, "/".join(
            p for p in (self._prefix, parent) if p))
        if key in _SHARED.kept:
            entries = _SHARED.kept[key]
            if entries is not None:
                self._dirs[parent] = entries
            return
        if _SHARED.second_ask(key):
            _SHARED.keep(key, self._entries(parent))

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
