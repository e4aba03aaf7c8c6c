"""Fetching a version's files with every sha256 verified, and checking them in place.

A download is written into a temporary folder beside the destination and renamed into place
once every file matched: the destination appears whole or not at all, and a changed byte is an
IntegrityError naming the file. From a remote store the files are fetched several at a time
(`transfer.read_files`); on a failure every transfer still running is waited for before the
temporary folder is removed.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from modelreg.errors import ArtifactError, InvalidParameter
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store.backend import backend_errors
from modelreg.store.transfer import read_files

if TYPE_CHECKING:
    from modelreg.store.core import Store


def download(store: Store, artifacts: Artifacts, dest: Path, *, callback: Any = None) -> Path:
    from fsspec.callbacks import DEFAULT_CALLBACK

    from modelreg.store.core import raise_unless_ok

    progress = callback if callback is not None else DEFAULT_CALLBACK
    _check_dest(dest)
    files = store.files(artifacts)
    sources = store.sources(artifacts, files)
    progress.set_size(sum(f.size for f in files))
    tmp = _make_tmp(dest)
    try:
        gots = read_files(sources.fs, sources.pairs, opener=_writer(tmp), callback=progress,
                          workers=store.workers(sources.fs))
        with backend_errors(sources.where, "read"), closing(gots):  # nothing writes after
            for got in gots:
                raise_unless_ok(got, sources.where)
        if dest.is_dir():
            dest.rmdir()  # empty, checked above
        tmp.rename(dest)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ArtifactError(f"cannot download into {dest}: {exc.strerror or exc}") from exc
        raise
    return dest


def verify(store: Store, artifacts: Artifacts) -> list[str]:
    from fsspec.callbacks import DEFAULT_CALLBACK

    from modelreg.store.core import describe

    if artifacts.mode is ArtifactMode.UNVERIFIED:
        return []
    try:
        sources = store.sources(artifacts, store.files(artifacts))
    except ArtifactError as exc:  # a file list that is missing or does not match the digest
        return [str(exc)]
    problems = _marker_problems(store, artifacts)
    gots = read_files(sources.fs, sources.pairs, opener=None, callback=DEFAULT_CALLBACK,
                      workers=store.workers(sources.fs))
    with backend_errors(sources.where, "read"), closing(gots):
        for got in gots:
            if not got.ok:
                problems.append(f"file {got.entry.path!r} {describe(got)}")
    return problems


def _marker_problems(store: Store, artifacts: Artifacts) -> list[str]:
    if artifacts.mode is not ArtifactMode.STORED:
        return []
    marker = f"{artifacts.uri}.complete"
    with backend_errors(store.where, "read"):
        store.fs.invalidate_cache(store.path("sha256"))
        if store.fs.exists(store.path(marker)):
            return []
    return [f"{marker} is missing from {store.where}: the upload was never finished"]


def _check_dest(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
        raise InvalidParameter(
            f"cannot download into {dest}: it exists and is not an empty folder "
            "(give a new folder, or empty this one)"
        )


def _make_tmp(dest: Path) -> Path:
    tmp = dest.parent / f".{dest.name}.tmp-{secrets.token_hex(4)}"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise ArtifactError(f"cannot download into {dest}: {exc.strerror or exc}") from exc
    return tmp


def _writer(tmp: Path) -> Any:
    @contextmanager
    def open_target(entry: FileEntry) -> Iterator[IO[bytes]]:
        target = tmp / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            yield out

    return open_target

