"""The tree digest of a set of artifact files (DESIGN §2). Every part of modelreg computes it here.

The digest is the sha256 of the lines `<sha256-hex> <size> <path>\\n`, one per regular file,
paths relative, `/`-separated, Unicode NFC, sorted by their UTF-8 bytes. Test vectors ship in
`schemas/digest-vectors.json`.
"""

from __future__ import annotations

import hashlib
import posixpath
import unicodedata
from collections.abc import Iterable

from modelreg.errors import ArtifactError
from modelreg.model import FileEntry

PREFIX = "sha256:"


def normalize_path(path: str) -> str:
    """A relative, `/`-separated NFC path that cannot leave its folder, or ArtifactError."""
    norm = unicodedata.normalize("NFC", path.replace("\\", "/"))
    parts = norm.split("/")
    if (
        not norm
        or norm.startswith("/")
        or (parts[0][1:2] == ":" and parts[0][:1].isalpha())  # a Windows drive: C:, c:x
        or any(p in ("", ".", "..") for p in parts)
        or any(ord(c) < 0x20 for c in norm)
    ):
        raise ArtifactError(f"artifact path {path!r} is not a plain relative path")
    return posixpath.join(*parts)


def tree_digest(files: Iterable[FileEntry]) -> str:
    """`sha256:<hex>` of the file list; paths must already be normalized."""
    entries = sorted(files, key=lambda f: f.path.encode("utf-8"))
    h = hashlib.sha256()
    seen: set[str] = set()
    for f in entries:
        if f.path in seen:
            raise ArtifactError(f"artifact path {f.path!r} appears twice")
        seen.add(f.path)
        h.update(f"{f.sha256} {f.size} {f.path}\n".encode())
    return PREFIX + h.hexdigest()


def bare(digest: str) -> str:
    """`sha256:abc` -> `abc`."""
    return digest.removeprefix(PREFIX)
