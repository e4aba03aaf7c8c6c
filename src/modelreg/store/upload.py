"""Registering local files into the store: hash, then copy (unless complete), then the marker.

The order is what makes a crash harmless (DESIGN §2): the digest is known before anything is
written, so the bytes go straight to `sha256/<hex>/`; the marker `sha256/<hex>.complete` is
written only after every file was re-hashed while copied and found in the store with its size.
A folder without the marker is an unfinished upload: the next uploader of the same content
writes it again instead of trusting it.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.errors import ArtifactError
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store import localtree, records
from modelreg.store.backend import backend_errors
from modelreg.store.hashing import artifacts_for, hash_local
from modelreg.store.transfer import check_sizes, put_files, write_blob

if TYPE_CHECKING:
    from modelreg.store.core import Store


def upload(store: Store, local: Path, *, callback: Any = None) -> Artifacts:
    from fsspec.callbacks import DEFAULT_CALLBACK

    progress = callback if callback is not None else DEFAULT_CALLBACK
    files = localtree.scan(local)
    entries = [hash_file(local, f) for f in files]
    art = artifacts_for(ArtifactMode.STORED, entries)
    progress.set_size(art.size)
    base = store.path(art.uri)
    with backend_errors(store.where, "write to"):
        store.fs.invalidate_cache(posixpath.dirname(base))
        if store.fs.exists(f"{base}.complete"):
            progress.relative_update(art.size)  # nothing moves: the content is there, whole
        else:
            put_files(store.fs, [(e, f.local) for e, f in zip(entries, files, strict=True)], base,
                      tmp_dir=store.tmp_dir, callback=progress)
            check_sizes(store.fs, base, entries, where=store.where)
            art = _finish(store, art)
    if len(entries) > records.INLINE_MAX and not art.files_uri:
        art = replace(art, files=(), files_uri=records.files_uri(art.uri))
    return art


def hash_file(top: Path, f: localtree.LocalFile) -> FileEntry:
    try:
        hashed = hash_local(f.local)
    except OSError as exc:
        raise ArtifactError(
            f"cannot register {str(top)!r}: cannot read {f.path!r} ({exc.strerror or exc})"
        ) from exc
    return FileEntry(path=f.path, size=hashed.size, sha256=hashed.sha256)


def _finish(store: Store, art: Artifacts) -> Artifacts:
    """Write the long file list (when there is one), then the marker, last."""
    if art.file_count > records.INLINE_MAX:
        art = store.write_file_list(art, art.files)
    base = store.path(art.uri)
    write_blob(store.fs, f"{base}.complete", records.dump_marker(art), tmp_dir=store.tmp_dir)
    return art
