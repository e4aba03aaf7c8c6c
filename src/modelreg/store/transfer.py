"""Moving bytes between local files and an fsspec filesystem, hashing them on the way.

Large files stream in 8 MiB chunks. Small files travel in batches (`fs.pipe` and
`fs.cat_ranges`), which async filesystems such as s3fs send concurrently: a model of a thousand
small files is not a thousand round trips in a row. On a local store every file is written to a
temporary name and renamed into place, so two uploaders of the same content never see each
other's half-written files; a stored file is then made read-only.
"""

from __future__ import annotations

import posixpath
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar

from modelreg.errors import ArtifactError, StoreError
from modelreg.model import FileEntry
from modelreg.store.backend import is_local
from modelreg.store.hashing import Hashed, hash_bytes, hash_stream

SMALL = 4 << 20  # files up to this size travel in batches
BATCH_FILES = 256
BATCH_BYTES = 64 << 20
READ_ONLY = 0o444

T = TypeVar("T")
Opener = Callable[[FileEntry], AbstractContextManager[IO[bytes]]]


class Got(NamedTuple):
    """What was read for a file: its size and sha256, None when missing. `longer` means the
    file holds more bytes than recorded (only the recorded size plus one was read)."""

    entry: FileEntry
    found: Hashed | None
    longer: bool = False

    @property
    def ok(self) -> bool:
        return self.found == (self.entry.size, self.entry.sha256) and not self.longer


def batches(items: Sequence[T], size: Callable[[T], int]) -> Iterator[list[T]]:
    batch: list[T] = []
    total = 0
    for item in items:
        if batch and (len(batch) >= BATCH_FILES or total + size(item) > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += size(item)
    if batch:
        yield batch


# -- writing ------------------------------------------------------------------------------


def put_files(
    fs: Any, items: Sequence[tuple[FileEntry, Path]], base: str, *, tmp_dir: str, callback: Any
) -> None:
    """Copy local files to `base/<path>`, each re-hashed while read and compared to its entry."""
    if is_local(fs):
        made: set[str] = set()
        for entry, local in items:
            target = f"{base}/{entry.path}"
            _ensure_dir(fs, posixpath.dirname(target), made)
            _ensure_dir(fs, tmp_dir, made)
            tmp = f"{tmp_dir}/{secrets.token_hex(8)}"
            _put_stream(fs, entry, local, tmp, callback)
            fs.mv(tmp, target)
            fs.chmod(target, READ_ONLY)
        return
    small = [item for item in items if item[0].size <= SMALL]
    for batch in batches(small, lambda item: item[0].size):
        blobs: dict[str, bytes] = {}
        for entry, local in batch:
            blob = local.read_bytes()
            _same(entry, hash_bytes(blob))
            blobs[f"{base}/{entry.path}"] = blob
        fs.pipe(blobs)
        callback.relative_update(sum(len(b) for b in blobs.values()))
    for entry, local in items:
        if entry.size > SMALL:
            _put_stream(fs, entry, local, f"{base}/{entry.path}", callback)


def _put_stream(fs: Any, entry: FileEntry, local: Path, target: str, callback: Any) -> None:
    with open(local, "rb") as src, fs.open(target, "wb") as out:

        def copy(chunk: bytes) -> None:
            out.write(chunk)
            callback.relative_update(len(chunk))

        got = hash_stream(src.read, on_chunk=copy)
    _same(entry, got)


def _same(entry: FileEntry, got: Hashed) -> None:
    if got != (entry.size, entry.sha256):
        raise ArtifactError(
            f"file {entry.path!r} changed while it was being uploaded; register it again once "
            "nothing writes to it"
        )


def _ensure_dir(fs: Any, path: str, made: set[str]) -> None:
    if path not in made:
        fs.makedirs(path, exist_ok=True)
        made.add(path)


def write_blob(fs: Any, path: str, data: bytes, *, tmp_dir: str) -> None:
    """Write a small file whole: on a local store through a temporary name and a rename."""
    if not is_local(fs):
        fs.pipe_file(path, data)
        return
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    fs.makedirs(tmp_dir, exist_ok=True)
    tmp = f"{tmp_dir}/{secrets.token_hex(8)}"
    fs.pipe_file(tmp, data)
    fs.mv(tmp, path)


def check_sizes(fs: Any, base: str, entries: Sequence[FileEntry], *, where: str) -> None:
    """After an upload, the store must list every file with the size written."""
    fs.invalidate_cache(base)
    listing = fs.find(base, detail=True)
    for entry in entries:
        info = listing.get(f"{base}/{entry.path}")
        found = None if info is None else int(info.get("size", -1))
        if found != entry.size:
            raise StoreError(
                f"{where} does not hold {entry.path!r} as written ({entry.size} bytes written, "
                f"{'none' if found is None else found} found); register it again"
            )


# -- reading ------------------------------------------------------------------------------


def read_files(
    fs: Any, sources: Sequence[tuple[FileEntry, str]], *, opener: Opener | None, callback: Any
) -> Iterator[Got]:
    """Read every source, hash it, and hand its bytes to `opener(entry)` when given."""
    small = [s for s in sources if s[0].size <= SMALL]
    for batch in batches(small, lambda s: s[0].size):
        yield from _read_batch(fs, batch, opener, callback)
    for entry, path in sources:
        if entry.size > SMALL:
            yield _read_stream(fs, entry, path, opener, callback)


def _read_batch(
    fs: Any, batch: list[tuple[FileEntry, str]], opener: Opener | None, callback: Any
) -> Iterator[Got]:
    # Read at most one byte more than recorded: a file grown by tampering is caught without
    # loading it whole. An empty file is read without a range (S3 refuses `bytes=0-0` on it).
    starts = [0 if e.size else None for e, _ in batch]
    ends = [e.size + 1 if e.size else None for e, _ in batch]
    blobs = fs.cat_ranges([p for _, p in batch], starts, ends, on_error="return")
    for (entry, _), blob in zip(batch, blobs, strict=True):
        if isinstance(blob, FileNotFoundError):
            yield Got(entry, None)
            continue
        if isinstance(blob, BaseException):
            raise blob
        data = bytes(blob)
        with opener(entry) if opener else nullcontext(None) as out:
            if out is not None:
                out.write(data)
        callback.relative_update(min(len(data), entry.size))
        yield Got(entry, hash_bytes(data), len(data) > entry.size)


def _read_stream(
    fs: Any, entry: FileEntry, path: str, opener: Opener | None, callback: Any
) -> Got:
    try:
        src = fs.open(path, "rb")
    except FileNotFoundError:
        return Got(entry, None)
    with src, opener(entry) if opener else nullcontext(None) as out:

        def copy(chunk: bytes) -> None:
            if out is not None:
                out.write(chunk)
            callback.relative_update(len(chunk))

        return Got(entry, hash_stream(src.read, on_chunk=copy))
