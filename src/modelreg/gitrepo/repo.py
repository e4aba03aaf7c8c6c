"""`GitRepo`: every read of Git modelreg makes.

Reads of the registry go through one `git cat-file --batch` process and the ref files
(`catfile`, `refs`), and Git's configuration through one `git config` (`config`), which a CLI
process can afford; history and diffs use libgit2 (pygit2), imported the first time one of
them runs. A write never imports it (`commits`, `refwrite`).

Git's own environment variables are ignored on purpose: our pre-commit hook runs inside Git,
which sets `GIT_DIR` and `GIT_INDEX_FILE` for the repository being committed to, and a
registry named by path must mean that path (STYLE §14). `git` subprocesses get a scrubbed
environment for the same reason (`git_env`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from modelreg.errors import GitError, NotFound
from modelreg.gitrepo import refs
from modelreg.gitrepo.catfile import CatFile
from modelreg.gitrepo.trees import GitStats, TreeFiles

if TYPE_CHECKING:
    from modelreg.gitrepo.config import GitConfig

_SCRUBBED = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY",
             "GIT_COMMON_DIR", "GIT_NAMESPACE")


def git_env() -> dict[str, str]:
    """The environment for `git` subprocesses: ours, less what would redirect Git."""
    return {k: v for k, v in os.environ.items() if k not in _SCRUBBED}


class CommitInfo(NamedTuple):
    id: str
    parents: tuple[str, ...]
    message: str
    author_name: str
    author_email: str
    author_time: int
    commit_time: int


class Changed(NamedTuple):
    """A file that differs between two commits; `path` is relative to the registry folder."""

    path: str
    old: str | None
    new: str | None


class GitRepo:
    """One repository (a checkout or a bare repository)."""

    def __init__(self, found: refs.Found) -> None:
        self.found = found
        self.stats = GitStats()
        self.cat = CatFile(found.git_dir)

    @classmethod
    def discover(cls, path: str | os.PathLike[str]) -> GitRepo:
        found = refs.discover(Path(path))
        if found is None:
            raise GitError(f"{Path(path)} is not inside a Git repository (run `git init` first)")
        return cls(found)

    @cached_property
    def raw(self) -> Any:
        """The pygit2 repository, for history and diffs."""
        import pygit2

        return pygit2.Repository(str(self.found.git_dir))

    def close(self) -> None:
        self.cat.close()

    @property
    def git_dir(self) -> Path:
        return self.found.git_dir

    @property
    def workdir(self) -> Path | None:
        return self.found.workdir

    # -- revisions ---------------------------------------------------------------------

    def resolve(self, revision: str) -> str:
        """A commit id for a revision (`HEAD~3`, `main`, an id), or NotFound naming it."""
        obj = None
        if revision and not revision.startswith("-"):
            obj = self.cat.get(f"{revision}^{{commit}}")
        if obj is None:
            raise NotFound(f"unknown revision {revision!r} in {self.git_dir}")
        return obj.id

    def head_commit(self) -> str | None:
        """HEAD's commit, or None on a branch with no commits yet."""
        return refs.read_ref(self.found, "HEAD")

    def head_branch(self) -> str | None:
        """The branch HEAD names (`refs/heads/main`), or None when it is detached."""
        return refs.read_symbolic(self.found, "HEAD")

    def ref_target(self, ref: str) -> str | None:
        return refs.read_ref(self.found, ref)

    def commit_at(self, moment: dt.datetime, start: str | None = None) -> str:
        """The last commit at or before `moment` along first parents from `start` (HEAD).

        Commit (not author) time: it is when a change landed on the branch, which is what
        "what was in production on date X" asks about.
        """
        head = start or self.head_commit()
        limit = moment.timestamp()
        oldest = None
        for info in self.first_parent_log(head) if head else ():
            if info.commit_time <= limit:
                return info.id
            oldest = info
        when = moment.isoformat().replace("+00:00", "Z")
        reach = ""
        if oldest is not None:
            first = dt.datetime.fromtimestamp(oldest.commit_time, dt.timezone.utc)
            reach = f" (the history here starts at {first.isoformat().replace('+00:00', 'Z')})"
        raise NotFound(f"no commit at or before {when}{reach}")

    def merge_base(self, one: str, two: str) -> str | None:
        """The best common ancestor of two commits, or None when they share no history."""
        found = self.raw.merge_base(one, two)
        return None if found is None else str(found)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when `ancestor` is `descendant` or lies in its history."""
        return ancestor == descendant or bool(self.raw.descendant_of(descendant, ancestor))

    def has_commit(self, commit: str) -> bool:
        """Whether the object database holds this commit (a shallow clone may not)."""
        obj = self.cat.get(f"{commit}^{{commit}}") if commit else None
        return obj is not None

    def first_parent_log(self, commit: str | None) -> Iterator[CommitInfo]:
        """Commits from `commit` back along first parents, newest first."""
        current = self.raw[commit] if commit else None
        while current is not None:
            self.stats.objects_read += 1
            author = current.author
            yield CommitInfo(
                id=str(current.id),
                parents=tuple(str(p) for p in current.parent_ids),
                message=current.message,
                author_name=author.name,
                author_email=author.email,
                author_time=author.time,
                commit_time=current.commit_time,
            )
            current = current.parents[0] if current.parent_ids else None

    # -- trees ---------------------------------------------------------------------------

    def tree_files(self, commit: str | None, prefix: str) -> TreeFiles:
        return TreeFiles(self.cat, commit, prefix, self.stats)

    def changed_paths(self, old: str | None, new: str, prefix: str) -> list[Changed]:
        """Files under `prefix` that differ from commit `old` (None: nothing) to `new`."""
        before = self.tree_files(old, prefix).tree_id("") if old else None
        after = self.tree_files(new, prefix).tree_id("")
        if before == after:
            return []
        empty = self.raw.TreeBuilder().write()
        old_tree = self.raw[before or empty]
        new_tree = self.raw[after or empty]
        out = []
        for delta in old_tree.diff_to_tree(new_tree).deltas:
            old_id = None if delta.old_file.id.raw == b"\0" * 20 else str(delta.old_file.id)
            new_id = None if delta.new_file.id.raw == b"\0" * 20 else str(delta.new_file.id)
            out.append(Changed(delta.new_file.path or delta.old_file.path, old_id, new_id))
        return out

    # -- identity and configuration -------------------------------------------------------

    @property
    def config(self) -> GitConfig:
        """Git's configuration as a `git` command here would see it now (`gitrepo.config`)."""
        from modelreg.gitrepo import config

        return config.load(self.found.git_dir)

    def identity(self, role: str = "author") -> tuple[str, str]:
        """Git's (name, email) for the author or the committer (`gitrepo.ident`), with a
        fallback naming modelreg, so a service with no Git identity configured can write."""
        from modelreg.gitrepo.ident import who

        return who(self.config, role)

    def user_identity(self) -> str:
        """Who a manifest's `created_by` names by default: `Name <email>`, as Git shows it."""
        name, email = self.identity()
        return f"{name} <{email}>"

    def config_bool(self, key: str) -> bool:
        """A boolean setting; False when unset or not a boolean."""
        return bool(self.config_flag(key))

    def config_flag(self, key: str) -> bool | None:
        """A boolean setting, or None when it is not set (Git then keeps things as they are)."""
        try:
            return self.config.get_bool(key)
        except ValueError:
            return False

    def config_int(self, key: str, default: int) -> int:
        try:
            value = self.config.get_int(key)
        except ValueError:
            return default
        return default if value is None else value
