"""Transfers at scale (issue #5): parallel requests to a remote store, one pass on a local one.

The S3 tests talk to moto through `forwarder.Forwarder`, a loopback HTTP forwarder that sees
every request and measures how many were open at once: the concurrency asserted here is what
the store really had in flight, not a setting read back. How much faster that is than one
request at a time is measured by `bench/bench_artifacts.py` (timing has no place in a test on
a shared machine).
"""

from __future__ import annotations

import hashlib
import os
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fsspec.callbacks import Callback

from conftest import git
from forwarder import Forwarder
from helpers import make_model
from modelreg import Registry
from modelreg.errors import ArtifactError, IntegrityError, InvalidParameter, StoreError
from modelreg.store import Store, open_store
from modelreg.store.transfer import DEFAULT_CONCURRENCY, concurrency, sized_pool
from s3server import S3Server

FILE_PUT = r"^PUT /\S*/sha256/[0-9a-f]{64}/"
FILE_GET = r"^GET /\S*/sha256/[0-9a-f]{64}/"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def fwd(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Forwarder]:
    monkeypatch.delenv("MODELREG_TRANSFER_CONCURRENCY", raising=False)  # the default, 16
    forwarder = Forwarder(s3.endpoint)
    yield forwarder
    forwarder.stop()


class Remote:
    """A bucket on moto: the store reaches it through the forwarder, `raw` directly."""

    def __init__(self, s3: S3Server, fwd: Forwarder) -> None:
        self.bucket = s3.new_bucket()
        self.url = f"s3://{self.bucket}/store"
        self.options = {**s3.storage_options(), "client_kwargs": {"endpoint_url": fwd.endpoint}}
        self.raw = s3.filesystem()

    def open(self, **kwargs: Any) -> Store:
        return open_store(self.url, base_dir=Path.cwd(), storage_options=self.options, **kwargs)

    def objects(self) -> list[str]:
        self.raw.invalidate_cache()
        return sorted(self.raw.find(f"{self.bucket}/store"))


@pytest.fixture
def remote(s3: S3Server, fwd: Forwarder) -> Remote:
    return Remote(s3, fwd)


class Progress(Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []
        self.total = 0

    def set_size(self, size: int) -> None:
        self.sizes.append(size)

    def relative_update(self, inc: int = 1) -> None:
        self.total += inc


def many_files(folder: Path, count: int) -> dict[str, str]:
    files = {f"shard-{i % 7}/part-{i:04d}.txt": f"part {i}\n" * (1 + i % 5) for i in range(count)}
    make_model(folder, files=files)
    return files


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")
            if p.is_file()}


# -- parallel requests to S3 ------------------------------------------------------------------


@pytest.mark.s3
@pytest.mark.slow
def test_a_thousand_files_travel_with_many_requests_in_flight(
    remote: Remote, fwd: Forwarder, tmp_path: Path
) -> None:
    files = many_files(tmp_path / "model", 1000)
    store = remote.open()
    up, down = Progress(), Progress()
    # Held until 16 file requests are open at once: a store with fewer in flight (botocore's
    # pool of 10, a sequential loop) would wait out the timeout and fail the assertion below.
    fwd.hold(FILE_PUT, DEFAULT_CONCURRENCY)
    art = store.upload(tmp_path / "model", callback=up)
    assert fwd.max_open_matching(FILE_PUT) >= DEFAULT_CONCURRENCY >= 8
    assert len(fwd.lines(FILE_PUT)) == 1000  # each file sent once
    assert f"{remote.bucket}/store/{art.uri}.complete" in remote.objects()
    assert up.sizes == [art.size] and up.total == art.size

    fwd.reset()
    fwd.hold(FILE_GET, DEFAULT_CONCURRENCY)
    out = store.download(art, tmp_path / "out", callback=down)
    assert fwd.max_open_matching(FILE_GET) >= DEFAULT_CONCURRENCY
    assert len(fwd.lines(FILE_GET)) == 1000
    assert tree(out) == files  # every sha256 checked on the way
    assert down.sizes == [art.size] and down.total == art.size


@pytest.mark.s3
def test_concurrency_one_is_one_request_at_a_time(
    remote: Remote, fwd: Forwarder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = many_files(tmp_path / "model", 40)
    monkeypatch.setenv("MODELREG_TRANSFER_CONCURRENCY", "1")
    store = remote.open()
    art = store.upload(tmp_path / "model")
    assert tree(store.download(art, tmp_path / "out")) == files
    assert fwd.max_open_matching(FILE_PUT) == fwd.max_open_matching(FILE_GET) == 1
    assert len(fwd.lines(FILE_PUT)) == len(fwd.lines(FILE_GET)) == 40


@pytest.mark.s3
def test_an_upload_failing_midway_commits_nothing(
    remote: Remote, fwd: Forwarder, repo: Path, tmp_path: Path
) -> None:
    reg = Registry.init(repo / "registry", store=remote.url, storage_options=remote.options)
    head = git(repo, "rev-parse", "HEAD")
    files = many_files(tmp_path / "model", 40)
    fwd.refuse = re.compile(r"^PUT \S*/part-0023\.txt")  # one file, among those in flight
    with pytest.raises(StoreError) as caught:
        reg.register("fraud", tmp_path / "model")
    assert str(caught.value).startswith(f"cannot write to artifact store {remote.url}: ")
    assert "\n" not in str(caught.value) and fwd.refused >= 1
    assert git(repo, "rev-parse", "HEAD") == head  # no manifest names the missing file
    assert git(repo, "status", "--porcelain") == ""
    stored = remote.objects()
    assert not [k for k in stored if k.endswith(".complete")]
    assert not [k for k in stored if k.endswith("part-0023.txt")]

    fwd.refuse = None  # the next upload of the same content finishes what was begun
    mv = reg.register("fraud", tmp_path / "model")
    assert mv.version == 1 and mv.artifacts is not None
    assert tree(reg.download("models:/fraud/1", tmp_path / "out")) == files


@pytest.mark.s3
def test_a_download_failing_midway_leaves_nothing(
    remote: Remote, fwd: Forwarder, tmp_path: Path
) -> None:
    many_files(tmp_path / "model", 48)
    store = remote.open()
    art = store.upload(tmp_path / "model")
    base = f"{remote.bucket}/store/{art.uri}"
    (tmp_path / "dl").mkdir()

    fwd.refuse = re.compile(r"^GET \S*/part-0042\.txt")
    with pytest.raises(StoreError, match=r"^cannot read s3://"):
        store.download(art, tmp_path / "dl" / "refused")
    fwd.refuse = None
    old = remote.raw.cat_file(f"{base}/shard-0/part-0042.txt")
    remote.raw.pipe_file(f"{base}/shard-0/part-0042.txt", old.upper())  # same size
    with pytest.raises(IntegrityError, match=r"^file 'shard-0/part-0042.txt' of .* sha256"):
        store.download(art, tmp_path / "dl" / "changed")
    remote.raw.rm_file(f"{base}/shard-0/part-0042.txt")
    with pytest.raises(ArtifactError, match=r"'shard-0/part-0042.txt' of .* is missing$"):
        store.download(art, tmp_path / "dl" / "missing")
    assert list((tmp_path / "dl").iterdir()) == []  # no destination, no temporary folder
    problems = store.verify(art)
    assert problems == ["file 'shard-0/part-0042.txt' is missing"]


@pytest.mark.s3
def test_a_reference_to_many_files_is_hashed_with_many_requests_in_flight(
    remote: Remote, fwd: Forwarder, tmp_path: Path
) -> None:
    files = {f"run/part-{i:03d}": f"{i}\n" for i in range(48)}
    remote.raw.pipe({f"{remote.bucket}/runs/{p}": t.encode() for p, t in files.items()})
    fwd.hold(r"^GET /\S*/runs/run/part-", DEFAULT_CONCURRENCY)
    art = remote.open().reference(f"s3://{remote.bucket}/runs/run")
    assert fwd.max_open_matching(r"^GET /\S*/runs/run/part-") >= DEFAULT_CONCURRENCY
    assert len(fwd.lines(r"^(GET|HEAD) /\S*/runs/run/part-")) == 48  # one request a file
    expected = {p.removeprefix("run/"): hashlib.sha256(t.encode()).hexdigest()
                for p, t in files.items()}
    assert {f.path: f.sha256 for f in art.files} == expected


class Cancel(BaseException):
    """What Ctrl-C raises, in effect: not an error of the store's."""


class CancelAfter(Callback):  # type: ignore[misc]
    """A progress bar whose user presses Ctrl-C once `limit` bytes have moved."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit, self.moved = limit, 0

    def relative_update(self, inc: int = 1) -> None:
        self.moved += inc
        if self.moved >= self.limit:
            raise Cancel


@pytest.mark.parametrize("kind", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_an_upload_stopped_midway_leaves_no_content_behind(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    files = many_files(tmp_path / "model", 40)
    half = sum(len(t) for t in files.values()) // 2
    if kind == "local":
        store = open_store("store", base_dir=tmp_path)
        with pytest.raises(Cancel):
            store.upload(tmp_path / "model", callback=CancelAfter(half))
        left = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
        assert left == []  # neither files in sha256/ nor a staging folder
    else:
        remote: Remote = request.getfixturevalue("remote")
        store = remote.open()
        with pytest.raises(Cancel):
            store.upload(tmp_path / "model", callback=CancelAfter(half))
        assert not [k for k in remote.objects() if k.endswith(".complete")]
    art = store.upload(tmp_path / "model")  # and the next upload completes it
    assert tree(store.download(art, tmp_path / "out")) == files


# -- the setting ------------------------------------------------------------------------------


def test_the_concurrency_comes_from_the_store_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MODELREG_TRANSFER_CONCURRENCY", raising=False)
    assert concurrency(None) == DEFAULT_CONCURRENCY == 16
    monkeypatch.setenv("MODELREG_TRANSFER_CONCURRENCY", "4")
    assert (concurrency(None), concurrency(32)) == (4, 32)
    for bad in ("0", "-3", "many", "1000"):
        monkeypatch.setenv("MODELREG_TRANSFER_CONCURRENCY", bad)
        with pytest.raises(InvalidParameter, match=r"^\$MODELREG_TRANSFER_CONCURRENCY must be "):
            concurrency(None)
    with pytest.raises(InvalidParameter, match=r"^the store's concurrency must be"):
        concurrency(0)


def test_the_s3_connection_pool_is_as_large_as_the_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MODELREG_TRANSFER_CONCURRENCY", raising=False)
    assert sized_pool("s3", {"key": "k"}, None) == {
        "key": "k", "config_kwargs": {"max_pool_connections": 16}}
    mine = {"config_kwargs": {"max_pool_connections": 4, "connect_timeout": 1}}
    assert sized_pool("s3", mine, 32) == mine  # the user's own setting wins
    assert sized_pool("s3", None, 8) == {}  # botocore's pool of 10 is enough
    monkeypatch.setenv("MODELREG_TRANSFER_CONCURRENCY", "nonsense")
    assert sized_pool("gs", {"token": "anon"}, None) == {"token": "anon"}  # not read: not S3


# -- one pass, bounded memory, on a local store ----------------------------------------------


def big_file(folder: Path, size: int) -> Path:
    folder.mkdir(parents=True)
    path = folder / "weights.bin"
    with open(path, "wb") as out:
        for _ in range(size >> 20):
            out.write(os.urandom(1 << 20))
    return path


def io_counters() -> tuple[int, int]:
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["rchar"]), int(fields["wchar"])


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="Linux's per-process I/O counts")
def test_a_local_upload_reads_and_writes_each_byte_once(tmp_path: Path) -> None:
    size = 32 << 20
    path = big_file(tmp_path / "model", size)
    store = open_store("store", base_dir=tmp_path)
    read, written = io_counters()
    art = store.upload(path.parent)
    read, written = io_counters()[0] - read, io_counters()[1] - written
    assert art.size == size
    assert size <= read < 1.25 * size  # hashing, then copying, would read it twice
    assert size <= written < 1.25 * size
    stored = tmp_path / "store" / art.uri / "weights.bin"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == art.files[0].sha256
    assert [p.name for p in (tmp_path / "store" / ".modelreg" / "tmp").iterdir()] == []


def test_large_files_stream_through_bounded_memory(tmp_path: Path) -> None:
    size = 48 << 20
    path = big_file(tmp_path / "model", size)
    store = open_store("store", base_dir=tmp_path)
    tracemalloc.start()
    try:
        art = store.upload(path.parent)
        _, peak_up = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        store.download(art, tmp_path / "out")
        _, peak_down = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_up < 4 << 20 and peak_down < 20 << 20, (peak_up, peak_down)
    assert (tmp_path / "out" / "weights.bin").stat().st_size == size


def test_the_same_content_again_keeps_the_store_as_it_was(tmp_path: Path) -> None:
    many_files(tmp_path / "model", 30)
    store = open_store("store", base_dir=tmp_path)
    first = store.upload(tmp_path / "model")
    before = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "store").rglob("*"))
    progress = Progress()
    assert store.upload(tmp_path / "model", callback=progress) == first
    after = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "store").rglob("*"))
    assert after == before  # the staged copies are gone
    assert progress.sizes == [first.size] and progress.total == first.size
