"""`check` and `diff` over a repository: revisions resolved, the change read from Git's trees.

The only part of `modelreg.check` that reaches the world: the `GitRepo` it is handed, and the
artifact store (opened on the first new version to verify). A base that cannot be read is a
finding, never a pass: a missing base commit (a shallow clone) or no common history with HEAD
is `BASE_UNREADABLE`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from modelreg import history, problems
from modelreg.check import codes
from modelreg.check.artifacts import Verify
from modelreg.check.judging import judge_change
from modelreg.check.links import link_problems
from modelreg.check.view import ChangeView
from modelreg.diff import RegistryDiff, registry_diff
from modelreg.errors import ModelregError, NotFirstParentAncestor
from modelreg.layout import REGISTRY_FILE
from modelreg.model import Artifacts, RegistryConfig
from modelreg.problems import Problem
from modelreg.snapshot import Snapshot

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo
    from modelreg.gitrepo.repo import Changed
    from modelreg.snapshot import Files


class Verifier(Protocol):
    def verify(self, artifacts: Artifacts) -> list[str]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """`verify_artifacts`: read the new versions' files from the store. `open_store` opens
    the store a `registry.yaml` names (e.g. `Registry.store`); by default
    `modelreg.store.open_store` with a relative store taken from the registry folder."""

    verify_artifacts: bool = True
    open_store: Callable[[RegistryConfig], Verifier] | None = None
    storage_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """The findings of one check. Paths in `problems` are registry-relative; `repo_path`
    gives the path from the repository's root (what annotations need)."""

    problems: tuple[Problem, ...]
    diff: RegistryDiff = field(default_factory=RegistryDiff)
    prefix: str = ""
    base: str = ""
    head: str = ""
    merge_base: str = ""

    @property
    def ok(self) -> bool:
        return not problems.has_errors(self.problems)

    def repo_path(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)


def check(
    repo: GitRepo, prefix: str, base: str, *, head: str = "HEAD",
    options: CheckOptions | None = None,
) -> CheckResult:
    """Judge the change merge-base(`base`, `head`)..`head` against `base`'s tip (DESIGN §5)."""
    options = options or CheckOptions()
    head_id = repo.resolve(head)
    found = _base_commit(repo, base, head_id)
    if isinstance(found, Problem):
        return CheckResult(problems=(found,), prefix=prefix, head=head_id)
    base_id, merge_base = found
    changed = repo.changed_paths(merge_base, head_id, prefix)
    after = repo.tree_files(head_id, prefix)
    view = ChangeView.build(repo.tree_files(merge_base, prefix), after,
                            repo.tree_files(base_id, prefix), [c.path for c in changed])
    verify = _verifier(repo, prefix, view, options) if options.verify_artifacts else None
    judged = judge_change(view, verify=verify) + link_problems(_hidden(repo, changed, after))
    return CheckResult(problems=tuple(problems.sort(judged)), diff=view.diff,
                       prefix=prefix, base=base_id, head=head_id, merge_base=merge_base)


def _hidden(repo: GitRepo, changed: list[Changed], after: Files) -> dict[str, bytes | None]:
    """Paths the change adds that a tree read hides: a link (its target) or a submodule."""
    hidden: dict[str, bytes | None] = {}
    for change in changed:
        if change.new is not None and after.blob_id(change.path) is None:
            obj = repo.cat.get(change.new)
            hidden[change.path] = obj.data if obj is not None and obj.kind == "blob" else None
    return hidden


def diff_revisions(repo: GitRepo, prefix: str, *, old: str, new: str) -> RegistryDiff:
    """The registry diff between two revisions (`modelreg diff OLD NEW`), read by path."""
    old_id, new_id = repo.resolve(old), repo.resolve(new)
    paths = [c.path for c in repo.changed_paths(old_id, new_id, prefix)]
    return registry_diff(Snapshot(repo.tree_files(old_id, prefix)),
                         Snapshot(repo.tree_files(new_id, prefix)), paths)


def diff_first_parent(
    repo: GitRepo, prefix: str, *, old: str, new: str
) -> list[history.LogEntry]:
    """`modelreg diff --first-parent OLD NEW`: the registry diff of each commit after OLD up to
    NEW along NEW's first parents, each against its first parent (a merge: what it brought
    into the branch), oldest first; commits that left the registry as it was are left out.

    What a deployment job reads after a push of several merges: the net diff of `before` and
    `after` would hide an alias moved twice (v1 -> v2 -> v3 reads as v1 -> v3). Raises
    `NotFirstParentAncestor` unless OLD is NEW or one of its first parents.
    """
    old_id, new_id = repo.resolve(old), repo.resolve(new)
    _require_first_parent(repo, (old, old_id), (new, new_id))
    entries = list(history.log(repo, prefix, rev=new_id, since=old_id))
    entries.reverse()
    return entries


def _require_first_parent(repo: GitRepo, old: tuple[str, str], new: tuple[str, str]) -> None:
    """Each a (revision as given, commit): fine when old's commit is on new's first parents."""
    if repo.is_ancestor(old[1], new[1]):
        if any(info.id == old[1] for info in repo.first_parent_log(new[1])):
            return
        why = "it is reached only through a merged branch"
    else:
        why = "it is not in its history"
    raise NotFirstParentAncestor(
        f"{_named(*old)} is not a first-parent ancestor of {_named(*new)}: {why}; drop "
        "--first-parent for the net diff of the two revisions",
        old=old[0], new=new[0])


def _named(revision: str, commit: str) -> str:
    return repr(revision) if commit.startswith(revision) else f"{revision!r} ({commit[:10]})"


def _base_commit(repo: GitRepo, base: str, head: str) -> tuple[str, str] | Problem:
    """(base commit, merge base), or the BASE_UNREADABLE finding that stops the check."""
    shallow = (repo.git_dir / "shallow").exists()
    hint = (" (this clone is shallow: fetch the base, e.g. `git fetch --deepen=50 origin "
            "<base branch>`, or check out with fetch-depth: 0)") if shallow else ""
    try:
        base_id = repo.resolve(base)
    except ModelregError:
        return _unreadable(f"the base {base!r} is not in this repository{hint}; without it "
                           "nothing can be judged, so the check fails")
    try:
        merge_base = repo.merge_base(base_id, head)
    except Exception as exc:  # libgit2 on a cut history: fail closed, whatever it says
        merge_base = None
        hint = hint or f" ({type(exc).__name__}: {exc})"
    if merge_base is None:
        return _unreadable(f"the base {base_id[:10]} and HEAD {head[:10]} have no common history "
                           f"here{hint}; the change cannot be told, so the check fails")
    return base_id, merge_base


def _unreadable(message: str) -> Problem:
    return Problem(path=REGISTRY_FILE, code=codes.BASE_UNREADABLE, message=message)


def _verifier(repo: GitRepo, prefix: str, view: ChangeView, options: CheckOptions) -> Verify:
    """`Store.verify` of the store the base branch names (the changed registry's when the
    change creates it), opened on first use: a change cannot point the check at a store of its
    choosing (it gets STORE_CHANGED)."""
    opened: list[Verifier] = []

    def verify(artifacts: Artifacts) -> list[str]:
        if not opened:
            has_base = view.base.files.blob_id(REGISTRY_FILE) is not None
            config = (view.base if has_base else view.merged).config()
            if options.open_store is not None:
                opened.append(options.open_store(config))
            else:
                from modelreg.store import open_store

                root = repo.workdir if repo.workdir is not None else repo.git_dir
                folder = Path(root) / prefix if prefix else Path(root)
                opened.append(open_store(config.store, base_dir=folder,
                                         storage_options=dict(options.storage_options)))
        return opened[0].verify(artifacts)

    return verify
