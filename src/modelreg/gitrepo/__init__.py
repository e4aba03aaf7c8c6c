"""Everything that talks to Git (STYLE §1): reads of trees and history, commits, refs.

Registry reads go through one `git cat-file --batch` process and the ref files; history,
configuration and writes through libgit2 (pygit2). Names are imported on first use (PEP 562),
so a resolve loads only the read path. Only this package and `store` touch the outside world.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelreg.gitrepo.checkout import Checkout
    from modelreg.gitrepo.commits import BranchMoved, commit_files, compare_and_swap
    from modelreg.gitrepo.repo import Changed, CommitInfo, GitRepo, git_env
    from modelreg.gitrepo.trees import GitStats, TreeFiles
    from modelreg.gitrepo.worktree import WorktreeFiles

_WHERE = {
    "Checkout": "checkout",
    "BranchMoved": "commits",
    "commit_files": "commits",
    "compare_and_swap": "commits",
    "Changed": "repo",
    "CommitInfo": "repo",
    "GitRepo": "repo",
    "git_env": "repo",
    "GitStats": "trees",
    "TreeFiles": "trees",
    "WorktreeFiles": "worktree",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"modelreg.gitrepo.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'modelreg.gitrepo' has no attribute {name!r}")


__all__ = [
    "BranchMoved",
    "Changed",
    "Checkout",
    "CommitInfo",
    "GitRepo",
    "GitStats",
    "TreeFiles",
    "WorktreeFiles",
    "commit_files",
    "compare_and_swap",
    "git_env",
]
