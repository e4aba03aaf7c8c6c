"""Fetching a version's files with every sha256 verified, and checking them in place.

A download is written into a temporary folder beside the destination and renamed into place
once every file matched: the destination appears whole or not at all, and a changed byte is an
IntegrityError naming the file. From a remote store the files are fetched several at a time
(`transfer.read_files`); on a failure every transfer still running is waited for before the
temporary folder is removed. A digest downloaded and verified before is placed from the local
artifact cache instead (`store.cache`: hard links, nothing asked of the store). Nothing is
written outside the temporary folder: paths are plain, and no link in it is followed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from modelreg.digest import normalize_path
from modelreg.errors import ArtifactError, IntegrityError, InvalidParameter
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store.backend import backend_errors
from modelreg.store.transfer import read_files

if TYPE_CHECKING:
    from modelreg.store.core import Store


def download(store: Store, artifacts: Artifacts, dest: Path, *, callback: Any = None) -> Path:
    from fsspec.callbacks import DEFAULT_CALLBACK

    from modelreg.store.cache import open_cache

    progress = callback if callback is not None else DEFAULT_CALLBACK
    _check_dest(dest)
    cache = open_cache()
    cached = cache.files(artifacts) if cache else None  # a complete entry's list, or None
    files = cached or store.files(artifacts)
    progress.set_size(sum(f.size for f in files))
    tmp = _make_tmp(dest)
    try:
        if not (cache and cached and cache.place(artifacts, files, tmp, progress)):
            _fetch(store, artifacts, files, tmp, progress)
            if cache:
                cache.keep(artifacts, files, tmp)
        if dest.is_dir():
            dest.rmdir()  # empty, checked above
        tmp.rename(dest)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ArtifactError(f"cannot download into {dest}: {exc.strerror or exc}") from exc
        raise
    return dest


def _fetch(store: Store, artifacts: Artifacts, files: tuple[FileEntry, ...], tmp: Path,
           progress: Any) -> None:
    """Every file from the store into `tmp`, each sha256 verified."""
    from modelreg.store.core import raise_unless_ok

    sources = store.sources(artifacts, files)
    gots = read_files(sources.fs, sources.pairs, opener=_writer(tmp), callback=progress,
                      workers=store.workers(sources.fs))
    with backend_errors(sources.where, "read"), closing(gots):  # nothing writes after
        for got in gots:
            raise_unless_ok(got, sources.where)


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
    from modelreg.store.audit import marker

    return [found.message for found in marker(store, artifacts)]


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
    """Open each file for writing inside `tmp` and nowhere else: a path must be plain
    (`store.files` checked it; checked again here), no folder on the way may be a symbolic
    link, and the file is created new without following one (issue #6: something that plants
    links in the temporary folder while the download runs cannot redirect a write)."""
    made: set[Path] = {tmp}
    lock = threading.Lock()

    @contextmanager
    def open_target(entry: FileEntry) -> Iterator[IO[bytes]]:
        if normalize_path(entry.path) != entry.path:
            raise IntegrityError(f"artifact path {entry.path!r} is not a plain relative path")
        target = tmp / entry.path
        with lock:
            _make_parents(target.parent, made)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        except FileExistsError:
            raise ArtifactError(f"{target} was created by something else while the download "
                                "ran (a link?): refusing to write through it") from None
        with open(fd, "wb") as out:
            yield out

    return open_target


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _make_parents(folder: Path, made: set[Path]) -> None:
    """Create `folder` and what leads to it inside the download's folder, refusing links."""
    if folder in made:
        return
    _make_parents(folder.parent, made)
    try:
        folder.mkdir()
    except FileExistsError:
        if folder.is_symlink() or not folder.is_dir():
            raise ArtifactError(f"{folder} is not a folder the download made (a link?): "
                                "refusing to write through it") from None
    made.add(folder)
