"""Registering local files into the store: the bytes land in `sha256/<hex>/`, the marker last.

The order is what makes a crash harmless (DESIGN §2): the marker `sha256/<hex>.complete` is
written only after every file was hashed while copied and found in the store with its size. A
folder without the marker is an unfinished upload: the next uploader of the same content
writes it again instead of trusting it. The registry commits the manifest only after `upload`
returns, so a failed upload is never referenced by a version.

Two ways there. A local store is written in one pass (`staging`): copied and hashed together
into a staging folder, renamed into place once the digest is known. A remote store needs the
digest before the first byte is sent (it names the objects, and a rename there is a copy), so
the files are hashed first, then sent, re-hashed while read: a file changed in between is
refused, never stored under a digest it does not have.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg import faults
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store import localtree, records, staging, sweep
from modelreg.store.backend import backend_errors, is_local
from modelreg.store.hashing import artifacts_for, hash_local
from modelreg.store.transfer import check_sizes, put_files, workers_for, write_blob

if TYPE_CHECKING:
    from modelreg.store.core import Store


def upload(store: Store, local: Path, *, callback: Any = None) -> Artifacts:
    from fsspec.callbacks import DEFAULT_CALLBACK

    progress = callback if callback is not None else DEFAULT_CALLBACK
    files = localtree.scan(local)
    if is_local(store.fs):
        art = _upload_local(store, local, files, progress)
    else:
        art = _upload_remote(store, local, files, progress)
    if art.file_count > records.INLINE_MAX and not art.files_uri:
        art = replace(art, files=(), files_uri=records.files_uri(art.uri))
    faults.point("after_upload")
    return art


def _upload_local(
    store: Store, local: Path, files: list[localtree.LocalFile], progress: Any
) -> Artifacts:
    progress.set_size(sum(f.size for f in files))
    with backend_errors(store.where, "write to"), staging.staging_folder(store.tmp_dir) as folder:
        entries = [staging.copy_in(local, f, f"{folder}/{i}", progress)
                   for i, f in enumerate(files)]
        art = artifacts_for(ArtifactMode.STORED, entries)
        base = store.path(art.uri)
        sweep.guard(store, art.digest)  # before trusting or writing it: gc's race (sweep.py)
        if os.path.exists(f"{base}.complete"):
            return art  # the same content is there, whole: the copies are dropped
        staging.place(folder, entries, base)
        check_sizes(store.fs, base, entries, where=store.where)
        return _finish(store, art)


def _upload_remote(
    store: Store, local: Path, files: list[localtree.LocalFile], progress: Any
) -> Artifacts:
    entries = [hash_file(local, f) for f in files]
    art = artifacts_for(ArtifactMode.STORED, entries)
    progress.set_size(art.size)
    base = store.path(art.uri)
    with backend_errors(store.where, "write to"):
        sweep.guard(store, art.digest)  # before trusting or writing it: gc's race (sweep.py)
        store.fs.invalidate_cache(posixpath.dirname(base))
        if store.fs.exists(f"{base}.complete"):
            progress.relative_update(art.size)  # nothing moves: the content is there, whole
            return art
        put_files(store.fs, [(e, f.local) for e, f in zip(entries, files, strict=True)], base,
                  workers=workers_for(store.fs, store.concurrency), callback=progress)
        check_sizes(store.fs, base, entries, where=store.where)
        return _finish(store, art)


def hash_file(top: Path, f: localtree.LocalFile) -> FileEntry:
    try:
        hashed = hash_local(f.local, size_hint=f.size)
    except OSError as exc:
        raise staging.unreadable(top, f, exc) from exc
    return FileEntry(path=f.path, size=hashed.size, sha256=hashed.sha256)


def _finish(store: Store, art: Artifacts) -> Artifacts:
    """Write the long file list (when there is one), then the marker, last."""
    if art.file_count > records.INLINE_MAX:
        art = store.write_file_list(art, art.files)
    base = store.path(art.uri)
    faults.point("before_marker")
    write_blob(store.fs, f"{base}.complete", records.dump_marker(art), tmp_dir=store.tmp_dir)
    return art
