"""The Git objects of a commit: blobs and the trees on the changed paths (DESIGN §4, issue #5).

Only the trees on a changed path are rewritten, each from its raw bytes. A small tree is parsed
and serialised again. A large one is edited in place: the registry's `models` folder has one
entry per model (10,000 entries, 320 KB at 100,000 versions), and a write that changes one
model swaps that entry's id in the bytes, so no write parses, sorts or copies it entry by entry.

Objects are written loose by Python: SHA-1 and zlib run in C, where libgit2 hashes with its
collision-detecting SHA-1 and compresses a 320 KB tree in ~6 ms. A large tree is stored
uncompressed (zlib level 0): its entries are mostly SHA-1s, which level 1 shrinks by a quarter
at ~50 MB/s, and `git gc` packs and deltifies it soon after (`upkeep`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelreg.gitrepo.catfile import parse_tree

if TYPE_CHECKING:
    from modelreg.gitrepo.repo import GitRepo

BLOB = 0o100644
TREE = 0o040000
LARGE = 64 * 1024  # a tree at least this big is edited in place and stored uncompressed
KEPT = 4  # large trees kept in memory: the next write in this process starts from the last
_large: dict[str, bytes] = {}
SMALL = LARGE // 30  # entries: fewer, and a snapshot's parse of a folder is used as it is
Change = tuple[int, str] | None  # an entry's new (mode, id), or None to remove it
Entries = dict[str, tuple[int, str]]
Folder = tuple[str, Entries]  # a folder's id and entries


class ObjectWriter:
    """Writes loose objects into a repository (`objects/xx/...`, as Git does)."""

    def __init__(self, repo: GitRepo) -> None:
        self.objects = repo.found.common_dir / "objects"
        level = repo.config_int("core.looseCompression", repo.config_int("core.compression", 1))
        self.level = max(-1, min(9, level))

    def write(self, kind: bytes, data: bytes) -> str:
        header = b"%s %d\0" % (kind, len(data))
        digest = hashlib.sha1(header)
        digest.update(data)
        oid = digest.hexdigest()
        target = self.objects / oid[:2] / oid[2:]
        if _freshened(target):
            return oid
        packer = zlib.compressobj(0 if len(data) >= LARGE else self.level)
        _write_new(target, packer.compress(header) + packer.compress(data) + packer.flush())
        if kind == b"tree" and len(data) >= LARGE:
            _keep_large(oid, data)
        return oid


def _freshened(target: Path) -> bool:
    """Whether the loose object exists; its time is renewed as Git does, so that a `git gc`
    running now does not prune it as old and unreachable just as a new commit uses it."""
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    except OSError:
        pass
    return True


def _keep_large(oid: str, data: bytes) -> None:
    _large.pop(oid, None)
    _large[oid] = data
    while len(_large) > KEPT:
        del _large[next(iter(_large))]


def _write_new(target: Path, data: bytes) -> None:
    """Write a loose object's file through a temporary file (readers never see half of it)."""
    target.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix="tmp_obj_")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TreeEditor:
    """Builds the trees of a commit from a base tree and a set of file writes.

    `known` maps folders (relative to the repository) to their ids and entries in the base
    commit, as a snapshot of it already read them (`TreeFiles.folders`): those are not asked
    of Git again, and a child of a large tree is found without it.
    """

    def __init__(self, repo: GitRepo, known: Mapping[str, Folder] | None = None) -> None:
        self.repo = repo
        self.known = known or {}
        self.out = ObjectWriter(repo)
        self.fetched: dict[str, bytes] = {}  # raw trees already read (the root's, by the caller)

    def build(
        self, tree: str | None, writes: Mapping[str, bytes | None], path: str = ""
    ) -> str | None:
        """The id of `tree` with `writes` applied (paths relative to it), or None when empty."""
        folder = self.known.get(path)
        read = folder[1] if folder and folder[0] == tree and len(folder[1]) < SMALL else None
        raw = self._raw(tree) if tree and read is None else b""
        groups: dict[str, dict[str, bytes | None]] = {}
        changes: dict[str, Change] = {}
        for name, data in writes.items():
            head, sep, rest = name.partition("/")
            if sep:
                groups.setdefault(head, {})[rest] = data
            else:
                changes[head] = None if data is None else (BLOB, self.out.write(b"blob", data))
        small = dict(read) if read is not None else parse_tree(raw) if len(raw) < LARGE else None
        olds: dict[str, str] = {}
        for name, sub in groups.items():
            full = f"{path}/{name}" if path else name
            old = self._subtree(tree, small, full, name) if tree else None
            new = self.build(old, sub, full)
            changes[name] = None if new is None else (TREE, new)
            if old is not None:
                olds[name] = old
        data = _edit_large(raw, changes, olds) if small is None else None
        if data is None:
            data = _serialise(_apply(small if small is not None else parse_tree(raw), changes))
        return self.out.write(b"tree", data) if data else None

    def _raw(self, tree: str) -> bytes:
        if tree in self.fetched:
            return self.fetched[tree]
        if tree in _large:  # an id names one content: a kept tree is never stale
            return _large[tree]
        self.repo.stats.objects_read += 1
        obj = self.repo.cat.get(tree)
        assert obj is not None and obj.kind == "tree", tree
        if len(obj.data) >= LARGE:
            _keep_large(tree, obj.data)
        return obj.data

    def _subtree(self, tree: str, small: dict[str, tuple[int, str]] | None, full: str,
                 name: str) -> str | None:
        """The id of the folder `name` in `tree`, or None when there is no such folder."""
        if small is not None:
            entry = small.get(name)
            return entry[1] if entry is not None and entry[0] == TREE else None
        if full in self.known:
            return self.known[full][0]
        self.repo.stats.objects_read += 1
        obj = self.repo.cat.get(f"{tree}:{name}") if "\n" not in name else None
        return obj.id if obj is not None and obj.kind == "tree" else None


def _apply(entries: Entries, changes: Mapping[str, Change]) -> Entries:
    for name, change in changes.items():
        if change is None:
            entries.pop(name, None)
        else:
            entries[name] = change
    return entries


def _serialise(entries: Mapping[str, tuple[int, str]]) -> bytes:
    """A tree object's bytes, in Git's order (a folder sorts as if its name ended in '/')."""
    rows = []
    for name, (mode, oid) in entries.items():
        raw = os.fsencode(name)
        row = b"%o %s\0" % (mode, raw) + bytes.fromhex(oid)
        rows.append((raw + b"/" if mode == TREE else raw, row))
    rows.sort()
    return b"".join(row for _, row in rows)


def _edit_large(raw: bytes, changes: Mapping[str, Change], olds: Mapping[str, str]) -> bytes | None:
    """`raw` with folders' ids swapped or folders removed in place, or None when a change is
    not that (a new entry, a file): the caller then parses and serialises the whole tree."""
    out = raw
    for name, change in changes.items():
        if name not in olds or (change is not None and change[0] != TREE):
            return None
        entry = b"40000 %s\0" % os.fsencode(name)
        at = _find_entry(out, entry + bytes.fromhex(olds[name]))
        if at < 0:
            return None
        new = b"" if change is None else entry + bytes.fromhex(change[1])
        out = out[:at] + new + out[at + len(entry) + 20 :]
    return out


def _find_entry(raw: bytes, entry: bytes) -> int:
    """Where the whole entry (mode, name, id) starts, or -1 unless it is found exactly once at
    an entry boundary (just after another entry's id, which follows a NUL 21 bytes back)."""
    at = raw.find(entry)
    if at < 0 or raw.find(entry, at + 1) >= 0:
        return -1
    return at if at == 0 or raw[at - 21] == 0 else -1
