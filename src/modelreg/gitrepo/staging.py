"""The index of a checkout as a write sees it: the ids staged for a few paths, and new entries
for the files it wrote (issue #5). `indexfile` reads the bytes of one index file, `indexedit`
splices entries into them and `indexwrite` writes the result; this module adds Git's lock, the
split index, and what is kept when the file is replaced.

A split index (`git config core.splitIndex true`) keeps most entries in a shared file that is
not rewritten (`.git/sharedindex.<id>`) and the changed ones in `.git/index`, so a write
replaces a few kilobytes instead of the whole 13 MB of a 100,000-version checkout. A new entry
is added to the split file, and Git applies it over the shared one when it reads the index.
Looking up a path under a replaced or deleted shared entry needs the entry's position in the
shared file: positions are found once per shared file and kept beside it (`.git/modelreg/`).
Removing a shared entry, a split index that has grown past `splitIndex.maxPercentChange`, or
`core.splitIndex` asking for the other kind are left to `git update-index` (`Unsupported`).

The new index keeps the old one's modification time: Git takes an entry whose file changed in
the same instant as the index was written for "racily clean" and compares its content, and
keeping the time keeps every entry that was racy still racy, including those written here.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import os
import struct
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from modelreg import faults
from modelreg.errors import Conflict
from modelreg.gitrepo import indexwrite
from modelreg.gitrepo.indexedit import edited, entry_bytes
from modelreg.gitrepo.indexfile import IndexFile, Unsupported, stamp

LOCK_WAIT = 2.0
OFFSETS = "modelreg/sharedindex-{}.offsets"


class Resplit(Unsupported):
    """The index should be split anew (`git update-index --split-index`): it is whole while
    `core.splitIndex` asks for a split one (Git itself writes it whole now and then), or its
    split file has grown past `splitIndex.maxPercentChange` of the shared one."""


class Unsplit(Unsupported):
    """The index is split while `core.splitIndex` is false (`--no-split-index`)."""


class Link(NamedTuple):
    """A split index's `link` extension: the shared file, and the shared entries this one
    deletes and replaces (positions in the shared file, sorted)."""

    shared: str
    deleted: list[int]
    replaced: list[int]

    @classmethod
    def parse(cls, data: bytes) -> Link:
        shared = data[:20].hex()
        if len(data) == 20:
            return cls(shared, [], [])
        try:
            deleted, at = _ewah(data, 20)
            replaced, at = _ewah(data, at)
        except struct.error:
            at = -1
        if at != len(data):
            raise Unsupported("the split index's link extension could not be read")
        return cls(shared, deleted, replaced)


class Shared:
    """A split index's shared file, with the position of each entry (kept beside it)."""

    def __init__(self, git_dir: Path, oid: str) -> None:
        self.git_dir = git_dir
        self.oid = oid
        self.path = git_dir / f"sharedindex.{oid}"
        found = IndexFile.read(self.path)
        if found is None or found.link is not None:
            raise Unsupported(f"the shared index {self.path.name} is missing")
        self.file = found
        self._offsets: array.array[int] | None = None

    def position(self, name: bytes) -> tuple[int, str] | None:
        """The position of `name`'s entry in the shared file and its id, or None."""
        offsets = self.offsets()
        at = bisect.bisect_left(offsets, name, key=self._name)
        if at == len(offsets) or self._name(offsets[at]) != name:
            return None
        entry = self.file.entry(offsets[at])
        return at, entry.oid.hex()

    def _name(self, offset: int) -> bytes:
        return self.file.entry(offset).name

    def offsets(self) -> array.array[int]:
        if self._offsets is None:
            kept = self.git_dir / OFFSETS.format(self.oid)
            offsets = array.array("I")
            try:
                offsets.frombytes(kept.read_bytes())
            except (FileNotFoundError, ValueError):
                offsets = array.array("I", self.file.offsets())
                _keep(kept, offsets.tobytes(), self.git_dir / OFFSETS.format("*"))
            if len(offsets) != self.file.count:
                raise Unsupported(f"{kept} does not match {self.path.name}")
            self._offsets = offsets
        return self._offsets


class Index:
    """The index of a checkout (`.git/index`), read and changed a few entries at a time.

    `split`: `core.splitIndex` (None when unset: the index stays as it is); `max_change`:
    `splitIndex.maxPercentChange`."""

    def __init__(self, git_dir: Path, *, split: bool | None = None, max_change: int = 20) -> None:
        self.git_dir = git_dir
        self.path = git_dir / "index"
        self.split = split
        self.max_change = max_change
        self._cached: IndexFile | None = None
        self._shared: Shared | None = None

    def staged(self, paths: Iterable[str]) -> dict[str, str | None]:
        """The ids staged for `paths` (None: not in the index, or no index at all)."""
        index = self._read()
        if index is None:
            return {p: None for p in paths}
        link = Link.parse(index.link) if index.link is not None else None
        return {p: self._staged(index, link, os.fsencode(p)) for p in paths}

    def prepare(self, paths: Iterable[str]) -> None:
        """Start hashing what the next `update` of these paths will keep of a whole index (the
        header, taking a path not in it for a new entry, and the entries before the first of
        them) on the worker thread, while the writer moves the branch (`indexwrite`)."""
        try:
            index = self._read()
            if index is None or index.link is not None:
                return
            found = [index.lookup(os.fsencode(p)) for p in paths]
        except Unsupported:
            return
        if found:
            added = sum(not entries for _, entries in found)
            indexwrite.prepare(index, str(self.path), count=index.count + added,
                               first=min(at for at, _ in found))

    def _staged(self, index: IndexFile, link: Link | None, name: bytes) -> str | None:
        own = index.staged(name)
        if own is not None or link is None or not link.shared.strip("0"):
            return own
        shared = self._shared_file(link.shared)
        if not link.deleted and not link.replaced:
            return shared.file.staged(name)
        found = shared.position(name)
        if found is None or _has(link.deleted, found[0]):
            return None
        if not _has(link.replaced, found[0]):
            return found[1]
        return index.replacement(bisect.bisect_left(link.replaced, found[0])).oid.hex()

    def _read(self) -> IndexFile | None:
        cached = self._cached
        try:
            if cached is not None and stamp(os.stat(self.path)) == cached.stamp:
                return cached
        except FileNotFoundError:
            return None
        self._cached = IndexFile.read(self.path)
        return self._cached

    def _shared_file(self, oid: str) -> Shared:
        if self._shared is None or self._shared.oid != oid:
            self._shared = Shared(self.git_dir, oid)
        return self._shared

    def update(self, changes: Mapping[str, tuple[str, os.stat_result] | None]) -> None:
        """Set the entries of `changes` (path -> (blob id, stat of its file), or None to remove
        it) under Git's `index.lock`, as one atomic replacement of the file."""
        lock = self.path.with_name("index.lock")
        key = str(self.path)
        fd = _acquire(lock)
        try:
            index = self._read()
            if index is None:
                raise Unsupported("there is no index yet")
            beside = self._beside(index, changes)
            entries = {os.fsencode(p): None if c is None else entry_bytes(os.fsencode(p), *c)
                       for p, c in changes.items()}
            written = indexwrite.write(fd, index, edited(index, entries, beside=beside), key=key)
            os.close(fd)
            fd = -1
            before = os.stat(self.path)
            os.utime(lock, ns=(before.st_atime_ns, before.st_mtime_ns))
            faults.point("index_locked")
            os.replace(lock, self.path)
            indexwrite.remember(key, os.stat(self.path), written)  # (and by the checksum)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            lock.unlink(missing_ok=True)
            indexwrite.forget(key)
            raise
        finally:
            self._cached = None
        indexwrite.release(index)

    def release_abandoned(self) -> None:
        """Remove the `index.lock` of a write killed while it wrote the index (the caller
        knows one was; Git leaves such a lock for a person to remove)."""
        self.path.with_name("index.lock").unlink(missing_ok=True)

    def _beside(self, index: IndexFile, changes: Mapping[str, object]) -> list[IndexFile]:
        """The shared file of a split index (checked to take these changes), or []."""
        link = Link.parse(index.link) if index.link is not None else None
        if link is None or not link.shared.strip("0"):
            if self.split:
                raise Resplit("core.splitIndex asks for a split index")
            return []
        if self.split is False:
            raise Unsplit("core.splitIndex asks for a whole index")
        shared = self._shared_file(link.shared)
        added = index.count - len(link.replaced)  # Git counts the entries not shared
        if (added + len(changes)) * 100 > self.max_change * shared.file.count:
            raise Resplit("the split index has grown past splitIndex.maxPercentChange")
        for path, change in changes.items():
            name = os.fsencode(path)
            if change is None and not index.lookup(name)[1] and self._staged(index, link, name):
                raise Unsupported(f"removing {path} from the shared index")
        with contextlib.suppress(OSError):
            os.utime(shared.path)  # Git expires shared files by age: this one is in use
        return [shared.file]


def _ewah(data: bytes, at: int) -> tuple[list[int], int]:
    """The set bits of an EWAH bitmap as Git serialises it, and the offset after it."""
    _, words = struct.unpack_from(">II", data, at)
    values = struct.unpack_from(f">{words}Q", data, at + 8)
    out: list[int] = []
    position = index = 0
    while index < words:
        marker = values[index]
        run, literals = (marker >> 1) & 0xFFFFFFFF, marker >> 33
        if marker & 1:
            out.extend(range(position, position + 64 * run))
        position += 64 * run
        for word in values[index + 1 : index + 1 + literals]:
            while word:
                low = word & -word
                out.append(position + low.bit_length() - 1)
                word ^= low
            position += 64
        index += 1 + literals
    return out, at + 8 + 8 * words + 4


def _has(sorted_values: list[int], value: int) -> bool:
    at = bisect.bisect_left(sorted_values, value)
    return at < len(sorted_values) and sorted_values[at] == value


def _keep(path: Path, data: bytes, pattern: Path) -> None:
    """Keep the positions of a shared file, dropping those of shared files gone since."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(pattern.name):
        old.unlink(missing_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _acquire(lock: Path) -> int:
    """Take Git's lock on the index, waiting a little for a `git` command that holds it."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            if time.monotonic() > deadline:
                raise Conflict(
                    f"{lock} exists: another git process is running, or crashed (remove the "
                    "file if none is running); the commit landed, the next write syncs the files"
                ) from None
            time.sleep(0.01)
