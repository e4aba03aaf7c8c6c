"""The artifact store on real fsspec filesystems: a local folder, `memory://`, and S3 (moto's
server through s3fs). What a user sees: the files land content-addressed, a second upload moves
nothing, a download is verified and appears whole or not at all, errors are one line."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fsspec.callbacks import Callback
from fsspec.implementations.memory import MemoryFileSystem

from helpers import make_model
from modelreg import digest
from modelreg.errors import ArtifactError, IntegrityError, InvalidParameter, StoreError
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store import Store, open_store
from s3server import S3Server

FILES = {"model.bin": "weights v1\n", "conf/params.json": "{}\n", "MLmodel": "flavors: {}\n"}


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean_memory_store() -> Iterator[None]:
    yield
    MemoryFileSystem.store.clear()
    MemoryFileSystem.pseudo_dirs.clear()
    MemoryFileSystem.pseudo_dirs.append("")


@dataclass
class Env:
    """One store under test, and a second client of the same filesystem to look behind it."""

    kind: str
    url: str
    base: Path
    root: str
    raw: Any  # a fresh fsspec filesystem of the same store
    options: dict[str, Any] | None = None

    opened: Store | None = None

    def open(self, *, fresh: bool = False) -> Store:
        """The store (one client per test: a new S3 client costs ~0.2 s); `fresh` for another."""
        if fresh or self.opened is None:
            store = open_store(self.url, base_dir=self.base, storage_options=self.options)
            if fresh:
                return store
            self.opened = store
        return self.opened

    def path(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def write(self, rel: str, data: bytes) -> None:
        if self.kind == "local":
            Path(self.path(rel)).parent.mkdir(parents=True, exist_ok=True)
            if Path(self.path(rel)).exists():
                Path(self.path(rel)).chmod(0o644)  # stored files are read-only
        self.raw.pipe_file(self.path(rel), data)

    def remove(self, rel: str) -> None:
        self.raw.rm_file(self.path(rel))

    def listing(self) -> dict[str, int]:
        """Every file in the store: path relative to the store -> size."""
        self.raw.invalidate_cache()
        if not self.raw.exists(self.root):
            return {}
        found = self.raw.find(self.root, detail=True)
        return {name[len(self.root) + 1:]: int(info["size"]) for name, info in found.items()}


def make_env(kind: str, tmp_path: Path, s3: S3Server | None) -> Env:
    import fsspec

    if kind == "local":
        return Env(kind, "store", tmp_path, (tmp_path / "store").as_posix(),
                   fsspec.filesystem("file"))
    if kind == "memory":
        name = uuid.uuid4().hex[:8]
        return Env(kind, f"memory://{name}/artifacts", tmp_path, f"/{name}/artifacts",
                   fsspec.filesystem("memory"))
    assert s3 is not None
    bucket = s3.new_bucket()
    return Env(kind, f"s3://{bucket}/prefix", tmp_path, f"{bucket}/prefix", s3.filesystem(),
               s3.storage_options())


KINDS = ["local", "memory", pytest.param("s3", marks=pytest.mark.s3)]


@pytest.fixture(params=KINDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Env:
    s3 = request.getfixturevalue("s3") if request.param == "s3" else None
    return make_env(request.param, tmp_path, s3)


@pytest.fixture(params=["local", "memory"])
def fast_env(request: pytest.FixtureRequest, tmp_path: Path) -> Env:
    """For tests of a thousand files: moto answers one request at a time (~5 ms each)."""
    return make_env(request.param, tmp_path, None)


class Recorder(Callback):  # type: ignore[misc]
    """An fsspec callback that remembers what the store told it."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []
        self.updates: list[int] = []

    def set_size(self, size: int) -> None:
        self.sizes.append(size)
        super().set_size(size)

    def relative_update(self, inc: int = 1) -> None:
        self.updates.append(inc)
        super().relative_update(inc)


def expected(files: dict[str, str]) -> Artifacts:
    entries = tuple(sorted(
        (FileEntry(path=p, size=len(t.encode()), sha256=hashlib.sha256(t.encode()).hexdigest())
         for p, t in files.items()),
        key=lambda f: f.path.encode(),
    ))
    tree = digest.tree_digest(entries)
    return Artifacts(mode=ArtifactMode.STORED, uri=f"sha256/{digest.bare(tree)}", digest=tree,
                     size=sum(f.size for f in entries), file_count=len(entries), files=entries)


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")
            if p.is_file()}


# -- upload --------------------------------------------------------------------------------


def test_upload_a_folder(env: Env, tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", files=FILES)
    (model / "empty-folder").mkdir()  # ignored
    art = env.open().upload(model)
    assert art == expected(FILES)
    hexdigest = digest.bare(art.digest)
    assert env.listing() == {
        **{f"sha256/{hexdigest}/{p}": len(t) for p, t in FILES.items()},
        f"sha256/{hexdigest}.complete": env.listing()[f"sha256/{hexdigest}.complete"],
        f".modelreg/touched/{hexdigest}": len(json.dumps({"digest": art.digest})) + 1,  # gc
    }
    marker = json.loads(env.raw.cat_file(env.path(f"sha256/{hexdigest}.complete")))
    assert marker == {"digest": art.digest, "size": art.size, "file_count": 3}


def test_a_single_file_is_a_folder_of_one_file(env: Env, tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", files=FILES)
    art = env.open().upload(model / "model.bin")
    assert art == expected({"model.bin": FILES["model.bin"]})
    assert f"{art.uri}/model.bin" in env.listing()


def test_uploading_the_same_content_again_moves_no_bytes(env: Env, tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", files=FILES)
    first = env.open().upload(model)
    env.remove(f"{first.uri}/model.bin")  # were any byte copied, this file would come back
    before = env.listing()
    progress = Recorder()
    again = env.open(fresh=True).upload(make_model(tmp_path / "copy", files=FILES),
                                        callback=progress)
    assert again == first
    assert env.listing() == before
    assert progress.sizes == [first.size] and sum(progress.updates) == first.size


def test_an_unfinished_upload_is_finished_not_trusted(env: Env, tmp_path: Path) -> None:
    art = expected(FILES)
    env.write(f"{art.uri}/model.bin", b"weig")  # a crash in the middle of a copy: no marker
    model = make_model(tmp_path / "model", files=FILES)
    assert env.open(fresh=True).upload(model) == art
    assert env.raw.cat_file(env.path(f"{art.uri}/model.bin")) == b"weights v1\n"
    assert f"{art.uri}.complete" in env.listing()
    out = env.open().download(art, tmp_path / "out")
    assert tree(out) == FILES


def test_past_a_thousand_files_the_list_is_kept_in_the_store(fast_env: Env, tmp_path: Path) -> None:
    files = {f"part-{i:04d}.txt": str(i) for i in range(1001)}
    model = make_model(tmp_path / "model", files=files)
    store = fast_env.open()
    art = store.upload(model)
    full = expected(files)
    assert (art.files, art.files_uri) == ((), f"{full.uri}.files.json")
    assert (art.digest, art.file_count, art.size) == (full.digest, 1001, full.size)
    assert f"{full.uri}.files.json" in fast_env.listing()
    assert store.files(art) == full.files
    assert store.upload(model) == art  # the second time, from the marker
    assert tree(store.download(art, tmp_path / "out")) == files

    listed = json.loads(fast_env.raw.cat_file(fast_env.path(art.files_uri)))
    listed["files"][7]["sha256"] = "0" * 64
    fast_env.write(art.files_uri, json.dumps(listed).encode())
    with pytest.raises(IntegrityError, match="does not match its digest"):
        store.files(art)


def test_symbolic_links_are_refused(env: Env, tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", files=FILES)
    (model / "conf" / "link").symlink_to(model / "model.bin")
    with pytest.raises(ArtifactError, match=r"cannot register .*: 'conf/link' is a symbolic link"):
        env.open().upload(model)
    (model / "conf" / "link").unlink()
    (model / "linked-dir").symlink_to(model / "conf")
    with pytest.raises(ArtifactError, match="'linked-dir' is a symbolic link"):
        env.open().upload(model)
    assert not [p for p in env.listing() if p.startswith("sha256/")]


def test_missing_and_unnamed_paths_are_refused(tmp_path: Path) -> None:
    store = open_store("store", base_dir=tmp_path)
    missing = r"^cannot register '/no/such': no such file or folder$"
    with pytest.raises(ArtifactError, match=missing):
        store.upload(Path("/no/such"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match="holds no files"):
        store.upload(tmp_path / "empty")
    bad = make_model(tmp_path / "bad", files={"a\x01b": "x"})
    with pytest.raises(ArtifactError, match="not a plain relative path"):
        store.upload(bad)


def test_paths_are_recorded_in_nfc(env: Env, tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", files={"cafe\u0301.txt": "coffee"})
    art = env.open().upload(model)
    assert [f.path for f in art.files] == ["caf\u00e9.txt"]
    assert tree(env.open().download(art, tmp_path / "out")) == {"caf\u00e9.txt": "coffee"}


# -- download ------------------------------------------------------------------------------


def test_download_verifies_every_file_and_is_atomic(env: Env, tmp_path: Path) -> None:
    model = make_model(tmp_path / "model", files=FILES)
    art = env.open().upload(model)
    assert tree(env.open().download(art, tmp_path / "out")) == FILES
    (tmp_path / "empty").mkdir()
    assert tree(env.open().download(art, tmp_path / "empty")) == FILES

    env.write(f"{art.uri}/model.bin", b"weights v2\n")  # same size, one byte changed
    with pytest.raises(IntegrityError) as caught:
        env.open().download(art, tmp_path / "dl" / "out2")
    message = str(caught.value)
    assert message.startswith("file 'model.bin' of ") and "does not match its sha256" in message
    assert FILES["model.bin"] not in message and "\n" not in message
    assert hashlib.sha256(b"weights v2\n").hexdigest() in message
    assert list((tmp_path / "dl").iterdir()) == []  # neither out2 nor a temporary folder

    env.write(f"{art.uri}/model.bin", b"weights v1\n" + b"x" * 100)  # grown
    with pytest.raises(IntegrityError, match=r"'model.bin'.*longer than its 11 bytes"):
        env.open().download(art, tmp_path / "dl" / "out3")
    env.remove(f"{art.uri}/model.bin")
    with pytest.raises(ArtifactError, match=r"^file 'model.bin' of .* is missing$"):
        env.open().download(art, tmp_path / "dl" / "out4")
    assert list((tmp_path / "dl").iterdir()) == []


def test_download_refuses_a_destination_that_is_not_empty(tmp_path: Path) -> None:
    store = open_store("store", base_dir=tmp_path)
    art = store.upload(make_model(tmp_path / "model", files=FILES))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidParameter, match="exists and is not an empty folder"):
        store.download(art, tmp_path / "busy")
    with pytest.raises(InvalidParameter, match="exists and is not an empty folder"):
        store.download(art, tmp_path / "busy" / "keep.txt")
    assert tree(tmp_path / "busy") == {"keep.txt": "mine"}


def test_read_file_is_verified(env: Env, tmp_path: Path) -> None:
    art = env.open().upload(make_model(tmp_path / "model", files=FILES))
    assert env.open().read_file(art, "MLmodel") == b"flavors: {}\n"
    assert env.open().read_file(art, "no-such-file") is None
    env.write(f"{art.uri}/MLmodel", b"flavors: {x}\n")
    with pytest.raises(IntegrityError, match="'MLmodel'"):
        env.open().read_file(art, "MLmodel")


def test_verify_names_what_is_missing_or_changed(env: Env, tmp_path: Path) -> None:
    art = env.open().upload(make_model(tmp_path / "model", files=FILES))
    assert env.open().verify(art) == []
    env.write(f"{art.uri}/model.bin", b"weights v2\n")
    env.remove(f"{art.uri}/MLmodel")
    env.remove(f"{art.uri}.complete")
    problems = env.open().verify(art)
    assert len(problems) == 3
    assert any("'model.bin' does not match its sha256" in p for p in problems)
    assert any("'MLmodel' is missing" in p for p in problems)
    assert any(".complete is missing" in p for p in problems)


def test_a_hand_edited_file_list_is_caught(tmp_path: Path) -> None:
    from dataclasses import replace

    store = open_store("store", base_dir=tmp_path)
    art = store.upload(make_model(tmp_path / "model", files=FILES))
    edited = replace(art, files=(*art.files[:-1], replace(art.files[-1], size=99)))
    with pytest.raises(IntegrityError, match="does not match its digest"):
        store.download(edited, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- references ----------------------------------------------------------------------------


def reference_source(env: Env, tmp_path: Path, files: dict[str, str]) -> str:
    """A folder of files outside the store, on the store's own kind of filesystem."""
    if env.kind == "local":
        return str(make_model(tmp_path / "run" / "model", files=files))
    base = env.root.rsplit("/", 1)[0] + "/runs/abc/model"
    env.raw.pipe({f"{base}/{p}": t.encode() for p, t in files.items()})
    return env.raw.unstrip_protocol(base) if env.kind == "s3" else f"memory://{base}"


def test_a_reference_records_digests_and_catches_tampering(env: Env, tmp_path: Path) -> None:
    uri = reference_source(env, tmp_path, FILES)
    progress = Recorder()
    art = env.open().reference(uri, callback=progress)
    assert art.mode is ArtifactMode.REFERENCE
    assert (art.digest, art.files) == (expected(FILES).digest, expected(FILES).files)
    assert art.uri == (Path(uri).as_uri() if env.kind == "local" else uri)
    assert env.open().location(art) == art.uri
    assert progress.sizes == [art.size] and sum(progress.updates) == art.size
    assert not [p for p in env.listing() if p.startswith("sha256/")]  # nothing copied

    assert tree(env.open().download(art, tmp_path / "out")) == FILES
    target = f"{uri}/model.bin"
    if env.kind == "local":
        Path(target).write_text("weights v2\n")
    else:
        env.raw.pipe_file(target, b"weights v2\n")
    with pytest.raises(IntegrityError, match=r"'model.bin'"):
        env.open().download(art, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()
    assert len(env.open().verify(art)) == 1


def test_a_reference_to_a_single_file(env: Env, tmp_path: Path) -> None:
    uri = reference_source(env, tmp_path, {"model.pkl": "pickle"}) + "/model.pkl"
    art = env.open().reference(uri)
    assert [f.path for f in art.files] == ["model.pkl"]
    assert art.digest == expected({"model.pkl": "pickle"}).digest
    assert tree(env.open().download(art, tmp_path / "out")) == {"model.pkl": "pickle"}


def unreadable(env: Env) -> list[str]:
    uris = ["runs:/0a1b2c/model", "models:/other/3", "/no/such/folder", "nosuchproto://x/y"]
    if env.kind == "s3":
        uris.append(f"s3://{env.root.split('/')[0]}/no/such/prefix")
    if env.kind == "memory":
        uris.append("memory://no/such/thing")
    return uris


def test_an_unreadable_reference_is_unverified(env: Env, tmp_path: Path) -> None:
    for uri in unreadable(env):
        art = env.open().reference(uri)
        assert art == Artifacts(mode=ArtifactMode.UNVERIFIED, uri=uri), uri
        assert env.open().files(art) == ()
        assert env.open().location(art) == uri
        with pytest.raises(ArtifactError, match=r"unverified .* cannot be downloaded"):
            env.open().download(art, tmp_path / "out")
        assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_a_reference_without_permission_is_unverified(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "secret", files=FILES)
    folder.chmod(0)
    try:
        art = open_store("store", base_dir=tmp_path).reference(str(folder))
    finally:
        folder.chmod(0o755)
    assert art.mode is ArtifactMode.UNVERIFIED


def test_references_past_a_thousand_files(fast_env: Env, tmp_path: Path) -> None:
    files = {f"f{i}": "x" for i in range(1001)}
    uri = reference_source(fast_env, tmp_path, files)
    art = fast_env.open().reference(uri)
    assert art.mode is ArtifactMode.REFERENCE and art.files == ()
    assert art.files_uri == f"{expected(files).uri}.files.json"
    assert fast_env.open().files(art) == expected(files).files


# -- credentials ---------------------------------------------------------------------------

REFUSED = [
    "s3://AKIAEXAMPLEKEY:secret@bucket/model",
    "https://user:pw@host.example/model",
    "https://token@github.com/org/repo",
    "https://x.example/run?X-Amz-Signature=abc&X-Amz-Credential=def",
    "https://bucket.s3.amazonaws.com/m?X-Amz-Security-Token=abc",
    "https://storage.googleapis.com/b/m?X-Goog-Signature=abc",
    "https://acct.blob.core.windows.net/c/m?sv=2022-11-02&sig=abc",
    "https://host.example/m?token=abc",
    "https://host.example/m?access_token=abc",
    "https://host.example/m#access_token=abc",
    "https://host.example/m?api_key=abc",
    "s3://bucket/AKIAIOSFODNN7EXAMPLE/model",
    "https://host.example/ghp_abcdefghijklmnopqrstuvwxyz0123456789/x",
    "simplecache::s3://KEY:secret@bucket/model",
]
ACCEPTED = [
    "s3://bucket/path",
    "s3://bucket/path/to/model",
    "https://host/a?version=1",
    "https://host.example/models/m?revision=main&format=onnx",
    "runs:/0a1b2c3d/model",
    "models:/fraud/3",
    "/srv/models/model@v2",
    "file:///srv/models/m",
    "ssh://git@github.com/org/repo.git",
    "gs://bucket/tokens/model",
    "dbfs:/databricks/mlflow/123/artifacts",
]


@pytest.mark.parametrize("uri", REFUSED)
def test_uris_with_credentials_are_refused(uri: str) -> None:
    from modelreg.store.credentials import check_no_credentials

    with pytest.raises(InvalidParameter, match="credential") as caught:
        check_no_credentials(uri)
    for secret in ("secret@", ":pw@", "=abc", "AKIAIOSFODNN7EXAMPLE", "ghp_"):
        assert secret not in str(caught.value)


@pytest.mark.parametrize("uri", ACCEPTED)
def test_uris_without_credentials_pass(uri: str) -> None:
    from modelreg.store.credentials import check_no_credentials

    check_no_credentials(uri)


def test_the_store_refuses_credentials_in_urls(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="credential"):
        open_store("s3://AKIAEXAMPLEKEY:secret@bucket/x", base_dir=tmp_path)
    with pytest.raises(InvalidParameter, match="credential"):
        open_store("store", base_dir=tmp_path).reference("https://h.example/m?sig=abc")


# -- progress, locations, claims, failures ---------------------------------------------------


def test_progress_reports_the_total_once_and_every_byte(env: Env, tmp_path: Path) -> None:
    big = "x" * (9 << 20)  # past the 8 MiB chunk and the batch limit: streamed in pieces
    files = {**FILES, "big.bin": big}
    model = make_model(tmp_path / "model", files=files)
    up, down = Recorder(), Recorder()
    art = env.open().upload(model, callback=up)
    assert up.sizes == [art.size] and sum(up.updates) == art.size and len(up.updates) > 2
    env.open().download(art, tmp_path / "out", callback=down)
    assert down.sizes == [art.size] and sum(down.updates) == art.size
    assert (tmp_path / "out" / "big.bin").stat().st_size == len(big)


def test_location_is_the_absolute_url_of_the_files(env: Env, tmp_path: Path) -> None:
    store = env.open()
    art = store.upload(make_model(tmp_path / "model", files=FILES))
    where = {
        "local": (tmp_path / "store").as_uri(),
        "memory": env.url,
        "s3": env.url,
    }[env.kind]
    assert store.url == where
    assert store.location(art) == f"{where}/{art.uri}"


def test_store_paths_resolve_against_the_registry_folder(tmp_path: Path) -> None:
    assert open_store("artifacts", base_dir=tmp_path).url == (tmp_path / "artifacts").as_uri()
    assert open_store("../shared", base_dir=tmp_path / "reg").url == (tmp_path / "shared").as_uri()
    absolute = tmp_path / "abs store"
    assert open_store(str(absolute), base_dir=Path("/elsewhere")).url == absolute.as_uri()
    assert open_store(absolute.as_uri(), base_dir=Path("/elsewhere")).root == absolute.as_posix()


def test_claim_records_the_registry_id(env: Env) -> None:
    env.open().claim("0d6f-registry-a")
    env.open().claim("9b2c-registry-b")
    assert env.open().registries() == ("0d6f-registry-a", "9b2c-registry-b")
    assert ".modelreg/registries/0d6f-registry-a" in env.listing()


def test_an_unusable_local_store_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    store = open_store("a-file/store", base_dir=tmp_path)
    where = re.escape(store.url)
    with pytest.raises(StoreError, match=f"^cannot write to artifact store {where}: "):
        store.claim("registry-id")


@pytest.mark.s3
def test_an_unreachable_s3_store_is_a_store_error(s3: S3Server, tmp_path: Path) -> None:
    missing = open_store("s3://no-such-bucket/x", base_dir=tmp_path,
                         storage_options=s3.storage_options())
    where = r"^cannot write to artifact store s3://no-such-bucket/x: "
    with pytest.raises(StoreError, match=where):
        missing.claim("registry-id")
    options = {**s3.storage_options(), "client_kwargs": {"endpoint_url": "http://127.0.0.1:9"},
               "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1}}
    down = open_store("s3://bucket/x", base_dir=tmp_path, storage_options=options)
    with pytest.raises(StoreError) as caught:
        down.upload(make_model(tmp_path / "model", files=FILES))
    assert "s3://bucket/x" in str(caught.value) and "\n" not in str(caught.value)


def test_fsspec_is_imported_only_by_the_store() -> None:
    import ast

    src = Path(__file__).resolve().parents[1] / "src" / "modelreg"
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if rel.startswith("store/"):
            continue
        for node in ast.parse(path.read_text("utf-8")).body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "fsspec" for n in names), rel
    code = "import sys, modelreg, modelreg.store; print('fsspec' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
