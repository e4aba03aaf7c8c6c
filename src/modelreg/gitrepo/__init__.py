"""Everything that talks to Git (STYLE §1): reads of trees and history, commits, refs.

Objects are read and written with libgit2 (pygit2): trees at C speed, which the flat layout
needs at 10,000+ models (DESIGN §6). Only this package and `store` touch the outside world.
"""

from __future__ import annotations

from modelreg.gitrepo.checkout import Checkout
from modelreg.gitrepo.commits import BranchMoved, commit_files, compare_and_swap
from modelreg.gitrepo.repo import Changed, CommitInfo, GitRepo, git_env
from modelreg.gitrepo.trees import GitStats, TreeFiles
from modelreg.gitrepo.worktree import WorktreeFiles

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
