"""The regular files of a local file or folder, as digest paths (DESIGN §2).

A single file is a folder of one file named after it. Paths are relative, `/`-separated and
NFC; empty folders are ignored; symbolic links and special files are refused, since what a
link points to can change after its digest is recorded.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

from modelreg import digest
from modelreg.errors import ArtifactError


class LocalFile(NamedTuple):
    path: str  # the digest path: relative, '/'-separated, NFC
    local: Path
    size: int


def scan(local: Path) -> list[LocalFile]:
    """Every regular file under `local`, sorted by the UTF-8 bytes of its path."""
    what = f"cannot register {str(local)!r}"
    try:
        info = local.stat()
    except FileNotFoundError:
        raise ArtifactError(f"{what}: no such file or folder") from None
    except OSError as exc:
        raise ArtifactError(f"{what}: {exc.strerror or exc}") from exc
    if stat.S_ISREG(info.st_mode):
        files = [_entry(what, local.name, local.resolve())]  # the top may be a link
    elif stat.S_ISDIR(info.st_mode):
        files = _walk(what, local)
    else:
        raise ArtifactError(f"{what}: not a regular file or folder")
    if not files:
        raise ArtifactError(f"{what}: the folder holds no files")
    _refuse_duplicates(what, files)
    return sorted(files, key=lambda f: f.path.encode("utf-8"))


def _walk(what: str, top: Path) -> list[LocalFile]:
    def fail(exc: OSError) -> None:
        raise ArtifactError(f"{what}: cannot read {exc.filename!r} ({exc.strerror})") from exc

    out: list[LocalFile] = []
    for folder, dirs, names in os.walk(top, onerror=fail):
        base = Path(folder)
        for name in dirs:
            if (base / name).is_symlink():
                raise _link(what, top, base / name)
        for name in names:
            out.append(_entry(what, (base / name).relative_to(top).as_posix(), base / name))
    return out


def _entry(what: str, rel: str, path: Path) -> LocalFile:
    try:
        info = path.lstat()
    except OSError as exc:
        raise ArtifactError(f"{what}: cannot read {rel!r} ({exc.strerror})") from exc
    if stat.S_ISLNK(info.st_mode):
        raise ArtifactError(f"{what}: {rel!r} is a symbolic link; copy the file it points to")
    if not stat.S_ISREG(info.st_mode):
        raise ArtifactError(f"{what}: {rel!r} is not a regular file")
    if os.sep == "/" and "\\" in rel:
        # normalize_path reads '\' as a Windows separator; here it is part of a name
        raise ArtifactError(f"{what}: {rel!r} has a backslash in its name")
    try:
        path_in_digest = digest.normalize_path(rel)
    except ArtifactError as exc:
        raise ArtifactError(f"{what}: {exc}") from exc
    return LocalFile(path_in_digest, path, info.st_size)


def _link(what: str, top: Path, path: Path) -> ArtifactError:
    rel = path.relative_to(top).as_posix()
    return ArtifactError(f"{what}: {rel!r} is a symbolic link; copy the folder it points to")


def _refuse_duplicates(what: str, files: list[LocalFile]) -> None:
    seen: dict[str, Path] = {}
    for f in files:
        if f.path in seen:
            raise ArtifactError(
                f"{what}: {str(seen[f.path])!r} and {str(f.local)!r} are the same path once "
                "normalized to Unicode NFC; rename one"
            )
        seen[f.path] = f.local
