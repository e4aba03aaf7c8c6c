"""Building a commit from changed files, and moving a branch with compare-and-swap (DESIGN §4).

Only the trees on the changed paths are rewritten: a write costs O(depth), not O(registry),
and never goes through Git's index. The branch moves only if it still points where the
change was computed from; otherwise the writer recomputes on the new tip.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelreg.errors import GitError

if TYPE_CHECKING:
    from modelreg.gitrepo.repo import GitRepo

_BLOB = 0o100644
_TREE = 0o040000


class BranchMoved(Exception):
    """The branch no longer points at the commit the change was computed on."""


def build_tree(raw: Any, tree: Any | None, writes: Mapping[str, bytes | None]) -> Any | None:
    """The id of `tree` with `writes` applied (paths relative to it), or None when empty."""
    groups: dict[str, dict[str, bytes | None]] = {}
    leaves: dict[str, bytes | None] = {}
    for path, data in writes.items():
        head, sep, rest = path.partition("/")
        if sep:
            groups.setdefault(head, {})[rest] = data
        else:
            leaves[head] = data
    builder = raw.TreeBuilder(tree) if tree is not None else raw.TreeBuilder()
    for name, data in leaves.items():
        if data is None:
            if builder.get(name) is not None:
                builder.remove(name)
        else:
            builder.insert(name, raw.create_blob(data), _BLOB)
    for name, sub in groups.items():
        existing = tree[name] if tree is not None and name in tree else None
        subtree = existing if existing is not None and existing.filemode == _TREE else None
        new = build_tree(raw, subtree, sub)
        if new is None:
            if builder.get(name) is not None:
                builder.remove(name)
        else:
            builder.insert(name, new, _TREE)
    if len(builder) == 0:
        return None
    return builder.write()


def commit_files(
    repo: GitRepo, base: str | None, writes: Mapping[str, bytes | None], message: str
) -> str:
    """A new commit whose parent is `base` and whose tree is base's with `writes` applied
    (paths relative to the repository). Signed when Git's configuration asks for it."""
    import pygit2

    raw = repo.raw
    root = raw[base].peel(pygit2.Tree) if base else None
    tree = build_tree(raw, root, writes)
    if tree is None:
        tree = raw.TreeBuilder().write()
    if repo.config_bool("commit.gpgsign"):
        return _signed_commit(repo, str(tree), base, message)
    name, email = repo.identity()
    local = dt.datetime.now().astimezone()
    offset = int((local.utcoffset() or dt.timedelta()).total_seconds() // 60)
    author = pygit2.Signature(name, email, int(local.timestamp()), offset)
    parents = [base] if base else []
    return str(raw.create_commit(None, author, author, message, tree, parents))


def _signed_commit(repo: GitRepo, tree: str, base: str | None, message: str) -> str:
    from modelreg.gitrepo.repo import git_env

    args = ["git", "commit-tree", tree, *(["-p", base] if base else [])]
    proc = subprocess.run(
        args, input=message, cwd=repo.git_dir, capture_output=True, text=True, env=git_env()
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["git commit-tree failed"])[-1]
        raise GitError(f"could not sign the commit: {last}")
    return proc.stdout.strip()


def compare_and_swap(repo: GitRepo, ref: str, new: str, expected: str | None, message: str) -> None:
    """Point `ref` at `new` if it still points at `expected` (None: it must not exist yet).

    libgit2 holds the ref's lock file while comparing and writing, the same lock `git` takes,
    so no other writer, ours or Git's, slips in between.
    """
    import pygit2

    raw = repo.raw
    try:
        with raw.transaction() as txn:
            txn.lock_ref(ref)
            current = repo.ref_target(ref)
            if current != expected:
                raise BranchMoved(ref)
            txn.set_target(ref, new, message=message)
    except pygit2.GitError as exc:
        if "lock" in str(exc):
            raise BranchMoved(ref) from exc
        raise GitError(f"could not update {ref}: {exc}") from exc
