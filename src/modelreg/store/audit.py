"""Re-hashing a version's files where they are, with each problem as a value (`verify`).

`Store.verify` says what is wrong in lines of text; `modelreg verify` must also say which file
and what kind of damage (missing, another size, other bytes, no marker, no file list), for
people and for scripts. It reads the same way: the file list checked against the digest
(`Store.files`), every file read and hashed by `transfer.read_files` (several at a time from a
remote store), and the `.complete` marker of stored content.
"""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING

from modelreg.errors import ArtifactError
from modelreg.model import ArtifactMode, Artifacts
from modelreg.store.backend import backend_errors
from modelreg.store.transfer import Got, read_files
from modelreg.upkeep.report import Damage, Finding

if TYPE_CHECKING:
    from modelreg.store.core import Store


def audit(store: Store, artifacts: Artifacts) -> list[Finding]:
    """Every missing or changed file of the version ([] when whole, and for unverified
    artifacts, which record nothing). A store that cannot be read raises StoreError."""
    from fsspec.callbacks import DEFAULT_CALLBACK

    if artifacts.mode is ArtifactMode.UNVERIFIED:
        return []
    try:
        files = store.files(artifacts)
        sources = store.sources(artifacts, files)
    except ArtifactError as exc:  # the file list is missing or does not match the digest
        return [Finding(file=artifacts.files_uri, damage=Damage.FILE_LIST, message=str(exc))]
    found = marker(store, artifacts)
    gots = read_files(sources.fs, sources.pairs, opener=None, callback=DEFAULT_CALLBACK,
                      workers=store.workers(sources.fs))
    with backend_errors(sources.where, "read"), closing(gots):
        found.extend(finding(got) for got in gots if not got.ok)
    return found


def finding(got: Got) -> Finding:
    entry = got.entry
    path = entry.path
    if got.found is None:
        return Finding(file=path, damage=Damage.MISSING, message=f"file {path!r} is missing")
    if got.longer:
        return Finding(file=path, damage=Damage.SIZE,
                       message=f"file {path!r} holds more than its {entry.size} bytes")
    if got.found.size != entry.size:
        return Finding(file=path, damage=Damage.SIZE,
                       message=f"file {path!r} holds {got.found.size} bytes, not {entry.size}")
    return Finding(file=path, damage=Damage.SHA256,
                   message=f"file {path!r} does not match its sha256 (expected {entry.sha256}, "
                   f"got {got.found.sha256})")


def marker(store: Store, artifacts: Artifacts) -> list[Finding]:
    """The finding that a stored version's `.complete` marker is missing, if it is."""
    if artifacts.mode is not ArtifactMode.STORED:
        return []
    marker = f"{artifacts.uri}.complete"
    with backend_errors(store.where, "read"):
        store.fs.invalidate_cache(store.path("sha256"))
        if store.fs.exists(store.path(marker)):
            return []
    return [Finding(file="", damage=Damage.MARKER,
                    message=f"{marker} is missing from {store.where}: the upload was never "
                    "finished")]
