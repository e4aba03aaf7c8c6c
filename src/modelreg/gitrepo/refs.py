"""Finding a repository and reading its refs from the files Git keeps, without libgit2.

Every read starts with "which commit is the branch at"; reading `HEAD`, a loose ref and
`packed-refs` directly costs microseconds and no import. Git replaces ref files by renaming a
lock file onto them, so a read sees the old value or the new one, never half of either.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

_OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256


def is_object_id(text: str) -> bool:
    """Whether `text` is a full object id, which names one object forever (a ref name moves)."""
    return _OID.fullmatch(text) is not None


class Found(NamedTuple):
    git_dir: Path  # this work tree's Git folder (a linked worktree has its own)
    common_dir: Path  # where objects and shared refs live
    workdir: Path | None  # None for a bare repository


def discover(path: Path) -> Found | None:
    """The repository `path` is in, found the way Git finds it (`.git` folder or file, or a
    bare repository's own folder)."""
    start = path.resolve()
    while not start.exists() and start != start.parent:
        start = start.parent
    for folder in (start, *start.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return _found(dotgit, folder)
        if dotgit.is_file():
            text = dotgit.read_text().strip()
            if text.startswith("gitdir:"):
                return _found((folder / text[7:].strip()).resolve(), folder)
        if _is_bare(folder):
            return _found(folder, None)
    return None


def _is_bare(folder: Path) -> bool:
    return (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (
        folder / "refs").is_dir()


def _found(git_dir: Path, workdir: Path | None) -> Found:
    common = git_dir
    pointer = git_dir / "commondir"
    if pointer.is_file():
        common = (git_dir / pointer.read_text().strip()).resolve()
    return Found(git_dir, common, workdir)


def read_symbolic(found: Found, name: str = "HEAD") -> str | None:
    """The ref `name` points at (`refs/heads/main`), or None when it holds a commit id."""
    text = _loose(found, name)
    if text is not None and text.startswith("ref:"):
        return text[4:].strip()
    return None


def read_ref(found: Found, name: str) -> str | None:
    """The commit id `name` points at (following symbolic refs), or None when it is unset."""
    for _ in range(10):
        text = _loose(found, name)
        if text is None:
            return _packed(found, name)
        if not text.startswith("ref:"):
            return text if is_object_id(text) else None
        name = text[4:].strip()
    return None


def read_ref_raw(found: Found, name: str) -> str | None:
    """What the ref `name` itself holds (an id, or `ref: ...` for a symbolic one), from its
    loose file, else from `packed-refs`; None when it is unset. The compare-and-swap reads
    this under the ref's lock, as Git does."""
    text = _loose(found, name)
    return _packed(found, name) if text is None else text


def _loose(found: Found, name: str) -> str | None:
    own = name == "HEAD" or not name.startswith("refs/")
    folder = found.git_dir if own else found.common_dir
    try:
        return (folder / name).read_text().strip()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _packed(found: Found, name: str) -> str | None:
    try:
        text = (found.common_dir / "packed-refs").read_text()
    except FileNotFoundError:
        return None
    suffix = f" {name}"
    for line in text.splitlines():
        if line.endswith(suffix) and not line.startswith(("#", "^")):
            oid = line[: -len(suffix)]
            return oid if is_object_id(oid) else None
    return None
