"""The small files the store keeps beside content folders: `.files.json` and `.complete`.

`sha256/<hex>.files.json` holds the file list of artifacts too large for a manifest (past
1,000 files); it is trusted only when it hashes to the digest the manifest records.
`sha256/<hex>.complete` is written last: a content folder without it is unfinished.
"""

from __future__ import annotations

import json
import re

from modelreg.errors import IntegrityError
from modelreg.model import Artifacts, FileEntry

INLINE_MAX = 1000  # past this many files the list moves to `.files.json`
_STORED_URI = re.compile(r"^sha256/[0-9a-f]{64}$")
_FILES_URI = re.compile(r"^sha256/[0-9a-f]{64}\.files\.json$")


def is_stored_uri(uri: str) -> bool:
    return bool(_STORED_URI.match(uri))


def is_files_uri(uri: str) -> bool:
    return bool(_FILES_URI.match(uri))


def files_uri(uri: str) -> str:
    """`sha256/<hex>` -> `sha256/<hex>.files.json`."""
    return f"{uri}.files.json"


def dump_files(artifacts: Artifacts, files: tuple[FileEntry, ...]) -> bytes:
    body = {
        "digest": artifacts.digest,
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in files],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_files(data: bytes, *, where: str) -> tuple[FileEntry, ...]:
    """The entries of a `.files.json` (the caller checks them against the digest)."""
    try:
        body = json.loads(data.decode("utf-8"))
        return tuple(
            FileEntry(path=str(f["path"]), size=int(f["size"]), sha256=str(f["sha256"]))
            for f in body["files"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"the file list {where} cannot be read ({exc})") from exc


def dump_marker(artifacts: Artifacts) -> bytes:
    body = {"digest": artifacts.digest, "size": artifacts.size, "file_count": artifacts.file_count}
    return json.dumps(body, separators=(",", ":")).encode("utf-8") + b"\n"
