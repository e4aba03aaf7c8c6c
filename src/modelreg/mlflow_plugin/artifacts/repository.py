"""The artifact repository MLflow downloads registered versions through (scheme
`modelreg-artifacts`): read-only, every file's sha256 verified by `modelreg.store`.

MLflow imports this module while its artifact repository registry is being built (entry
points are loaded at the end of that module): it must not import that registry, nor anything
that does, at module level.
"""

from __future__ import annotations

import os
import posixpath
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mlflow.entities import FileInfo
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.artifact_repo import ArtifactRepository

from modelreg.errors import ModelregError, NotFound, RegistryNotFound
from modelreg.mlflow_plugin.artifacts.uri import Target, parse_download_uri
from modelreg.model import ArtifactMode

if TYPE_CHECKING:
    from modelreg.model import Artifacts, FileEntry
    from modelreg.store import Store

SMALL_FILE = 4 << 20  # read into memory on its own; larger ones come with their version

class Opened(NamedTuple):
    """A version's artifacts, its store and its files (none when unverified)."""

    store: Store
    artifacts: Artifacts
    files: tuple[FileEntry, ...]


class ModelregArtifactRepository(ArtifactRepository):
    """The files of one registered model version, read-only, each sha256 verified."""

    def __init__(
        self, artifact_uri: str, tracking_uri: str | None = None, registry_uri: str | None = None
    ) -> None:
        super().__init__(artifact_uri, tracking_uri, registry_uri)
        with mlflow_errors():
            parse_download_uri(artifact_uri)

    def _target(self, path: str | None) -> Target:
        uri = self.artifact_uri.rstrip("/")
        return parse_download_uri(f"{uri}/{path.lstrip('/')}" if path else uri)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        with mlflow_errors():
            target = self._target(path)
            if target.version is None:
                return []
            with opened(target) as version:
                if version.artifacts.mode is ArtifactMode.UNVERIFIED:
                    return list(_source_repo(version.artifacts).list_artifacts(target.path))
                return children(version.files, target.path, shown=(path or "").strip("/"))

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """The files at `artifact_path` (relative to this repository's URI, as in MLflow),
        put at `dst_path/artifact_path` (`dst_path`: a new temporary folder when None) once
        every one of them matched its sha256."""
        with mlflow_errors():
            target = self._target(artifact_path)
            dst = _destination(dst_path)
            base = dst / (artifact_path or "").strip("/")
            with opened(target) as version:
                if version.artifacts.mode is ArtifactMode.UNVERIFIED:
                    return _download_unverified(version.artifacts, target.path, base)
                chosen = [f for f in version.files if _under(f.path, target.path)]
                if not chosen:
                    raise NotFound(f"model {target.name!r} version {target.version} has no "
                                   f"artifact {target.path!r}")
                fetch(version, [(f, base / _rest(f.path, target.path)) for f in chosen], dst)
        return str(base)

    def _download_file(self, remote_file_path: str, local_path: str) -> None:
        with mlflow_errors():
            target = self._target(remote_file_path)
            with opened(target) as version:
                data = version.store.read_file(version.artifacts, target.path)
                if data is None:
                    raise NotFound(f"model {target.name!r} version {target.version} has no "
                                   f"file {target.path!r}")
                _write(Path(local_path), data)

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        raise _read_only()

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        raise _read_only()

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        raise _read_only()


@contextmanager
def mlflow_errors() -> Iterator[None]:
    """modelreg's errors as the MlflowException MLflow callers expect (same message)."""
    try:
        yield
    except ModelregError as exc:
        from modelreg.mlflow_plugin import errors

        raise errors.translate(exc) from exc


@contextmanager
def opened(target: Target) -> Iterator[Opened]:
    """The version a target names, read from its registry as the store that made the URI
    reads it (`?at=` pinned to a commit included); its Git processes closed afterwards."""
    from modelreg import Registry
    from modelreg.mlflow_plugin import uri

    if target.version is None:
        raise NotFound(f"no version given for model {target.name!r}")
    spec = uri.parse(target.registry_uri)
    try:
        base = Registry(spec.registry)
    except RegistryNotFound as exc:
        raise RegistryNotFound(
            f"cannot read the registry {target.registry_uri} on this machine: {exc} (MLflow "
            "downloads a modelreg version where its registry can be read)") from exc
    registry = base.at(spec.at) if spec.at else base
    try:
        mv = registry.get_model_version(target.name, target.version)
        if mv.artifacts is None:
            raise NotFound(f"model {target.name!r} version {target.version} has no artifacts")
        store = registry.store()
        unverified = mv.artifacts.mode is ArtifactMode.UNVERIFIED
        files = () if unverified else store.files(mv.artifacts)
        yield Opened(store, mv.artifacts, files)
    finally:
        for each in {id(base): base, id(registry): registry}.values():
            if "repo" in vars(each):  # its `git cat-file` process, when one was started
                each.repo.close()


def fetch(version: Opened, placed: Sequence[tuple[FileEntry, Path]], dst: Path) -> None:
    """Put each chosen file at its local path (inside `dst`), verified. A small single file
    (the `MLmodel` MLflow reads first) is read on its own; otherwise the whole version is
    downloaded into `dst`'s temporary folder, and only once every file matched its sha256 do
    the chosen ones move into place."""
    if len(placed) == 1 and placed[0][0].size <= SMALL_FILE:
        entry, local = placed[0]
        data = version.store.read_file(version.artifacts, entry.path)
        if data is None:  # pragma: no cover - the file list was just read
            raise NotFound(f"file {entry.path!r} is not in the version")
        _write(local, data)
        return
    tmp = dst / f".modelreg-download-{secrets.token_hex(4)}"
    try:
        version.store.download(version.artifacts, tmp)
        for entry, local in placed:
            local.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / entry.path, local)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def children(files: Sequence[FileEntry], path: str, *, shown: str) -> list[FileInfo]:
    """What `list_artifacts` lists: the files and folders right under `path` of the version,
    named under `shown` (the path as the caller gave it, relative to the repository's URI)."""
    prefix = f"{path}/" if path else ""
    seen: dict[str, FileInfo] = {}
    for entry in files:
        if not entry.path.startswith(prefix):
            continue
        head, sep, _ = entry.path[len(prefix):].partition("/")
        name = posixpath.join(shown, head)
        seen.setdefault(name, FileInfo(name, True, None) if sep else
                        FileInfo(name, False, entry.size))
    return [seen[k] for k in sorted(seen)]


def _rest(file_path: str, path: str) -> str:
    """`file_path` relative to `path` (both inside the version); '' when they are equal."""
    return file_path[len(path):].lstrip("/") if path else file_path


def _under(file_path: str, path: str) -> bool:
    return not path or file_path == path or file_path.startswith(f"{path}/")


def _destination(dst_path: str | None) -> Path:
    if dst_path is None:
        return Path(tempfile.mkdtemp(prefix="modelreg-mlflow-"))
    dst = Path(dst_path).absolute()
    if not dst.is_dir():
        raise NotFound(f"the destination path for downloaded artifacts {dst} is not a folder")
    return dst


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _download_unverified(artifacts: Artifacts, path: str, base: Path) -> str:
    """MLflow's own download of an unverified source, put where ours would be (`base`)."""
    top = base
    for _ in Path(path).parts if path else ():
        top = top.parent
    top.mkdir(parents=True, exist_ok=True)
    return str(_source_repo(artifacts).download_artifacts(path, str(top)))


def _source_repo(artifacts: Artifacts) -> Any:
    """MLflow's repository for an unverified source (nothing recorded to verify)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    return get_artifact_repository(artifacts.uri)


def _read_only() -> MlflowException:
    from modelreg.mlflow_plugin import compat

    return compat.error("modelreg artifacts are read-only: a registered version's files never "
                        "change (register a new version instead)", "INVALID_PARAMETER_VALUE")
