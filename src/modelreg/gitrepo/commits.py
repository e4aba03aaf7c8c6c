"""Building a commit from changed files, and moving a branch with compare-and-swap (DESIGN §4).

Only the trees on the changed paths are rewritten (`objects.TreeEditor`): a write costs
O(depth), not O(registry), and never goes through Git's index. The commit is written as a
loose object by Python, byte for byte what libgit2 wrote (importing pygit2 cost a CLI write
50-80 ms, issue #5). The branch moves only if it still points where the change was computed
from (`refwrite`); otherwise the writer recomputes on the new tip.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from modelreg.errors import GitError
from modelreg.gitrepo.refwrite import BranchMoved, compare_and_swap

if TYPE_CHECKING:
    from modelreg.gitrepo.ident import Ident
    from modelreg.gitrepo.objects import Folder
    from modelreg.gitrepo.repo import GitRepo

__all__ = ["BranchMoved", "commit_bytes", "commit_files", "compare_and_swap"]
_DATES = ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")


def commit_files(
    repo: GitRepo, base: str | None, writes: Mapping[str, bytes | None], message: str, *,
    known: Mapping[str, Folder] | None = None,
) -> str:
    """A new commit whose parent is `base` and whose tree is base's with `writes` applied
    (paths relative to the repository). Signed when Git's configuration asks for it.

    `known`: folders of `base` a snapshot already read (`TreeFiles.folders`)."""
    from modelreg.gitrepo.ident import now_ident
    from modelreg.gitrepo.objects import TreeEditor

    root = repo.cat.get(f"{base}^{{tree}}") if base else None
    editor = TreeEditor(repo, known)
    if root is not None:
        repo.stats.objects_read += 1
        editor.fetched[root.id] = root.data
    tree = editor.build(root.id if root else None, writes) or editor.out.write(b"tree", b"")
    parents = [base] if base else []
    sign = repo.config_bool("commit.gpgsign")
    if sign or any(name in os.environ for name in _DATES):
        return _git_commit_tree(repo, tree, parents, message, sign=sign)
    config = repo.config
    author, committer = now_ident(config, "author"), now_ident(config, "committer")
    return editor.out.write(b"commit", commit_bytes(tree, parents, author, committer, message))


def commit_bytes(
    tree: str, parents: Sequence[str], author: Ident, committer: Ident, message: str
) -> bytes:
    """A commit object's content, as libgit2's `git_commit_create` and `git commit-tree`
    write it (UTF-8, so no `encoding` header; the message as it is)."""
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents),
             f"author {author.line()}", f"committer {committer.line()}", "", message]
    return "\n".join(lines).encode("utf-8")


def _git_commit_tree(
    repo: GitRepo, tree: str, parents: Sequence[str], message: str, *, sign: bool
) -> str:
    """`git commit-tree`, which signs (`-S`: it does not read `commit.gpgSign` itself) and
    reads the dates Git's environment sets (`GIT_AUTHOR_DATE`) in all the forms Git accepts;
    the names are ours, so a repository with no identity configured can still write."""
    from modelreg.gitrepo.ident import who
    from modelreg.gitrepo.repo import git_env

    env = git_env()
    for role in ("author", "committer"):
        name, email = who(repo.config, role)
        env[f"GIT_{role.upper()}_NAME"], env[f"GIT_{role.upper()}_EMAIL"] = name, email
    args = ["git", "commit-tree", *(["-S"] if sign else []), tree,
            *(arg for p in parents for arg in ("-p", p))]
    proc = subprocess.run(args, input=message, cwd=repo.git_dir, capture_output=True,
                          text=True, env=env, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["git commit-tree failed"])[-1]
        raise GitError(f"could not make the commit: {last}")
    return proc.stdout.strip()
