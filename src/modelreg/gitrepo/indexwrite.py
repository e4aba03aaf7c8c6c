"""Writing a Git index from pieces of the old one (issue #5; `staging` holds the lock).

The new index is mostly the old one's bytes, copied file to file in the kernel
(`copy_file_range`) on the worker thread (`background`). Its checksum is a SHA-1 of the whole
file (~7 ms for the 13 MB of a 100,000-version checkout), which cannot start after the first
changed byte without the state of the hash there. So the states every CHECKPOINT bytes are
kept in memory: those of the file this process wrote last, for its next write (when that one
keeps the entry count, the 12-byte header is unchanged); and those of the header and entries a
write is about to need, which `prepare` starts computing on the worker as soon as the writer
knows its paths, while it commits and moves the branch. A write then hashes from the last
state before its first changed entry to the end: on average half the file.

States are used only for the file they were taken of: same inode, size, times and checksum.
Any other writer of the index changes those (Git writes a new file, with its own entries'
checksum), and a state is only ever taken of bytes that are still those of the file.

The replaced file is unmapped and closed on another worker: the last reference to it frees
it, which costs ~7 ms for 13 MB (mostly waiting for the write-back that ext4 starts when a file
is renamed over another), and the write need not wait for that.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from modelreg.gitrepo import background
from modelreg.gitrepo.indexedit import Piece, Span
from modelreg.gitrepo.indexfile import IndexFile, stamp

CHECKPOINT = 1 << 18  # bytes between two kept states (~50 for 13 MB, a rehash of <= 256 KB)
BATCH = 1 << 21  # bytes hashed here before the worker is given them to write (fewer wake-ups)
KEPT = 4  # index files whose states are kept (one per checkout this process writes)
_PWRITE = hasattr(os, "pwrite")
_COPY = _PWRITE and hasattr(os, "copy_file_range")
_known: dict[str, Known] = {}
_pending: dict[str, tuple[background.Job, Known]] = {}


class Known(NamedTuple):
    """SHA-1 states of an index that starts with `header` (its new entry count) and goes on
    with the bytes of the file `stamp` and `checksum` name, from byte 12: `states[k]` is the
    state after k * CHECKPOINT bytes (the first: nothing hashed yet)."""

    stamp: tuple[int, ...]
    checksum: bytes
    header: bytes
    states: list[Any]


def write(fd: int, old: IndexFile, pieces: list[Piece], *, key: str) -> Known:
    """Write the pieces to `fd`, then their checksum; `key` names the index (its path).
    The bytes before the first changed one are copied on the worker, which then writes each
    part of the rest as soon as this thread hashed it. Returns the new file's states, to
    `remember` once it is in place."""
    header = bytes(pieces[0])
    states = _states(old, key, header)
    states = states[: min(_unchanged(old, pieces) // CHECKPOINT, len(states) - 1) + 1]
    placed = _placed(pieces)
    if not _PWRITE:  # one file position: the bytes are written in order, here
        _copy(fd, old, placed, (len(states) - 1) * CHECKPOINT)
        with memoryview(old.data) as view:
            digest, states = _run(states, view, pieces, lambda chunk, at: _put(fd, chunk, at))
    else:
        digest, states = _write_beside(fd, old, placed, states)
    checksum = digest.digest()
    _put(fd, checksum, placed[-1][0] + _size(placed[-1][1]))
    return Known((), checksum, header, states)


def _write_beside(fd: int, old: IndexFile, placed: list[tuple[int, Piece]],
                  states: list[Any]) -> tuple[Any, list[Any]]:
    """Hash here while the worker writes, into a duplicate of `fd` (so that an interrupted
    write cannot leave it writing into a descriptor closed and reused meanwhile)."""
    duplicate = os.dup(fd)
    start = (len(states) - 1) * CHECKPOINT
    jobs = [background.submit(lambda: _copy(duplicate, old, placed, start))]
    batch: list[tuple[bytes | memoryview, int]] = []

    def flush() -> None:
        parts = batch[:]
        batch.clear()

        def put() -> None:
            for chunk, at in parts:
                _put(duplicate, chunk, at)

        jobs.append(background.submit(put))

    def sink(chunk: bytes | memoryview, at: int) -> None:
        batch.append((chunk, at))
        if len(batch) * CHECKPOINT >= BATCH:
            flush()

    try:
        with memoryview(old.data) as view:
            found = _run(states, view, [p for _, p in placed], sink)
        flush()
    finally:
        for job in jobs:
            job.failed()  # ended, one way or the other
        os.close(duplicate)
    for job in jobs:
        job.wait()
    return found


def remember(key: str, info: os.stat_result, written: Known) -> None:
    """Keep the states of the file just written (`info`: its stat once in place)."""
    _known.pop(key, None)
    _known[key] = written._replace(stamp=stamp(info))
    while len(_known) > KEPT:
        del _known[next(iter(_known))]


def forget(key: str) -> None:
    _known.pop(key, None)


def prepare(old: IndexFile, key: str, *, count: int, first: int) -> None:
    """Start hashing the header of an index of `count` entries and `old`'s bytes up to
    `first` (where a write is about to change an entry) on the worker."""
    header = bytes(old.data[:8]) + struct.pack(">I", count)
    states = _states(old, key, header)
    stop = first // CHECKPOINT * CHECKPOINT
    if (len(states) - 1) * CHECKPOINT >= stop:
        return  # known already
    states = list(states)  # extended by the job

    def run() -> None:
        with memoryview(old.data) as view:
            states[:] = _run(states, view, [header, Span(12, stop)])[1]
        old.read_through = max(old.read_through, stop)

    known = Known(old.stamp, bytes(old.data[-20:]), header, states)
    _pending.pop(key, None)
    _pending[key] = (background.submit(run), known)
    while len(_pending) > KEPT:
        del _pending[next(iter(_pending))]


def release(old: IndexFile) -> None:
    """Unmap and close a replaced index, on the worker that frees files."""
    background.run(old.close)


def _states(old: IndexFile, key: str, header: bytes) -> list[Any]:
    """The states known for `old` under `header`, or just the first."""
    pending = _pending.pop(key, None)
    if pending is not None and not pending[0].failed():
        _known[key] = pending[1]
    known = _known.get(key)
    if (known is None or known.stamp != old.stamp or known.header != header
            or old.data[-20:] != known.checksum):
        return [hashlib.sha1()]
    return known.states


def _run(states: list[Any], view: memoryview, pieces: list[Piece],
         sink: Callable[[bytes | memoryview, int], None] | None = None) -> tuple[Any, list[Any]]:
    """Hash the pieces on from the last of `states`, keeping a state at every CHECKPOINT
    (and giving what was hashed to `sink`, with its offset: its pages were just read)."""
    kept = list(states)
    at = (len(kept) - 1) * CHECKPOINT
    digest = kept[-1].copy()
    for chunk in _stream(view, pieces, at):
        digest.update(chunk)
        if sink is not None:
            sink(chunk, at)
        at += len(chunk)
        if at % CHECKPOINT == 0:
            kept.append(digest.copy())
    return digest, kept


def _unchanged(old: IndexFile, pieces: list[Piece]) -> int:
    """How many bytes the new index starts with that are the old one's, where they were
    (the first piece, the header, is taken as equal: `_states` compared it)."""
    position = len(pieces[0])
    for piece in pieces[1:]:
        if isinstance(piece, Span):
            if piece.start != position:
                break
            position = piece.end
        elif old.data[position : position + len(piece)] == piece:
            position += len(piece)
        else:
            break
    return min(position, len(old.data) - 20)


def _stream(view: memoryview, pieces: list[Piece], start: int) -> Iterator[bytes | memoryview]:
    """The new index's bytes from `start` on, cut at every multiple of CHECKPOINT."""
    position = 0
    for piece in pieces:
        data = view[piece.start : piece.end] if isinstance(piece, Span) else piece
        end = position + len(data)
        cut = max(start, position)
        while cut < end:
            stop = min(end, (cut // CHECKPOINT + 1) * CHECKPOINT)
            yield data[cut - position : stop - position]
            cut = stop
        position = end


def _placed(pieces: list[Piece]) -> list[tuple[int, Piece]]:
    """The pieces with their offsets in the new index."""
    out, at = [], 0
    for piece in pieces:
        out.append((at, piece))
        at += _size(piece)
    return out


def _size(piece: Piece) -> int:
    return piece.end - piece.start if isinstance(piece, Span) else len(piece)


def _copy(fd: int, old: IndexFile, placed: list[tuple[int, Piece]], stop: int) -> None:
    """Write the new index's bytes before `stop` to `fd`: from the map what was read through
    it (~2.5 ms for 13 MB), the rest in the kernel (~3.5 ms, where the map would first have to
    be filled: ~6 ms)."""
    with memoryview(old.data) as view:
        for at, piece in placed:
            if at >= stop:
                break
            size = min(_size(piece), stop - at)
            if isinstance(piece, Span):
                mapped = min(size, max(0, old.read_through - piece.start))
                _put(fd, view[piece.start : piece.start + mapped], at)
                done = mapped + _copy_range(old.fd, fd, piece.start + mapped, size - mapped,
                                            at + mapped)
                _put(fd, view[piece.start + done : piece.start + size], at + done)
            else:
                _put(fd, piece[:size], at)


def _copy_range(source: int, target: int, start: int, size: int, at: int) -> int:
    """Copy what the kernel will of `size` bytes from `start` to `at` (not every system,
    nor every file system, can): how many it copied."""
    if not _COPY or source < 0:
        return 0
    done = 0
    try:
        while done < size:
            step = os.copy_file_range(source, target, size - done, start + done, at + done)
            if step <= 0:
                break
            done += step
    except OSError:
        pass
    return done


def _put(fd: int, data: bytes | memoryview, at: int) -> None:
    """Write `data` at offset `at` (where there is no `pwrite`, at the file's position: the
    caller writes in order)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, at) if _PWRITE else os.write(fd, view)
        view = view[written:]
        at += written
