"""This machine's side of a remote write: the writer's lock, and bringing the local branch
(and the checkout on it) along to what landed on the remote."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from modelreg.change import Change, OpContext, Operation
from modelreg.errors import NotFound
from modelreg.snapshot import Snapshot
from modelreg.writer import Check, effective, lock

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo


# The direct writer's lock and no-op filter: writers on one machine take turns, whichever way
# they land, so fetches into the private refs and the local branch never race.
locked = lock


def bring_along(repo: GitRepo, branch: str, landed: str, *, remote: str) -> str:
    """Fast-forward the local `branch` (and the checkout, when HEAD is on it) to `landed` if it
    has nothing the remote lacks; '' when done or nothing to do, else why it was left."""
    from modelreg.gitrepo import BranchMoved, compare_and_swap, fast_forward_checkout

    ref = f"refs/heads/{branch}"
    local = repo.ref_target(ref)
    if local is None or local == landed:
        return ""
    if not repo.is_ancestor(local, landed):
        return (f"local {branch} has commits {remote} does not, so it was left as it is "
                f"(`git pull --rebase {remote} {branch}` brings the write in)")
    if repo.workdir is not None and repo.head_branch() == ref:
        why = fast_forward_checkout(repo, landed)
        if why:
            return f"the checkout of {branch} was left at {local[:10]} ({why})"
        return ""
    try:
        compare_and_swap(repo, ref, landed, local, f"modelreg: fast-forward to {remote}/{branch}")
    except BranchMoved:
        return f"local {branch} moved meanwhile, so it was left as it is"
    return ""


@contextmanager
def computed_on(remote: str, branch: str) -> Iterator[None]:
    """Say where an operation ran when it names what is missing there: a remote write is
    computed on the remote's tip, so what exists only in this clone is not found."""
    try:
        yield
    except NotFound as exc:
        raise type(exc)(f"{exc} on {remote}/{branch} (a remote write is computed on its "
                        "tip, not on this clone)", code=exc.code) from exc


def compute_on_tip(
    repo: GitRepo, prefix: str, operation: Operation, ctx: OpContext, *, tip: str | None,
    remote: str, branch: str, check: Check | None,
) -> tuple[Snapshot, Change, dict[str, bytes | None]]:
    """Run `operation` on the remote branch's fetched `tip`, guard it, and keep the writes
    that change something: what every remote landing (push, propose) does first."""
    snapshot = Snapshot(repo.tree_files(tip, prefix))
    with computed_on(remote, branch):
        change = operation(snapshot, ctx)
    if check is not None:
        check(snapshot, change)
    return snapshot, change, effective(snapshot, change.writes, prefix)


__all__ = ["bring_along", "compute_on_tip", "computed_on", "effective", "locked"]
