"""Uploading into a local store in one pass: every byte is read once, hashed and written.

The folder a version's files go to is named after their digest, which is known only once the
last byte is read. So the files are copied, hashed on the way, into a staging folder of the
store's own (`.modelreg/tmp/<random>/`, on the same disk), then renamed into `sha256/<hex>/`;
when that content is complete in the store already, the copies are dropped. Hashing first and
copying then would read every byte twice (issue #5: a 1 GB register costs about one copy). A
crash leaves a staging folder, which nothing reads; the marker is still written last.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelreg import faults
from modelreg.errors import ArtifactError
from modelreg.model import FileEntry
from modelreg.store.hashing import hash_copy
from modelreg.store.localtree import LocalFile
from modelreg.store.transfer import READ_ONLY


@contextmanager
def staging_folder(tmp_dir: str) -> Iterator[str]:
    """A new folder under the store's `tmp_dir`, removed with whatever is left in it."""
    folder = f"{tmp_dir}/{secrets.token_hex(8)}"
    os.makedirs(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_in(top: Path, f: LocalFile, target: str, progress: Any) -> FileEntry:
    """Copy `f` to `target`, hashed while copied: the entry describes the bytes written."""
    try:
        src = open(f.local, "rb", buffering=0)  # noqa: SIM115 (closed below; errors are the user's)
    except OSError as exc:
        raise unreadable(top, f, exc) from exc

    def readinto(buffer: bytearray) -> int | None:
        try:
            return src.readinto(buffer)
        except OSError as exc:  # the source, not the store: the user's file cannot be read
            raise unreadable(top, f, exc) from exc

    with src, open(target, "wb") as out:  # a buffered writer writes all it is given
        hashed = hash_copy(readinto, size_hint=f.size, write=out.write,
                           advance=progress.relative_update)
    return FileEntry(path=f.path, size=hashed.size, sha256=hashed.sha256)


def place(folder: str, entries: Sequence[FileEntry], base: str) -> None:
    """Rename the staged files (`folder/<index>`, in `entries` order) to `base/<path>`,
    read-only. A rename replaces a file left by an unfinished upload."""
    made: set[str] = set()
    for index, entry in enumerate(entries):
        target = f"{base}/{entry.path}"
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        os.replace(f"{folder}/{index}", target)
        os.chmod(target, READ_ONLY)
        faults.point("mid_upload")


def unreadable(top: Path, f: LocalFile, exc: OSError) -> ArtifactError:
    return ArtifactError(
        f"cannot register {str(top)!r}: cannot read {f.path!r} ({exc.strerror or exc})"
    )
