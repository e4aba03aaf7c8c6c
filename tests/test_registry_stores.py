"""The registry end to end on every kind of store: local, `memory://` and S3 (moto on loopback).

What a user of a shared store sees: the registry's manifests in Git, the bytes in the store,
copies and re-registrations that move no bytes, locations that name the store, downloads that
verify every sha256 and catch a changed byte, and references to files already in the store's
bucket recorded with their digests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import git
from helpers import make_model
from modelreg import Registry
from modelreg.errors import IntegrityError
from modelreg.model import ArtifactMode
from s3server import S3Server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


class Place:
    """A store URL, the options to reach it, and a filesystem to look inside it."""

    def __init__(self, url: str, options: dict[str, Any] | None, fs: Any, root: str) -> None:
        self.url, self.options, self.fs, self.root = url, options, fs, root

    def objects(self) -> list[str]:
        self.fs.invalidate_cache()
        found = self.fs.find(self.root) if self.fs.exists(self.root) else []
        return sorted(str(p) for p in found)


@pytest.fixture(params=["local", "memory", pytest.param("s3", marks=pytest.mark.s3)])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    import fsspec

    if request.param == "local":
        root = tmp_path / "shared-store"
        yield Place(str(root), None, fsspec.filesystem("file"), str(root))
    elif request.param == "memory":
        fs = fsspec.filesystem("memory")
        fs.store.clear()
        fs.pseudo_dirs.clear()
        yield Place("memory://stores/team", None, fs, "/stores/team")
        fs.store.clear()
        fs.pseudo_dirs.clear()
    else:
        server: S3Server = request.getfixturevalue("s3")
        bucket = server.new_bucket()
        yield Place(f"s3://{bucket}/models", server.storage_options(), server.filesystem(),
                    f"{bucket}/models")


def test_register_copy_resolve_download_on_the_store(place: Place, repo: Path,
                                                      tmp_path: Path) -> None:
    reg = Registry.init(repo / "registry", store=place.url, storage_options=place.options)
    assert git(repo, "status", "--porcelain") == ""
    folder = make_model(tmp_path / "m", files={"model.bin": "w1", "a/b.txt": "b"})
    mv = reg.register("fraud", folder)
    assert mv.artifacts is not None and mv.artifacts.mode is ArtifactMode.STORED
    stored = place.objects()
    assert any(p.endswith(f"{mv.artifacts.uri}/a/b.txt") for p in stored)

    again = reg.register("fraud", tmp_path / "m")
    copied = reg.copy_model_version("models:/fraud/1", "fraud-eu")
    assert place.objects() == stored  # neither moved a byte
    assert again.artifacts == copied.artifacts == mv.artifacts

    location = reg.get_model_version_download_uri("fraud-eu", 1)
    assert location.endswith(mv.artifacts.uri)
    assert location.startswith(place.url if "://" in place.url else "file://")
    out = reg.download("models:/fraud-eu/1", tmp_path / "out")
    assert (out / "a" / "b.txt").read_text() == "b"

    target = next(p for p in stored if p.endswith(f"{mv.artifacts.uri}/model.bin"))
    if place.fs.protocol in ("file", ("file", "local")) or "file" in place.fs.protocol:
        Path(target).chmod(0o644)
    place.fs.pipe_file(target, b"w2")  # the same size, one byte changed
    with pytest.raises(IntegrityError, match=r"model\.bin"):
        reg.download("models:/fraud/2", tmp_path / "tampered")
    assert not (tmp_path / "tampered").exists()


def test_a_reference_in_the_store_records_digests(place: Place, repo: Path,
                                                   tmp_path: Path) -> None:
    reg = Registry.init(repo / "registry", store=place.url, storage_options=place.options)
    run = f"{place.root}/runs/abc/model"
    place.fs.makedirs(run, exist_ok=True)
    place.fs.pipe_file(f"{run}/MLmodel", b"flavors:\n  python_function: {}\n")
    place.fs.pipe_file(f"{run}/model.pkl", b"pickle")
    uri = f"{place.url}/runs/abc/model"
    mv = reg.register("ref", uri, reference=True)
    assert mv.artifacts is not None and mv.artifacts.mode is ArtifactMode.REFERENCE
    assert {f.path for f in mv.artifacts.files} == {"MLmodel", "model.pkl"}
    assert mv.model_type == "mlflow" and mv.flavors == ("python_function",)
    recorded = uri if "://" in uri else Path(uri).as_uri()  # a local path is kept as a URL
    assert reg.get_model_version_download_uri("ref", 1) == recorded
    assert (reg.download("models:/ref/1", tmp_path / "o") / "model.pkl").read_bytes() == b"pickle"
    place.fs.pipe_file(f"{run}/model.pkl", b"PICKLE")
    with pytest.raises(IntegrityError, match=r"model\.pkl"):
        reg.download("models:/ref/1", tmp_path / "o2")
