"""Building a commit from changed files, and moving a branch with compare-and-swap (DESIGN §4).

Only the trees on the changed paths are rewritten (`objects.TreeEditor`): a write costs
O(depth), not O(registry), and never goes through Git's index. The branch moves only if it
still points where the change was computed from; otherwise the writer recomputes on the new tip.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping
from typing import TYPE_CHECKING

from modelreg.errors import GitError

if TYPE_CHECKING:
    from modelreg.gitrepo.objects import Folder
    from modelreg.gitrepo.repo import GitRepo


class BranchMoved(Exception):
    """The branch no longer points at the commit the change was computed on."""


def commit_files(
    repo: GitRepo, base: str | None, writes: Mapping[str, bytes | None], message: str, *,
    known: Mapping[str, Folder] | None = None,
) -> str:
    """A new commit whose parent is `base` and whose tree is base's with `writes` applied
    (paths relative to the repository). Signed when Git's configuration asks for it.

    `known`: folders of `base` a snapshot already read (`TreeFiles.folders`)."""
    import pygit2

    from modelreg.gitrepo.objects import TreeEditor

    raw = repo.raw
    root = repo.cat.get(f"{base}^{{tree}}") if base else None
    editor = TreeEditor(repo, known)
    if root is not None:
        repo.stats.objects_read += 1
        editor.fetched[root.id] = root.data
    tree = editor.build(root.id if root else None, writes) or editor.out.write(b"tree", b"")
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
