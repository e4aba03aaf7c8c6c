"""`modelreg rebase` and `modelreg revert`: the Git side of `modelreg.replay`.

rebase: the change a proposal branch makes (merge-base..tip) is re-applied on the registry
branch's new tip as one commit (registrations renumbered where the tip took their numbers),
and the branch is force-pushed with a lease, so a push someone made to it meanwhile is never
lost. The operation id stays the branch tip's, so `proposal status` still finds it.
revert: the inverse operations of one commit, as one operation for the registry to land.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from modelreg import replay
from modelreg.change import Change, OpContext, Operation, format_time
from modelreg.errors import Conflict, GitError, InvalidParameter, NotFound
from modelreg.history import OP_ID_TRAILER, parse_trailers
from modelreg.landing import local
from modelreg.landing.proposing import record, registry_change
from modelreg.landing.pushing import fetch_tip, target_branch
from modelreg.snapshot import Snapshot

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo
    from modelreg.writer import Check


@dataclass(frozen=True, slots=True, kw_only=True)
class Rebased:
    """`renumbered`: (model, number on the old branch) -> its number now."""

    branch: str
    base: str
    commit: str
    committed: bool
    change: Change | None = None
    renumbered: dict[tuple[str, int], int] = field(default_factory=dict)
    local: str = ""


def rebase(
    repo: GitRepo, prefix: str, branch: str, *, actor: str, remote: str = "origin",
    base: str = "", check: Check | None = None,
) -> Rebased:
    """Re-apply `branch`'s registry change on the registry branch's tip; force-push it."""
    from modelreg.gitrepo import PushStatus, fetch_branch, push_with_lease

    base = target_branch(repo, remote, base)
    if branch == base:
        raise InvalidParameter(f"{branch} is the registry branch itself; name a proposal branch")
    with local.locked(repo):
        base_tip, old_tip = fetch_tip(repo, remote, base), fetch_branch(repo, remote, branch)
        if old_tip is None:
            raise NotFound(f"{remote} has no branch {branch!r} to rebase (the proposals there: "
                           f"git ls-remote --heads {remote} 'modelreg/*')")
        fork = repo.merge_base(base_tip, old_tip)
        if fork is None:
            raise GitError(f"{branch} shares no history with {base}; it cannot be rebased")
        if fork == base_tip:
            return Rebased(branch=branch, base=base, commit=old_tip, committed=False)
        change, commit, numbers = _replayed(repo, prefix, (fork, old_tip, base_tip),
                                            actor=actor, check=check)
        status = push_with_lease(repo, remote, commit, branch, old_tip)
        if status is not PushStatus.PUSHED and fetch_branch(repo, remote, branch) != commit:
            raise Conflict(f"{branch} moved on {remote} while it was rebased; run "
                           f"`modelreg rebase {branch}` again")
        note = _follow(repo, branch, old_tip, commit)
        record(repo, branch, commit)
    return Rebased(branch=branch, base=base, commit=commit, committed=True, change=change,
                   renumbered=numbers.moved(), local=note)


def _replayed(
    repo: GitRepo, prefix: str, commits: tuple[str, str, str], *, actor: str,
    check: Check | None,
) -> tuple[Change, str, replay.Renumbering]:
    from modelreg.gitrepo import commit_files

    fork, old_tip, base_tip = commits
    diff = registry_change(repo, prefix, fork, old_tip)
    if not diff:
        raise InvalidParameter("the branch changes nothing in the registry; nothing to rebase")
    operations, numbers = replay.reapply(diff, head=Snapshot(repo.tree_files(old_tip, prefix)))
    message = next(iter(repo.first_parent_log(old_tip))).message
    op_id = parse_trailers(message).get(OP_ID_TRAILER) or str(uuid.uuid4())
    ctx = OpContext(now=format_time(), actor=actor, op_id=op_id)
    snapshot = Snapshot(repo.tree_files(base_tip, prefix))
    summary = (message.strip().splitlines() or ["Re-apply a proposal"])[0]
    change = replay.as_one(operations, summary=summary)(snapshot, ctx)
    if check is not None:
        check(snapshot, change)
    writes = local.effective(snapshot, change.writes, prefix)
    if not writes:
        raise InvalidParameter("the registry branch already has everything the branch changes")
    return change, commit_files(repo, base_tip, writes, change.message(op_id)), numbers


def _follow(repo: GitRepo, branch: str, old_tip: str, commit: str) -> str:
    """Move the local `branch` too when it was where the remote's was; '' or why not."""
    from modelreg.gitrepo import BranchMoved, compare_and_swap, reset_checkout_keep

    ref = f"refs/heads/{branch}"
    current = repo.ref_target(ref)
    if current is None:
        return ""
    if current != old_tip:
        return f"local {branch} was not at the proposal's old tip, so it was left as it is"
    if repo.workdir is not None and repo.head_branch() == ref:
        why = reset_checkout_keep(repo, commit)
        return f"the checkout of {branch} was left as it is ({why})" if why else ""
    try:
        compare_and_swap(repo, ref, commit, old_tip, f"modelreg: rebased {branch}")
    except BranchMoved:
        return f"local {branch} moved meanwhile, so it was left as it is"
    return ""


def revert_operation(repo: GitRepo, prefix: str, revision: str) -> Operation:
    """The inverse operations of the registry change commit `revision` made, as one."""
    commit = repo.resolve(revision)
    info = next(iter(repo.first_parent_log(commit)))
    parent = info.parents[0] if info.parents else None
    diff = registry_change(repo, prefix, parent, commit)
    if not diff:
        raise InvalidParameter(f"commit {commit[:10]} changes nothing in the registry")
    before = Snapshot(repo.tree_files(parent, prefix))
    subject = (info.message.strip().splitlines() or [commit[:10]])[0]
    return replay.combine(
        replay.inverse(diff, old=before), op="revert", summary=f'Revert "{subject}"',
        body=f"This reverts commit {commit}.", trailers=(("Reverts", commit),),
    )
