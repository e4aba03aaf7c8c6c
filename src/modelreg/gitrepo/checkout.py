"""Keeping a checkout's files and index in line with the branch a write moved (DESIGN §4).

A write commits from Git objects and moves the branch; the checkout then gets the changed
files and their index entries, so `git status` stays clean. Only those entries are read and
replaced (`staging`), never the whole index (13 MB at 100,000 versions), and what `staging`
does not handle is left to `git ls-files` and `git update-index`. Before moving the branch the
writer leaves a note (`.git/modelreg/pending-sync`); a crash between the move and the sync is
completed by the next write, which reads the note first, and the `<branch>.lock` or
`index.lock` a write killed while holding them left behind are removed then (issue #6).
"""

from __future__ import annotations

import functools
import glob
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelreg import faults
from modelreg.errors import Conflict, GitError
from modelreg.gitrepo.indexfile import Unsupported
from modelreg.gitrepo.refwrite import release_abandoned
from modelreg.gitrepo.staging import Index, Resplit, Unsplit
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
        self.index = Index(repo.git_dir, split=repo.config_flag("core.splitIndex"),
                           max_change=repo.config_int("splitIndex.maxPercentChange", 20))

    def dirty(self, committed: Mapping[str, str | None]) -> list[str]:
        """Paths (relative to the repository) whose index entry or file differs from their
        committed blob id (None: no file): a write there would overwrite uncommitted edits.

        Only those entries and files are read, never the whole index or work tree."""
        staged = self._staged(list(committed))
        return [path for path, blob in committed.items()
                if staged.get(path) != blob or self._file_id(path) != blob]

    def _staged(self, paths: list[str]) -> dict[str, str | None]:
        try:
            return self.index.staged(paths)
        except Unsupported:  # a sparse index, version 4, a conflict: ask Git
            return _git_staged(self.repo, paths)

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

    def sync(self, files: Mapping[str, bytes | None]) -> None:
        """Make the files at these paths and their index entries hold these bytes (None: no
        file), as the commit just made does: `git status` stays clean."""
        changes: dict[str, tuple[str, os.stat_result] | None] = {}
        for path in sorted(files):
            data = files[path]
            target = self.root / path
            if data is None:
                _remove(target, self.root)
                changes[path] = None
            else:
                _write_atomic(target, data)
                changes[path] = (content_id(data), os.lstat(target))
            faults.point("mid_sync")
        try:
            self.index.update(changes)
        except Unsupported as exc:  # what `staging` leaves to Git (see there)
            split = {Resplit: True, Unsplit: False}.get(type(exc))
            _git_update_index(self.repo, sorted(files), split=split)

    # -- the note that makes a crash recoverable ---------------------------------------

    def leave_note(self, ref: str, old: str | None, new: str) -> None:
        self.note.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.note, f"{ref} {old or '-'} {new}\n".encode())

    def drop_note(self) -> None:
        self.note.unlink(missing_ok=True)

    def complete_pending(self) -> None:
        """Finish what a crashed write left undone (issue #6). Its note proves it died between
        leaving and dropping it (the writer's lock, held now, that it is gone): Git's locks it
        held are released, and the sync is done when the branch moved but the files did not."""
        try:
            ref, old, new = self.note.read_text().split()
        except (FileNotFoundError, ValueError):
            self.drop_note()
            return
        tip, before = self.repo.ref_target(ref), None if old == "-" else old
        if tip == before:
            release_abandoned(self.repo, ref, new)  # killed while moving the branch, maybe
        elif tip == new and self.repo.head_branch() == ref:
            self.index.release_abandoned()  # killed while writing the index, maybe
            files = self.repo.tree_files(new, "")
            changed = [c.path for c in self.repo.changed_paths(before, new, "")]
            with faults.paused():
                self.sync({path: files.read(path) for path in changed})
            _drop_temporaries(self.root, changed)
        self.drop_note()

    def refuse_dirty(self, committed: Mapping[str, str | None]) -> None:
        """Refuse a write over uncommitted changes; otherwise the write goes on to these
        paths, and the index's new checksum starts being computed (`Index.prepare`)."""
        dirty = self.dirty(committed)
        if dirty:
            shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
            raise Conflict(
                f"uncommitted changes to {shown}; commit or discard them before writing"
            )
        self.index.prepare(committed)


def _git_staged(repo: GitRepo, paths: list[str]) -> dict[str, str | None]:
    """The ids staged for `paths`, from `git ls-files` (an unmerged path is never clean)."""
    out = _git(repo, ["ls-files", "--stage", "-z", "--", *[f":(literal){p}" for p in paths]])
    staged: dict[str, str | None] = {}
    for record in filter(None, out.split(b"\0")):
        meta, _, name = record.partition(b"\t")
        _, oid, stage = meta.decode().split()
        staged[os.fsdecode(name)] = oid if stage == "0" else "unmerged"
    return staged


def _git_update_index(repo: GitRepo, paths: list[str], *, split: bool | None = None) -> None:
    """Set the index entries of `paths` from the files (or drop them) with `git update-index`;
    `split`: and split the index anew (True) or make it whole (False)."""
    names = b"".join(os.fsencode(p) + b"\0" for p in paths)
    mode = {True: ["--split-index"], False: ["--no-split-index"], None: []}[split]
    _git(repo, ["update-index", *mode, "--add", "--remove", "-z", "--stdin"], names)


def _git(repo: GitRepo, args: list[str], stdin: bytes = b"") -> bytes:
    from modelreg.gitrepo.repo import git_env

    proc = subprocess.run(["git", *args], cwd=repo.workdir, env=git_env(), input=stdin,
                          capture_output=True)
    if proc.returncode != 0:
        last = (proc.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
        raise GitError(f"git {args[0]} in {repo.workdir}: {last}")
    return proc.stdout


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


def _drop_temporaries(root: Path, paths: list[str]) -> None:
    """Remove what `_write_atomic` of a killed sync left beside these paths."""
    for path in paths:
        target = root / path
        for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            tmp.unlink(missing_ok=True)


def _remove(target: Path, root: Path) -> None:
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
