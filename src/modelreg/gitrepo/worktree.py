"""The registry folder as it is on disk: a `snapshot.Files` view with uncommitted edits.

Reads come from commits (DESIGN §3); this view is what `validate` (and the pre-commit hook)
judge before anything is committed. It never follows a symbolic link: Git records a link as
the path it points at, not the file there, so a symlinked manifest would validate here and be
something else once committed, and a link could make a validation read files outside the
registry. A link is refused with a `ManifestError` naming it, which `validate` reports as a
problem.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from modelreg.errors import ManifestError
from modelreg.snapshot import content_id

_SKIPPED = frozenset({".git"})
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class WorktreeFiles:
    """`snapshot.Files` over a folder on disk (the registry folder in a checkout)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    @property
    def revision(self) -> str:
        return ""  # not a commit: the work tree as it is now

    def read(self, path: str) -> bytes | None:
        target, info = self._locate(path)
        if info is None or stat.S_ISDIR(info.st_mode):
            return None
        if not stat.S_ISREG(info.st_mode):
            raise ManifestError("not a regular file", path=path)
        # O_NOFOLLOW: a file swapped for a link after the check above is still not followed.
        fd = os.open(target, os.O_RDONLY | _NOFOLLOW | _BINARY)
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def blob_id(self, path: str) -> str | None:
        data = self.read(path)
        return None if data is None else content_id(data)

    def listdir(self, path: str) -> list[str]:
        target, info = self._locate(path)
        if info is None or not stat.S_ISDIR(info.st_mode):
            return []
        return sorted(name for name in os.listdir(target) if name not in _SKIPPED)

    def tree_id(self, path: str) -> str | None:
        """No content id for folders on disk: callers that skip unchanged trees read them."""
        return None

    def _locate(self, path: str) -> tuple[Path, os.stat_result | None]:
        """The file at `path` and its lstat, checking every part of the way for links."""
        parts = path.split("/") if path else []
        if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
            raise ManifestError("not a path inside the registry folder", path=path)
        current = self.root
        info: os.stat_result | None = os.lstat(current) if current.exists() else None
        for depth, part in enumerate(parts, start=1):
            if info is None or not stat.S_ISDIR(info.st_mode):
                return current / part, None
            current = current / part
            try:
                info = os.lstat(current)
            except (FileNotFoundError, NotADirectoryError):
                return current, None
            if stat.S_ISLNK(info.st_mode):
                raise ManifestError(_LINK, path="/".join(parts[:depth]))
        return current, info


_LINK = (
    "is a symbolic link; registry files must be regular files inside the registry folder "
    "(Git would record the link, not the file it points at)"
)

__all__ = ["WorktreeFiles"]
