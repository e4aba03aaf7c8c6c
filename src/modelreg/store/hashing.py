"""sha256 of files in pieces (a large file never sits whole in memory), and the tree digest of
a file list, which only `modelreg.digest.tree_digest` computes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from modelreg import digest
from modelreg.errors import IntegrityError
from modelreg.model import ArtifactMode, Artifacts, FileEntry

CHUNK = 8 << 20  # what a stream of an fsspec filesystem is read by
BUFFER = 1 << 20  # a local file is read into one buffer, hashed while it is in the CPU's cache


class Hashed(NamedTuple):
    size: int
    sha256: str


def hash_stream(
    read: Callable[[int], bytes], *, on_chunk: Callable[[bytes], Any] | None = None
) -> Hashed:
    """Read `read(CHUNK)` until it returns nothing; `on_chunk` sees every chunk (to copy it)."""
    h = hashlib.sha256()
    size = 0
    while chunk := read(CHUNK):
        h.update(chunk)
        size += len(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return Hashed(size, h.hexdigest())


def hash_copy(
    readinto: Callable[[bytearray], int | None], *, size_hint: int = BUFFER,
    write: Callable[[memoryview], Any] | None = None, advance: Callable[[int], Any] | None = None,
) -> Hashed:
    """Read a local file once through one reused buffer, hashing it; `write` gets every piece
    (to copy it: it must be consumed before the next read) and `advance` its size (progress).
    One pass costs less than hashing, then copying (issue #5): the bytes are read once. The
    buffer is no larger than `size_hint` (the size listed) needs: a small file costs no MiB."""
    h = hashlib.sha256()
    size = 0
    buffer = bytearray(min(BUFFER, size_hint + 1))
    view = memoryview(buffer)
    while n := readinto(buffer):
        piece = view[:n]
        h.update(piece)
        if write is not None:
            write(piece)
        if advance is not None:
            advance(n)
        size += n
    return Hashed(size, h.hexdigest())


def hash_local(path: Path, *, size_hint: int = BUFFER) -> Hashed:
    with open(path, "rb", buffering=0) as f:
        return hash_copy(f.readinto, size_hint=size_hint)


def hash_bytes(data: bytes) -> Hashed:
    return Hashed(len(data), hashlib.sha256(data).hexdigest())


def sort_entries(entries: Iterable[FileEntry]) -> tuple[FileEntry, ...]:
    """Files in digest order: by the UTF-8 bytes of their paths."""
    return tuple(sorted(entries, key=lambda f: f.path.encode("utf-8")))


def artifacts_for(
    mode: ArtifactMode, entries: Iterable[FileEntry], *, uri: str = "", files_uri: str = ""
) -> Artifacts:
    """Artifacts with the digest, size and count of `entries`; `uri` defaults to the stored one
    (`sha256/<hex>`); with `files_uri` the list is kept there instead of in the manifest."""
    files = sort_entries(entries)
    tree = digest.tree_digest(files)
    return Artifacts(
        mode=mode,
        uri=uri or stored_uri(tree),
        digest=tree,
        size=sum(f.size for f in files),
        file_count=len(files),
        files=() if files_uri else files,
        files_uri=files_uri,
    )


def stored_uri(tree_digest: str) -> str:
    return f"sha256/{digest.bare(tree_digest)}"


def check_entries(artifacts: Artifacts, files: tuple[FileEntry, ...], *, where: str) -> None:
    """The file list must be made of plain paths and agree with the digest, count and size."""
    for f in files:
        if digest.normalize_path(f.path) != f.path:
            raise IntegrityError(f"the file list of {where} holds a path that is not normalized: "
                                 f"{f.path!r}")
    tree = digest.tree_digest(files)
    size = sum(f.size for f in files)
    if (tree, len(files), size) != (artifacts.digest, artifacts.file_count, artifacts.size):
        raise IntegrityError(
            f"the file list of {where} does not match its digest, file count or size "
            f"(recorded {artifacts.digest}, {artifacts.file_count} files, {artifacts.size} bytes; "
            f"the list gives {tree}, {len(files)} files, {size} bytes)"
        )
