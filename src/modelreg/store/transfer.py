"""Moving bytes between local files and an fsspec filesystem, hashing them on the way.

Large files stream in 8 MiB chunks, one at a time. Small files travel in parallel on
filesystems that are asynchronous (s3fs, gcsfs, adlfs, HTTP): up to `concurrency` requests in
flight (16 by default, `$MODELREG_TRANSFER_CONCURRENCY` or `open_store(concurrency=)`), so a
model of a thousand small files is not a thousand round trips in a row (issue #5). Other
filesystems (a local folder, `memory://`, SFTP, ...) are used from the calling thread only:
fsspec promises nothing about their thread safety, and a local copy is not waiting on a
network. Uploads to a local store do not come here: they are copied in one pass (`staging`).
"""

from __future__ import annotations

import os
import posixpath
import secrets
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TypeVar

from modelreg.errors import ArtifactError, InvalidParameter, StoreError
from modelreg.model import FileEntry
from modelreg.store.backend import is_local
from modelreg.store.hashing import Hashed, hash_bytes, hash_stream

if TYPE_CHECKING:
    from concurrent.futures import Future

SMALL = 4 << 20  # files up to this size travel whole, in parallel; larger ones stream
READ_ONLY = 0o444
CONCURRENCY_ENV = "MODELREG_TRANSFER_CONCURRENCY"
DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 256

T = TypeVar("T")
R = TypeVar("R")
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


# -- concurrency ----------------------------------------------------------------------------


def concurrency(configured: int | None) -> int:
    """How many requests a transfer keeps in flight: `configured`, else the environment's
    `$MODELREG_TRANSFER_CONCURRENCY`, else 16."""
    raw: object = configured if configured is not None else os.environ.get(CONCURRENCY_ENV, "")
    if raw == "":
        return DEFAULT_CONCURRENCY
    try:
        value = int(str(raw))
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_CONCURRENCY:
        where = "the store's concurrency" if configured is not None else f"${CONCURRENCY_ENV}"
        raise InvalidParameter(f"{where} must be a whole number from 1 to {MAX_CONCURRENCY}, "
                               f"not {raw!r}")
    return value


def sized_pool(
    protocol: str | None, options: Mapping[str, Any] | None, configured: int | None
) -> dict[str, Any]:
    """`options`, with s3fs's connection pool as large as the transfers' concurrency unless
    they size it themselves: botocore's default pool of 10 would cap the requests in flight."""
    out = dict(options or {})
    if protocol in ("s3", "s3a") and (workers := concurrency(configured)) > _BOTOCORE_POOL:
        config = dict(out.get("config_kwargs") or {})
        config.setdefault("max_pool_connections", workers)
        out["config_kwargs"] = config
    return out


_BOTOCORE_POOL = 10


def workers_for(fs: Any, configured: int | None) -> int:
    """`concurrency(configured)` on an asynchronous remote filesystem, else 1."""
    if is_local(fs) or not getattr(fs, "async_impl", False):
        return 1
    return concurrency(configured)


@contextmanager
def in_order(
    fn: Callable[[T], R], items: Sequence[T], *, workers: int
) -> Iterator[Iterator[R]]:
    """`fn(item)` for every item, results in order, up to `workers` calls at once.

    When `fn` raises or the caller leaves the block early, no call is left running on exit:
    pending ones are cancelled and running ones waited for, so that a download's temporary
    folder is removed only once nothing writes into it any more.
    """
    if workers <= 1 or len(items) <= 1:
        yield map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="modelreg-transfer")

    def results() -> Iterator[R]:
        window: deque[Future[R]] = deque()  # bounded: 100,000 files are not 100,000 futures
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()

    try:
        yield results()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# -- writing ------------------------------------------------------------------------------


def put_files(
    fs: Any, items: Sequence[tuple[FileEntry, Path]], base: str, *, workers: int, callback: Any
) -> None:
    """Copy local files to `base/<path>`, each re-hashed while read and compared to its entry
    (the digest named the folder before the first byte was sent)."""

    def put_small(item: tuple[FileEntry, Path]) -> int:
        entry, local = item
        blob = local.read_bytes()
        _same(entry, hash_bytes(blob))
        fs.pipe_file(f"{base}/{entry.path}", blob)
        return len(blob)

    small = [item for item in items if item[0].size <= SMALL]
    with in_order(put_small, small, workers=workers) as sent:
        for size in sent:
            callback.relative_update(size)
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
    fs: Any, sources: Sequence[tuple[FileEntry, str]], *, opener: Opener | None, callback: Any,
    workers: int = 1,
) -> Generator[Got, None, None]:
    """Read every source, hash it, and hand its bytes to `opener(entry)` when given (from a
    worker thread when `workers` > 1). Close the iterator when stopping early."""

    def read_small(source: tuple[FileEntry, str]) -> Got:
        return _read_small(fs, source, opener)

    small = [s for s in sources if s[0].size <= SMALL]
    with in_order(read_small, small, workers=workers) as gots:
        for got in gots:
            if got.found is not None:
                callback.relative_update(min(got.found.size, got.entry.size))
            yield got
    for entry, path in sources:
        if entry.size > SMALL:
            yield _read_stream(fs, entry, path, opener, callback)


def _read_small(fs: Any, source: tuple[FileEntry, str], opener: Opener | None) -> Got:
    # Read at most one byte more than recorded: a file grown by tampering is caught without
    # loading it whole. An empty file is opened instead (S3 refuses `bytes=0-0` on it).
    entry, path = source
    try:
        if entry.size:
            data = bytes(fs.cat_file(path, start=0, end=entry.size + 1))
        else:
            with fs.open(path, "rb") as f:
                data = bytes(f.read(1))
    except FileNotFoundError:
        return Got(entry, None)
    with opener(entry) if opener else nullcontext(None) as out:
        if out is not None:
            out.write(data)
    return Got(entry, hash_bytes(data), len(data) > entry.size)


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
