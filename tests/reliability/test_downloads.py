"""Downloads never write outside DEST, never hand out changed bytes, and reuse what they
verified once (issue #6, DESIGN §2).

Crafted file lists (`../x`, absolute paths, drive letters, backslashes, NUL), in a manifest or a
`.files.json`, are refused with one line and nothing written: the listing of DEST's parent is
the same before and after. Links planted in the download's temporary folder while it runs (the
progress callback plants them between two files) are refused instead of written through.
Bytes changed in the store fail a download, `Store.read_file` and MLflow's artifact repository,
and leave no DEST. The local verified artifact cache (`modelreg.store.cache`) serves a second
download of a digest with the store gone (local and S3), and a cached file changed on disk
(through a hard-linked DEST, or in the cache itself) is re-hashed, evicted, and fetched again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from helpers import git_out, init_registry, make_model
from modelreg import Registry, digest
from modelreg.errors import ArtifactError, IntegrityError, InvalidParameter, ModelregError
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store import open_store
from modelreg.store.cache import SEALED, cache_root
from modelreg.store.hashing import hash_bytes
from s3server import S3Server

FILES = {"a.bin": "weights\n", "b.bin": "bias\n", "sub/c.bin": "more weights\n"}


def listing(folder: Path) -> list[str]:
    """Every path under `folder` (links not followed), to compare before and after."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache on, in a folder of this test's (conftest turns it off for other tests)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("MODELREG_CACHE", str(root))
    return root / "artifacts"


@pytest.fixture
def reg(tmp_path: Path, repo: Path) -> Registry:
    registry = init_registry(repo)
    registry.register("fraud", make_model(tmp_path / "model", files=FILES))
    return registry


def stored(reg: Registry) -> Path:
    artifacts = reg.get_model_version("fraud", 1).artifacts
    assert artifacts is not None
    return Path(reg.store().path(artifacts.uri))


# -- crafted paths ----------------------------------------------------------------------------

CRAFTED = ["../escaped.bin", "/tmp/h6-absolute.bin", "C:\\escaped.bin", "C:/escaped.bin",
           "c:escaped.bin",  # drive-relative: the current folder of drive C on Windows
           "sub\\..\\..\\escaped.bin", "a\x00b", "sub/../../escaped.bin", "./a.bin", "a//b"]


def crafted(path: str, data: bytes = b"evil\n") -> Artifacts:
    """Artifacts whose file list holds `path`, with a digest that matches the list."""
    entry = FileEntry(path=path, size=len(data), sha256=hash_bytes(data).sha256)
    tree_digest = digest.tree_digest([entry])
    return Artifacts(mode=ArtifactMode.STORED, uri=f"sha256/{digest.bare(tree_digest)}",
                     digest=tree_digest, size=entry.size, file_count=1, files=(entry,))


@pytest.mark.parametrize("path", CRAFTED)
def test_a_crafted_path_in_a_manifest_writes_nothing_anywhere(
    tmp_path: Path, cached: Path, path: str
) -> None:
    store = open_store("store", base_dir=tmp_path)
    artifacts = crafted(path)
    # The bytes are where the crafted path leads inside the store, so a download that
    # trusted it would fetch them and write them where it leads from DEST.
    target = Path(store.path(artifacts.uri)) / "sub" / "x"
    target.parent.mkdir(parents=True)
    before = listing(tmp_path)
    with pytest.raises(ModelregError) as caught:
        store.download(artifacts, tmp_path / "out" / "dest")
    assert "\n" not in str(caught.value) and "path" in str(caught.value)
    assert listing(tmp_path) == before
    assert not Path("/tmp/h6-absolute.bin").exists()


@pytest.mark.parametrize("path", ["../escaped.bin", "/abs.bin", "C:\\x.bin", "a\\b.bin"])
def test_a_crafted_path_in_a_files_json_writes_nothing_anywhere(
    tmp_path: Path, cached: Path, path: str
) -> None:
    store = open_store("store", base_dir=tmp_path)
    listed = crafted(path)
    files_uri = f"{listed.uri}.files.json"
    body = {"digest": listed.digest,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in listed.files]}
    Path(store.path(files_uri)).parent.mkdir(parents=True)
    Path(store.path(files_uri)).write_text(json.dumps(body))
    artifacts = replace(listed, files=(), files_uri=files_uri)
    (tmp_path / "out").mkdir()
    before = listing(tmp_path)
    with pytest.raises(ModelregError) as caught:
        store.download(artifacts, tmp_path / "out" / "dest")
    assert "\n" not in str(caught.value) and "path" in str(caught.value)
    assert listing(tmp_path) == before


def test_a_hand_edited_version_with_a_crafted_path_is_refused(
    reg: Registry, tmp_path: Path, cached: Path
) -> None:
    folder = tmp_path / "repo" / "registry"
    version = folder / "models/fraud/versions/1.yaml"
    version.write_text(version.read_text().replace('path: "a.bin"', 'path: "../a.bin"'))
    git_out(folder, "commit", "-q", "-am", "Crafted")
    (tmp_path / "out").mkdir()
    before = listing(tmp_path)
    with pytest.raises(ModelregError) as caught:
        Registry(folder).download("models:/fraud/1", tmp_path / "out" / "dest")
    assert "\n" not in str(caught.value)
    assert listing(tmp_path) == before


def test_a_dest_that_is_or_holds_a_link_is_refused(tmp_path: Path, reg: Registry) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    holder = tmp_path / "holder"
    holder.mkdir()
    (holder / "escape").symlink_to(outside, target_is_directory=True)
    before = listing(tmp_path)
    for dest in (tmp_path / "link", holder):
        with pytest.raises(InvalidParameter, match="not an empty folder"):
            reg.download("models:/fraud/1", dest)
    assert listing(tmp_path) == before and listing(outside) == []


class Planting:
    """A progress callback that plants a link in the download's temporary folder after the
    first file is written: what another process racing the download could do."""

    def __init__(self, parent: Path, plant: Callable[[Path], None]) -> None:
        self.parent, self.plant, self.done = parent, plant, False

    def set_size(self, size: int) -> None:
        pass

    def relative_update(self, inc: int) -> None:
        if not self.done:
            (tmp,) = self.parent.glob(".dest.tmp-*")
            self.plant(tmp)
            self.done = True


@pytest.mark.parametrize("where", ["file", "folder"])
def test_links_planted_while_downloading_are_not_written_through(
    tmp_path: Path, reg: Registry, where: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    parent = tmp_path / "out"
    parent.mkdir()

    def plant(tmp: Path) -> None:
        if where == "file":  # the next file (files come in path order: a.bin, b.bin, ...)
            (tmp / "b.bin").symlink_to(outside / "b.bin")
        else:
            (tmp / "sub").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ArtifactError) as caught:
        reg.download("models:/fraud/1", parent / "dest", callback=Planting(parent, plant))
    assert "\n" not in str(caught.value)
    assert listing(outside) == [] and listing(parent) == []


# -- changed bytes are never handed out --------------------------------------------------------


@pytest.mark.parametrize("change", ["same-size", "longer", "shorter", "removed"])
def test_bytes_changed_in_the_store_fail_every_read_and_leave_no_dest(
    tmp_path: Path, reg: Registry, cached: Path, change: str
) -> None:
    weights = stored(reg) / "a.bin"
    weights.chmod(0o644)
    if change == "removed":
        weights.unlink()
    else:
        weights.write_bytes({"same-size": b"WEIGHTS\n", "longer": b"weights!\n",
                             "shorter": b"weight\n"}[change])
    error = ArtifactError if change == "removed" else IntegrityError
    parent = tmp_path / "out"
    parent.mkdir()
    with pytest.raises(error, match=r"a\.bin"):
        reg.download("models:/fraud/1", parent / "dest")
    assert listing(parent) == [] and listing(cached / "sha256") == []
    artifacts = reg.get_model_version("fraud", 1).artifacts
    assert artifacts is not None
    with pytest.raises(error, match=r"a\.bin"):
        reg.store().read_file(artifacts, "a.bin")
    assert reg.store().read_file(artifacts, "b.bin") == FILES["b.bin"].encode()


@pytest.mark.mlflow
def test_mlflow_artifact_repository_refuses_changed_bytes_and_leaves_nothing(
    tmp_path: Path, reg: Registry, cached: Path
) -> None:
    pytest.importorskip("mlflow")
    from mlflow.exceptions import MlflowException

    from modelreg.mlflow_plugin.artifacts import download_uri
    from modelreg.mlflow_plugin.artifacts.repository import ModelregArtifactRepository

    folder = tmp_path / "repo" / "registry"
    repo = ModelregArtifactRepository(download_uri(f"modelreg://{folder}", "fraud", 1))
    weights = stored(reg) / "a.bin"
    weights.chmod(0o644)
    weights.write_bytes(b"WEIGHTS\n")
    for path in ("", "a.bin"):
        dst = tmp_path / f"dst-{path or 'all'}"
        dst.mkdir()
        with pytest.raises(MlflowException, match="does not match its sha256"):
            repo.download_artifacts(path, str(dst))
        assert listing(dst) == []
    weights.write_bytes(FILES["a.bin"].encode())  # put right: MLflow gets it, from the cache next
    first = Path(repo.download_artifacts("", str(tmp_path / "dst-all")))
    assert tree(first) == FILES
    weights.unlink()
    again = tmp_path / "again"
    again.mkdir()
    assert tree(Path(repo.download_artifacts("", str(again)))) == FILES


# -- the local verified artifact cache ---------------------------------------------------------


def test_the_cache_lives_where_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELREG_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_root() == Path.home() / ".cache/modelreg/artifacts"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg/modelreg/artifacts"
    monkeypatch.setenv("MODELREG_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine/artifacts"  # beside the remote clones' folder
    monkeypatch.setenv("MODELREG_CACHE", "off")
    assert cache_root() is None


def test_a_second_download_needs_no_store_and_shares_the_verified_files(
    tmp_path: Path, reg: Registry, cached: Path
) -> None:
    first = reg.download("models:/fraud/1", tmp_path / "first")
    assert tree(first) == FILES
    store = stored(reg)
    for path in sorted(store.rglob("*"), reverse=True):  # the store's bytes are gone
        path.chmod(0o755) if path.is_dir() else path.unlink()
    second = reg.download("models:/fraud/1", tmp_path / "second")
    assert tree(second) == FILES
    for rel in FILES:
        a, b = (first / rel).stat(), (second / rel).stat()
        assert a.st_ino == b.st_ino and a.st_nlink >= 3  # first, second and the cache entry
        assert b.st_mode & 0o222 == 0 and b.st_mtime_ns == SEALED


def test_without_the_cache_a_second_download_reads_the_store(
    tmp_path: Path, reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("MODELREG_CACHE", "off")
    reg.download("models:/fraud/1", tmp_path / "first")
    (stored(reg) / "a.bin").unlink()
    with pytest.raises(ArtifactError, match=r"a\.bin"):
        reg.download("models:/fraud/1", tmp_path / "second")
    assert not (tmp_path / "xdg").exists()


@pytest.mark.parametrize("tamper", ["dest-edited", "dest-edited-same-size", "cache-file-removed",
                                    "cache-file-replaced", "record-garbled"])
def test_a_cached_file_changed_on_disk_is_never_handed_out(
    tmp_path: Path, reg: Registry, cached: Path, tamper: str
) -> None:
    first = reg.download("models:/fraud/1", tmp_path / "first")
    (entry,) = (cached / "sha256").iterdir()
    cached_file = entry / "files" / "a.bin"
    if tamper.startswith("dest-edited"):  # a hard link: editing DEST edits the cache
        (first / "a.bin").chmod(0o644)
        (first / "a.bin").write_bytes(b"WEIGHTS\n" if tamper.endswith("size") else b"tuned\n!")
        assert cached_file.read_bytes() != FILES["a.bin"].encode()
    elif tamper == "cache-file-removed":
        cached_file.unlink()
    elif tamper == "cache-file-replaced":  # same bytes' size, same time, another file
        cached_file.unlink()
        cached_file.write_bytes(b"WEIGHTS\n")
        os.utime(cached_file, ns=(SEALED, SEALED))
    else:
        (entry / "record.json").write_text("{not json")
    second = reg.download("models:/fraud/1", tmp_path / "second")
    assert tree(second) == FILES  # fetched from the store again, and verified
    (entry,) = (cached / "sha256").iterdir()  # a fresh entry replaced the bad one
    assert (entry / "files" / "a.bin").read_bytes() == FILES["a.bin"].encode()


def test_a_changed_cache_entry_and_a_changed_store_fail_closed(
    tmp_path: Path, reg: Registry, cached: Path
) -> None:
    first = reg.download("models:/fraud/1", tmp_path / "first")
    (first / "a.bin").chmod(0o644)
    (first / "a.bin").write_bytes(b"WEIGHTS\n")  # the cache entry, through the hard link
    (stored(reg) / "a.bin").unlink()
    with pytest.raises(ArtifactError, match=r"a\.bin"):
        reg.download("models:/fraud/1", tmp_path / "second")
    assert not (tmp_path / "second").exists() and listing(cached / "sha256") == []


def test_a_cache_on_another_device_copies_and_verifies(
    tmp_path: Path, reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem to put the cache on")
    root = shm / f"modelreg-cache-test-{os.getpid()}-{tmp_path.name}"
    monkeypatch.setenv("MODELREG_CACHE", str(root))
    try:
        reg.download("models:/fraud/1", tmp_path / "first")
        (stored(reg) / "a.bin").unlink()
        second = reg.download("models:/fraud/1", tmp_path / "second")
        assert tree(second) == FILES and (second / "a.bin").stat().st_nlink == 1  # a copy
        assert [p.name for p in (root / "artifacts/sha256").iterdir()] == [stored(reg).name]
    finally:
        import shutil

        shutil.rmtree(root, ignore_errors=True)


def test_an_unwritable_cache_never_fails_a_download(
    tmp_path: Path, reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    monkeypatch.setenv("MODELREG_CACHE", str(blocker / "cache"))
    assert tree(reg.download("models:/fraud/1", tmp_path / "dest")) == FILES


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.mark.s3
def test_a_second_download_from_s3_asks_nothing_of_the_bucket(
    tmp_path: Path, repo: Path, cached: Path, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelreg.store import records

    monkeypatch.setattr(records, "INLINE_MAX", 2)  # the file list goes to a `.files.json`
    bucket = s3.new_bucket()
    reg = Registry.init(repo / "registry", store=f"s3://{bucket}/models",
                        storage_options=s3.storage_options())
    reg.register("fraud", make_model(tmp_path / "model", files=FILES))
    artifacts = reg.get_model_version("fraud", 1).artifacts
    assert artifacts is not None and artifacts.files_uri
    assert tree(reg.download("models:/fraud/1", tmp_path / "first")) == FILES
    fs = s3.filesystem()
    fs.rm(f"{bucket}/models/sha256", recursive=True)  # the bucket no longer has the version
    assert fs.find(f"{bucket}/models/sha256") == []
    reg = Registry(repo / "registry", storage_options=s3.storage_options())
    assert tree(reg.download("models:/fraud/1", tmp_path / "second")) == FILES
