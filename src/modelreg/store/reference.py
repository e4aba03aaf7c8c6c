"""Referencing artifacts where they are: list them, hash every file, copy nothing.

On a remote filesystem small files are read several at a time (`transfer.in_order`), as a
download reads them: a reference to a run of a thousand files is not a thousand round trips in
a row.

MLflow accepts any source string (`runs:/abc/model`, `models:/m/1`, a path on another
machine); when nothing can be read at `uri` (no such path, a protocol fsspec does not know,
permission denied), the version records an UNVERIFIED reference: the URI and nothing else.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from modelreg import digest
from modelreg.errors import ArtifactError, ModelregError
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store import localtree, records
from modelreg.store.backend import backend_errors, local_path, protocol_of
from modelreg.store.credentials import check_no_credentials, redact
from modelreg.store.hashing import (
    Hashed,
    artifacts_for,
    hash_bytes,
    hash_local,
    hash_stream,
    sort_entries,
)
from modelreg.store.transfer import SMALL, in_order

if TYPE_CHECKING:
    from modelreg.store.core import Store

_LOCAL = (None, "file")
_BUGS = (TypeError, AttributeError, NameError, AssertionError)


class Listed(NamedTuple):
    """What a reference holds: its filesystem, absolute URI and (path, source, size) files."""

    fs: Any
    uri: str
    files: list[tuple[str, str, int]]


def reference(store: Store, uri: str, *, callback: Any = None) -> Artifacts:
    check_no_credentials(uri)
    if protocol_of(uri) in _LOCAL:
        local = _local(uri)
        if local is None:
            return Artifacts(mode=ArtifactMode.UNVERIFIED, uri=uri)
        entries = _hash_local(local, callback)
        art = artifacts_for(ArtifactMode.REFERENCE, entries, uri=local.as_uri())
    else:
        from fsspec.callbacks import DEFAULT_CALLBACK

        progress = callback if callback is not None else DEFAULT_CALLBACK
        listed = _list_remote(store, uri)
        if listed is None:
            return Artifacts(mode=ArtifactMode.UNVERIFIED, uri=uri)
        progress.set_size(sum(size for _, _, size in listed.files))
        entries = _hash_all(listed, progress, workers=store.workers(listed.fs))
        art = artifacts_for(ArtifactMode.REFERENCE, entries, uri=listed.uri)
    if art.file_count > records.INLINE_MAX:
        art = store.write_file_list(art, sort_entries(entries))
    return art


def _hash_all(listed: Listed, progress: Any, *, workers: int) -> list[FileEntry]:
    """Every file hashed where it is: small ones `workers` at a time, one request each; large
    ones, those of unknown size (listed as 0) and small ones grown since listed are streamed,
    one at a time, never read whole."""
    where = f"referenced artifacts at {redact(listed.uri)}"
    fs = listed.fs

    def read_small(item: tuple[str, str, int]) -> tuple[str, str, Hashed | None]:
        path, source, _ = item
        data = bytes(fs.cat_file(source, start=0, end=SMALL + 1))
        return path, source, hash_bytes(data) if len(data) <= SMALL else None

    entries = []
    streamed = [(path, source) for path, source, size in listed.files if not 0 < size <= SMALL]
    small = [item for item in listed.files if 0 < item[2] <= SMALL]
    with backend_errors(where, "read", missing=f"a file of {where} disappeared while read"):
        with in_order(read_small, small, workers=workers) as results:
            for path, source, hashed in results:
                if hashed is None:
                    streamed.append((path, source))
                    continue
                progress.relative_update(hashed.size)
                entries.append(FileEntry(path=path, size=hashed.size, sha256=hashed.sha256))
        for path, source in streamed:
            with fs.open(source, "rb") as f:
                hashed = hash_stream(f.read, on_chunk=lambda c: progress.relative_update(len(c)))
            entries.append(FileEntry(path=path, size=hashed.size, sha256=hashed.sha256))
    return entries


def _local(uri: str) -> Path | None:
    """The absolute path a local reference names, or None when nothing readable is there."""
    path = Path(os.path.abspath(local_path(uri)))
    try:
        if path.is_dir():
            os.listdir(path)
        else:
            path.stat()
            open(path, "rb").close()
    except OSError:
        return None  # nothing readable there: an unverified reference
    return path


def _hash_local(path: Path, callback: Any) -> list[FileEntry]:
    """Every file under a local path hashed with plain file reads: a reference to a file on
    this machine needs no fsspec, whose import alone costs a CLI process ~50-90 ms."""
    files = localtree.scan(path)  # a symbolic link inside is refused, as for an upload
    if callback is not None:
        callback.set_size(sum(f.size for f in files))
    where = f"referenced artifacts at {redact(path.as_uri())}"
    entries = []
    with backend_errors(where, "read", missing=f"a file of {where} disappeared while read"):
        for f in files:
            hashed = hash_local(f.local)
            if callback is not None:
                callback.relative_update(hashed.size)
            entries.append(FileEntry(path=f.path, size=hashed.size, sha256=hashed.sha256))
    return entries


def _list_remote(store: Store, uri: str) -> Listed | None:
    try:
        opened = store.open_reference(uri)
        info = opened.fs.info(opened.root)
        if info.get("type") == "file":
            name = posixpath.basename(urlsplit(uri).path.rstrip("/")) or "artifact"
            files = [(digest.normalize_path(name), opened.root, int(info.get("size") or 0))]
        else:
            files = _find(opened.fs, opened.root)
    except ArtifactError:
        raise
    except ModelregError:
        return None  # unknown protocol, missing package: nothing readable
    except _BUGS:
        raise
    except Exception:
        return None  # no such path, permission denied, unreachable
    return Listed(opened.fs, opened.url, files) if files else None


def _find(fs: Any, root: str) -> list[tuple[str, str, int]]:
    listing = fs.find(root, detail=True)
    prefix = root.rstrip("/") + "/"
    files = []
    for name, info in sorted(listing.items()):
        if info.get("type") != "file" or not name.startswith(prefix) or name.endswith("/"):
            continue
        files.append((digest.normalize_path(name[len(prefix):]), name, int(info.get("size") or 0)))
    return files
