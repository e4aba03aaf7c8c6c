"""Keeping a checkout's files and index in line with the branch a write moved (DESIGN §4).

A write commits from Git objects and moves the branch; the checkout then gets the changed
files and their index entries, so `git status` stays clean. Before moving the branch the
writer leaves a note (`.git/modelreg/pending-sync`); a crash between the move and the sync is
completed by the next write, which reads the note first.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from modelreg.errors import Conflict
from modelreg.snapshot import content_id

if TYPE_CHECKING:
    from modelreg.gitrepo.repo import GitRepo

PENDING = "modelreg/pending-sync"


class Checkout:
    """The work tree and index of a non-bare repository."""

    def __init__(self, repo: GitRepo) -> None:
        assert repo.workdir is not None
        self.repo = repo
        self.root = repo.workdir
        self.note = repo.git_dir / PENDING

    def dirty(self, base: str | None, paths: Iterable[str]) -> list[str]:
        """Paths (relative to the repository) whose index entry or file differs from `base`:
        a write there would overwrite someone's uncommitted edits."""
        files = self.repo.tree_files(base, "")
        index = self.repo.raw.index
        index.read(False)
        out = []
        for path in paths:
            committed = files.blob_id(path)
            staged = str(index[path].id) if path in index else None
            if staged != committed or self._file_id(path) != committed:
                out.append(path)
        return out

    def _file_id(self, path: str) -> str | None:
        target = self.root / path
        if target.is_symlink() or target.is_dir():
            return "not-a-file"
        try:
            return content_id(target.read_bytes())
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return "not-a-file"

    def sync(self, commit: str, paths: Iterable[str]) -> None:
        """Make the files at `paths` and their index entries what `commit` holds."""
        files = self.repo.tree_files(commit, "")
        index = self.repo.raw.index
        index.read(False)
        for path in sorted(set(paths)):
            data = files.read(path)
            target = self.root / path
            if data is None:
                _remove(target, self.root)
                if path in index:
                    index.remove(path)
            else:
                _write_atomic(target, data)
                index.add(path)
        index.write()

    # -- the note that makes a crash recoverable ---------------------------------------

    def leave_note(self, ref: str, old: str | None, new: str) -> None:
        self.note.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.note, f"{ref} {old or '-'} {new}\n".encode())

    def drop_note(self) -> None:
        self.note.unlink(missing_ok=True)

    def complete_pending(self) -> None:
        """Finish the sync a crashed write left undone (the branch moved, the files did not)."""
        try:
            ref, old, new = self.note.read_text().split()
        except (FileNotFoundError, ValueError):
            self.drop_note()
            return
        if self.repo.ref_target(ref) == new and self.repo.head_branch() == ref:
            before = None if old == "-" else old
            changed = self.repo.changed_paths(before, new, "")
            self.sync(new, [c.path for c in changed])
        self.drop_note()

    def refuse_dirty(self, base: str | None, paths: Iterable[str]) -> None:
        dirty = self.dirty(base, paths)
        if dirty:
            shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
            raise Conflict(
                f"uncommitted changes to {shown}; commit or discard them before writing"
            )


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(target: Path, root: Path) -> None:
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
