"""Everything that talks to Git (STYLE §1): reads of trees and history, commits, refs.

Registry reads go through one `git cat-file --batch` process and the ref files; history and
diffs through libgit2 (pygit2); a write's objects, commit, ref update and index entries are
written by Python (`objects`, `commits`, `refwrite`, `staging`), touching only what the write
changes, with Git's configuration read by one `git config` (`config`).
Names are imported on first use (PEP 562), so a resolve loads only the read path. Only this
package and `store` touch the outside world.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelreg.gitrepo.checkout import Checkout
    from modelreg.gitrepo.commits import BranchMoved, commit_files, compare_and_swap
    from modelreg.gitrepo.refwrite import MoveNote
    from modelreg.gitrepo.remote import (
        PushStatus,
        default_branch,
        fast_forward_checkout,
        fetch_branch,
        private_ref,
        push_commit,
        push_with_lease,
        remote_url,
        reset_checkout_keep,
    )
    from modelreg.gitrepo.repo import Changed, CommitInfo, GitRepo, git_env
    from modelreg.gitrepo.trees import GitStats, TreeFiles
    from modelreg.gitrepo.worktree import WorktreeFiles

_WHERE = {
    "Checkout": "checkout",
    "BranchMoved": "commits",
    "commit_files": "commits",
    "compare_and_swap": "commits",
    "MoveNote": "refwrite",
    "Changed": "repo",
    "CommitInfo": "repo",
    "GitRepo": "repo",
    "git_env": "repo",
    "PushStatus": "remote",
    "default_branch": "remote",
    "fast_forward_checkout": "remote",
    "fetch_branch": "remote",
    "private_ref": "remote",
    "push_commit": "remote",
    "push_with_lease": "remote",
    "remote_url": "remote",
    "reset_checkout_keep": "remote",
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
    "MoveNote",
    "PushStatus",
    "TreeFiles",
    "WorktreeFiles",
    "commit_files",
    "compare_and_swap",
    "default_branch",
    "fast_forward_checkout",
    "fetch_branch",
    "git_env",
    "private_ref",
    "push_commit",
    "push_with_lease",
    "remote_url",
    "reset_checkout_keep",
]
