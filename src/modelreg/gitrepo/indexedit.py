"""A Git index with a few entries changed, as a list of pieces (issue #5; `staging` uses it).

A write changes one to three of a big index's entries, so the new index is the old one's
untouched byte ranges (`Span`s, copied as they are) with the new entries spliced between them
(`indexwrite` copies, hashes and writes them). Optional extensions are dropped, as libgit2
drops those it does not know: the cache tree (`TREE`; Git rebuilds it on the next commit), the
untracked cache and the file-system monitor's state (rebuilt by the next `git status`);
resolve-undo records (`REUC`) and a split index's `link` are kept. An end-of-index-entries
extension (`EOIE`) is written, so that the next write finds where the entries end without a
search.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from modelreg.gitrepo.indexfile import EXTENDED, LONGEST, STAGE, IndexFile, Unsupported

_U32 = struct.Struct(">I")
_MASK = 0xFFFFFFFF


class Span(NamedTuple):
    """The old index's bytes from `start` to `end`, kept as they are."""

    start: int
    end: int


Piece = bytes | Span


def edited(
    index: IndexFile, changes: Mapping[bytes, bytes | None], *, beside: Sequence[IndexFile] = ()
) -> list[Piece]:
    """The new index but its checksum, in pieces: `changes` maps a path to its new entry's
    bytes (None: no entry). `beside`: the shared index of a split one, whose entries a new
    entry must not clash with either."""
    pieces: list[Piece] = [b""]
    count = index.count
    position = 12
    for name in sorted(changes):
        at, found = index.lookup(name)
        if any(e.flags & (STAGE | EXTENDED) for e in found):
            raise Unsupported(f"{os.fsdecode(name)} is unmerged or has extended flags")
        new = changes[name]
        if not found and new is not None and not any(i.lookup(name)[1] for i in beside):
            for each in (index, *beside):
                refuse_file_and_folder(each, name)
        pieces.append(Span(position, at))
        position = found[-1].end if found else at
        count += (new is not None) - len(found)
        if new is not None:
            pieces.append(new)
    pieces.append(Span(position, index.end))
    pieces[0] = bytes(index.data[:8]) + _U32.pack(count)
    size = sum(len(p) if isinstance(p, bytes) else p.end - p.start for p in pieces)
    pieces.extend(_kept_extensions(index, size))
    return [p for p in pieces if not isinstance(p, Span) or p.end > p.start]


def refuse_file_and_folder(index: IndexFile, name: bytes) -> None:
    """A new entry must not be a folder of another entry, nor lie under a file's entry."""
    at, _ = index.lookup(name)
    following = index.maybe_entry(at) if at < index.end else None
    if following is not None and following.name.startswith(name + b"/"):
        raise Unsupported(f"{os.fsdecode(name)} is a folder in the index")
    folder = name.rpartition(b"/")[0]
    before = index.sync(max(12, at - LONGEST)) if at > 12 else None
    if not folder or any(n is not None and n.name.startswith(folder + b"/")
                         for n in (following, before)):
        return  # a neighbour's entry shows that the folder is one
    while folder:
        if index.lookup(folder)[1]:
            raise Unsupported(f"{os.fsdecode(folder)} is a file in the index")
        folder = folder.rpartition(b"/")[0]


def _kept_extensions(index: IndexFile, offset: int) -> list[bytes]:
    kept = [bytes(index.data[start:end]) for sig, start, end in index.extensions
            if sig in (b"link", b"REUC")]
    digest = hashlib.sha1(b"".join(k[:8] for k in kept)).digest()
    return [*kept, b"EOIE" + _U32.pack(24) + _U32.pack(offset) + digest]


def entry_bytes(name: bytes, oid: str, info: os.stat_result) -> bytes:
    """An index entry (version 2 layout) for a regular file just written, with its stat data."""
    fields = (
        info.st_ctime_ns // 10**9 & _MASK, info.st_ctime_ns % 10**9,
        info.st_mtime_ns // 10**9 & _MASK, info.st_mtime_ns % 10**9,
        info.st_dev & _MASK, info.st_ino & _MASK, 0o100644,
        info.st_uid & _MASK, info.st_gid & _MASK, info.st_size & _MASK,
    )
    head = struct.pack(">10I20sH", *fields, bytes.fromhex(oid), min(len(name), 0xFFF))
    size = (62 + len(name) + 8) & ~7
    return head + name + b"\0" * (size - 62 - len(name))
