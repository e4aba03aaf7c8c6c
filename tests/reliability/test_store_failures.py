"""The artifact store failing in the middle of an upload (issue #6, DESIGN §2).

Order of work: upload, verify, then write the manifest and commit. So a store that fails part
way, an S3 endpoint that goes away between two files or a local folder that cannot take a
file, gives a one-line error and leaves the registry as it was: no commit, no manifest, no
marker for the half-written content, and every version it already had still whole.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fsspec.callbacks import Callback

from conftest import git
from helpers import make_model, repo_state
from modelreg import Registry, digest
from modelreg.errors import StoreError
from modelreg.model import FileEntry
from s3server import S3Server

MODELREG = str(Path(sys.executable).with_name("modelreg"))
FILES = 40  # small files: sent several at a time, so the endpoint goes away among them


class Stopping:
    """A moto S3 server that a test stops (once) in the middle of an upload."""

    def __init__(self) -> None:
        self.server = S3Server()
        self.stopped = False

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.server.stop()


@pytest.fixture
def s3() -> Iterator[Stopping]:
    stopping = Stopping()  # its own server: this one is stopped
    yield stopping
    stopping.stop()


class StopAfter(Callback):  # type: ignore[misc]
    """fsspec's progress callback, stopping the server once `files` files have been sent."""

    def __init__(self, s3: Stopping, files: int) -> None:
        super().__init__()
        self.s3, self.left = s3, files

    def relative_update(self, inc: int = 1) -> None:
        super().relative_update(inc)
        self.left -= 1
        if self.left == 0:
            self.s3.stop()


def many_files(folder: Path, tag: str) -> Path:
    return make_model(folder, files={f"part-{i:03}.bin": f"{tag} {i}\n" for i in range(FILES)})


def assert_unchanged(registry: Registry, before: dict[str, object], versions: int) -> None:
    repo = registry.location.path.parent
    assert repo_state(repo) == before  # no commit, no object, no file
    assert [v.version for v in registry.snapshot().versions("fraud")] == list(
        range(1, versions + 1))


@pytest.mark.s3
def test_an_s3_store_that_stops_mid_upload_fails_cleanly(
    s3: Stopping, repo: Path, tmp_path: Path
) -> None:
    bucket = s3.server.new_bucket()
    url = f"s3://{bucket}/store"
    options: dict[str, Any] = {
        **s3.server.storage_options(),
        "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 2,
                          "read_timeout": 5},
    }
    registry = Registry.init(repo / "registry", store=url, storage_options=options)
    registry.register("fraud", many_files(tmp_path / "v1", "v1"))
    before = repo_state(repo)
    stopper = StopAfter(s3, 3)
    with pytest.raises(StoreError) as caught:
        registry.register("fraud", many_files(tmp_path / "v2", "v2"), callback=stopper)
    message = str(caught.value)
    assert s3.stopped and "\n" not in message, message
    assert message.startswith(f"cannot write to artifact store {url}: "), message
    assert_unchanged(registry, before, versions=1)

    again = S3Server()  # moto keeps its buckets in the process: the same store, seen again
    try:
        options["client_kwargs"] = {"endpoint_url": again.endpoint}
        seen = Registry(repo / "registry", storage_options=options)
        store = seen.store()
        for v in seen.snapshot().versions("fraud"):
            assert v.artifacts is not None and store.verify(v.artifacts) == []
        half = digest_of(tmp_path / "v2")
        fs = again.filesystem()
        assert not fs.exists(f"{bucket}/store/sha256/{half}.complete")  # never trusted
        assert fs.find(f"{bucket}/store/sha256/{half}")  # what was sent is left for gc
    finally:
        again.stop()


def digest_of(folder: Path) -> str:
    """The content digest `folder` is stored under (DESIGN §2: one function computes it)."""
    entries = [FileEntry(path=p.relative_to(folder).as_posix(), size=p.stat().st_size,
                         sha256=hashlib.sha256(p.read_bytes()).hexdigest())
               for p in sorted(folder.rglob("*")) if p.is_file()]
    return digest.bare(digest.tree_digest(entries))


def test_a_local_store_that_cannot_take_a_file_fails_cleanly(repo: Path, tmp_path: Path) -> None:
    """Permissions do not bite as root (the tests' user here), so the store fails the way
    a read-only or full folder would, part way through: a file stands where the upload needs
    a folder, after its first file is in place."""
    registry = Registry.init(repo / "registry")
    registry.register("fraud", make_model(tmp_path / "v1"))
    model = make_model(tmp_path / "v2", files={"a.bin": "first\n", "z/b.bin": "second\n"})
    base = registry.location.path / "artifacts/sha256" / digest_of(model)
    base.mkdir(parents=True)
    (base / "z").write_text("a file where the folder z/ must be\n")
    before = repo_state(repo)
    done = subprocess.run([MODELREG, "register", "fraud", str(model)], cwd=repo / "registry",
                          capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("modelreg: error: cannot write to artifact "
                                                   "store "), done.stderr
    assert (base / "a.bin").exists()  # it did fail part way
    assert_unchanged(registry, before, versions=1)
    assert not base.with_name(f"{base.name}.complete").exists()
    store = registry.store()
    mv = registry.get_model_version("fraud", 1)
    assert mv.artifacts is not None and store.verify(mv.artifacts) == []
    assert git(repo, "status", "--porcelain") == ""
