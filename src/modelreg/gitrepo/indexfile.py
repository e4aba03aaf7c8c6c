"""A Git index file, read a few entries at a time (issue #5; `indexedit` changes one).

A checkout of 100,000 versions has ~120,000 index entries, 13 MB. libgit2 decodes all of them
to read one (~100 ms) and encodes and hashes all of them with its collision-detecting SHA-1 to
change one (~60 ms); `git update-index` decodes and encodes them all too (~40 ms). A write
reads one to three entries, so this module finds them by bisection over the file's bytes
(entries are sorted by path and start on 8-byte boundaries, so any offset can be resynchronised
to the next entry by checking its fields), where the file is mapped.

What it does not handle it refuses with `Unsupported`, and the caller asks `git` instead:
index versions other than 2 and 3, mandatory extensions other than a split index's `link`
(a sparse index's `sdir`), entries of a path in conflict or with extended flags.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import struct
import weakref
from pathlib import Path
from typing import NamedTuple

MODES = frozenset(struct.pack(">I", m) for m in (0o100644, 0o100755, 0o120000, 0o160000))
EXTENDED = 0x4000
STAGE = 0x3000
LONGEST = 64 + 4096 + 8  # an entry's largest size: Git's paths are at most 4096 bytes
CHAIN = 2  # consecutive valid entries that make an offset an entry boundary
_U32 = struct.Struct(">I")
_ZEROS = bytes(8)
Buffer = bytes | mmap.mmap


class Unsupported(Exception):
    """An index this module leaves to `git` (the message says which feature)."""


class Entry(NamedTuple):
    start: int
    end: int
    name: bytes
    oid: bytes
    flags: int


class IndexFile:
    """One index file's bytes (mapped, not copied), with where its entries end and which
    extensions follow."""

    def __init__(self, data: Buffer, stamp: tuple[int, ...], fd: int = -1) -> None:
        if len(data) < 32 or data[:4] != b"DIRC":
            raise Unsupported("not an index file")
        self.data = data
        self.stamp = stamp
        self.fd = fd  # the file, open: `indexwrite` copies from it in the kernel
        self.read_through = 0  # bytes from the start read through the map (their pages mapped)
        self.version, self.count = struct.unpack_from(">II", data, 4)
        if self.version not in (2, 3):
            raise Unsupported(f"index version {self.version}")
        self.end = len(data) - 20  # narrowed to the end of the entries by _find_end
        self.end, self.extensions = self._find_end()
        self._release = weakref.finalize(self, _close, data, fd)

    @classmethod
    def read(cls, path: Path) -> IndexFile | None:
        """The index at `path`, mapped into memory: a write reads a few of its pages, and
        copies and hashes the rest without bringing 13 MB through Python."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return None
        data: Buffer = b""
        try:
            info = os.fstat(fd)
            if info.st_size < 32:
                raise Unsupported("not an index file")
            data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            return cls(data, stamp(info), fd)
        except BaseException:
            _close(data, fd)
            raise

    def close(self) -> None:
        """Unmap the file and close it (once; garbage collection does it otherwise). The last
        reference to an index replaced since frees its 13 MB, which costs the kernel ~7 ms:
        `indexwrite` lets a thread do it."""
        self._release()

    # -- entries ---------------------------------------------------------------------------

    def maybe_entry(self, at: int) -> Entry | None:
        """The entry at offset `at` if its fields are those of one, else None."""
        data = self.data
        if at + 62 > self.end or data[at + 24 : at + 28] not in MODES:
            return None
        flags = data[at + 60] << 8 | data[at + 61]
        head = 62
        if flags & EXTENDED:
            if self.version < 3:
                return None
            head = 64
        start = at + head
        length = flags & 0xFFF
        nul = data.find(b"\0", start + length, self.end) if length == 0xFFF else start + length
        if nul < 0 or nul >= self.end or data[nul] != 0:
            return None
        end = at + ((nul - at + 8) & ~7)
        if end > self.end or data[nul:end] != _ZEROS[: end - nul]:
            return None
        name = data[start:nul]
        if b"\0" in name:
            return None
        return Entry(at, end, name, data[at + 40 : at + 60], flags)

    def entry(self, at: int) -> Entry:
        found = self.maybe_entry(at)
        if found is None:
            raise Unsupported("an index entry could not be read")
        return found

    def replacement(self, rank: int) -> Entry:
        """A split index's `rank`th replacement of a shared entry: they come first, nameless,
        64 bytes each in a version 2 file."""
        at = 12 + 64 * rank
        found = self.maybe_entry(at) if self.version == 2 else None
        if found is None or found.name or found.end != at + 64:
            raise Unsupported("the split index's replaced entries could not be read")
        return found

    def offsets(self) -> list[int]:
        """Where every entry starts: one pass over the file, its lengths only."""
        data, end, at = self.data, self.end, 12
        out = []
        while at < end:
            out.append(at)
            flags = data[at + 60] << 8 | data[at + 61]
            head = 64 if flags & EXTENDED else 62
            length = flags & 0xFFF
            if length == 0xFFF:
                length = data.find(b"\0", at + head + length) - at - head
            at += (head + length + 8) & ~7
        if at != end or len(out) != self.count:
            raise Unsupported("the index's entries could not be counted")
        return out

    def _chained(self, at: int) -> Entry | None:
        """The entry at `at` when it and the next ones (up to CHAIN, or the end) are valid and
        sorted: a boundary found that way is not a coincidence of the bytes."""
        first = previous = self.maybe_entry(at)
        for _ in range(CHAIN - 1):
            if previous is None or previous.end >= self.end:
                break
            following = self.maybe_entry(previous.end)
            if following is None and self._extensions(previous.end) is not None:
                break  # the last entry: the extensions follow
            if following is None or _unsorted(previous, following):
                return None
            previous = following
        return first if previous is not None else None

    def sync(self, at: int) -> Entry | None:
        """The first entry that starts at or after `at` (within one entry's size)."""
        data = self.data
        offset = at + (12 - at) % 8
        stop = min(at + LONGEST, self.end)
        while offset < stop:
            if data[offset + 24 : offset + 28] in MODES:  # most offsets fail here, cheaply
                found = self._chained(offset)
                if found is not None:
                    return found
            offset += 8
        return None

    def lookup(self, name: bytes) -> tuple[int, list[Entry]]:
        """Where `name` is or would be inserted, and its entries (one per stage; [] if none)."""
        low, high = 12, self.end
        while high - low > 512:
            middle = self.sync((low + high) // 2)
            if middle is None or middle.start >= high:
                high = (low + high) // 2
            elif middle.name < name:
                low = middle.start
            else:
                high = middle.start
        at = low
        while at < self.end:
            entry = self.maybe_entry(at)
            if entry is None:
                raise Unsupported("an index entry could not be read")
            if entry.name >= name:
                break
            at = entry.end
        found = []
        position = at
        while position < self.end:
            entry = self.maybe_entry(position)
            if entry is None or entry.name != name:
                break
            found.append(entry)
            position = entry.end
        return at, found

    def staged(self, name: bytes) -> str | None:
        """The id staged for `name` (stage 0), or None; an unmerged path is Unsupported."""
        _, found = self.lookup(name)
        if any(e.flags & STAGE for e in found):
            raise Unsupported(f"{os.fsdecode(name)} is unmerged")
        return found[0].oid.hex() if found else None

    # -- the end of the entries and the extensions -------------------------------------------

    def _find_end(self) -> tuple[int, list[tuple[bytes, int, int]]]:
        found = self._eoie()
        if found is None:
            found = self._search_end()
        extensions = self._extensions(found)
        if extensions is None:
            raise Unsupported("the index's extensions could not be read")
        for sig, _, _ in extensions:
            if not sig[:1].isupper() and sig != b"link":
                raise Unsupported(f"index extension {sig.decode(errors='replace')!r}")
        return found, extensions

    @property
    def link(self) -> bytes | None:
        """The split index's `link` extension (shared index id, bitmaps), or None."""
        for sig, start, end in self.extensions:
            if sig == b"link":
                return bytes(self.data[start + 8 : end])
        return None

    def _extensions(self, at: int) -> list[tuple[bytes, int, int]] | None:
        """The extensions from `at` to the checksum, or None when they do not chain exactly."""
        out = []
        limit = len(self.data) - 20
        while at < limit:
            if at + 8 > limit:
                return None
            size = _U32.unpack_from(self.data, at + 4)[0]
            out.append((self.data[at : at + 4], at, at + 8 + size))
            at += 8 + size
        return out if at == limit else None

    def _eoie(self) -> int | None:
        """The end of the entries as the EOIE extension records it, when it checks out."""
        data = self.data
        at = len(data) - 20 - 32
        if at < 12 or data[at : at + 8] != b"EOIE" + _U32.pack(24):
            return None
        offset = _U32.unpack_from(data, at + 8)[0]
        if not 12 <= offset <= at or (offset - 12) % 8:
            return None
        digest = hashlib.sha1()
        position = offset
        while position < at:
            digest.update(data[position : position + 8])
            position += 8 + _U32.unpack_from(data, position + 4)[0]
        return offset if position == at and digest.digest() == data[at + 12 : at + 32] else None

    def _search_end(self) -> int:
        """The end of the entries found by bisection: an entry starts before it, none after."""
        if self.count == 0:
            return 12
        if self._chained(12) is None:
            raise Unsupported("the index's first entry could not be read")
        low, high = 12, self.end
        while high - low > LONGEST:
            middle = self.sync((low + high) // 2)
            if middle is None:
                high = (low + high) // 2
            else:
                low = middle.start
        while True:
            entry = self.maybe_entry(low)
            if entry is None:
                return low
            low = entry.end


def stamp(info: os.stat_result) -> tuple[int, ...]:
    """What tells that a file was replaced or changed since it was read."""
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _close(data: Buffer, fd: int) -> None:
    if isinstance(data, mmap.mmap):
        data.close()  # closing twice is allowed
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


def _unsorted(first: Entry, then: Entry) -> bool:
    """Entries are sorted by name and stage; a split index's replacements come first, all
    with empty names."""
    if not then.name:
        return bool(first.name)
    return (then.name, then.flags & STAGE) <= (first.name, first.flags & STAGE)
