"""`--push`: one operation, one commit, pushed to the remote registry branch (DESIGN §4).

Fetch the branch, run the operation on its tip, commit, push fast-forward only. When the push
is refused because the branch moved, or its answer never came: fetch again and look for this
operation's `Modelreg-Op-Id` in what the remote gained (a push that landed but whose answer was
lost is not applied twice), else run the operation again on the new tip (a registration takes
the next free number). Bounded, jittered tries; then a Conflict naming the branch and the tries.
"""

from __future__ import annotations

import dataclasses
import random
import time
from typing import TYPE_CHECKING

from modelreg import faults
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import Conflict, GitError
from modelreg.history import OP_ID_TRAILER, parse_trailers
from modelreg.landing import local
from modelreg.landing.results import Pushed
from modelreg.snapshot import Snapshot

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo
    from modelreg.writer import Check

MAX_TRIES = 10
CONTENDED_FOR = 2.0  # seconds a lost race (or a landed write) keeps this process polite
HAMMERING = 0.5  # seconds: a write this soon after one that landed may be racing others
SEARCH_LIMIT = 10_000  # commits walked back when looking for a lost push


def target_branch(repo: GitRepo, remote: str, branch: str) -> str:
    """The registry branch: `registry.yaml`'s `branch`, else the remote's default branch."""
    from modelreg.gitrepo import default_branch

    return branch or default_branch(repo, remote)


def fetch_tip(repo: GitRepo, remote: str, branch: str) -> str:
    """The remote's tip of `branch`, fetched; GitError when the remote has no such branch."""
    from modelreg.gitrepo import fetch_branch

    tip = fetch_branch(repo, remote, branch)
    if tip is None:
        raise GitError(f"{remote} has no branch {branch!r}; push the registry there first "
                       f"(git push {remote} HEAD:{branch})")
    return tip


def remote_snapshot(repo: GitRepo, prefix: str, *, remote: str, branch: str) -> Snapshot:
    """The registry as the remote's registry branch holds it now (a transaction's base)."""
    with local.locked(repo):
        tip = fetch_tip(repo, remote, target_branch(repo, remote, branch))
    return Snapshot(repo.tree_files(tip, prefix))


def push(
    repo: GitRepo, prefix: str, operation: Operation, ctx: OpContext, *,
    remote: str = "origin", branch: str = "", check: Check | None = None,
) -> Pushed:
    """Land `operation` as one commit on the remote registry branch, then bring the local
    branch along (see the module's docstring)."""
    target = target_branch(repo, remote, branch)
    with local.locked(repo):
        pushed = _land(repo, prefix, operation, ctx, remote=remote, target=target, check=check)
        if pushed.committed:
            note = local.bring_along(repo, target, pushed.commit, remote=remote)
            pushed = dataclasses.replace(pushed, local=note)
    return pushed


def _land(
    repo: GitRepo, prefix: str, operation: Operation, ctx: OpContext, *, remote: str,
    target: str, check: Check | None,
) -> Pushed:
    from modelreg.gitrepo import PushStatus, commit_files, push_commit

    _Contention.yield_to_losers()
    first: str | None = None
    made: dict[str, Change] = {}
    for attempt in range(MAX_TRIES):
        started = time.monotonic()
        tip = fetch_tip(repo, remote, target)
        first = first or tip
        found = find_operation(repo, tip, ctx.op_id, since=first) if made else None
        if found is not None:  # an earlier try landed though its answer was lost
            change = made.get(found) or list(made.values())[-1]
            return Pushed(change=change, commit=found, retries=attempt, committed=True,
                          deduplicated=True, remote=remote, branch=target)
        _, change, writes = local.compute_on_tip(repo, prefix, operation, ctx, tip=tip,
                                                 remote=remote, branch=target, check=check)
        landed = Pushed(change=change, commit=tip, retries=attempt, committed=False,
                        remote=remote, branch=target)
        if not writes:
            return landed
        commit = commit_files(repo, tip, writes, change.message(ctx.op_id))
        made[commit] = change
        faults.point("before_push")
        status = push_commit(repo, remote, commit, target)
        _Contention.timed(started)
        if status is PushStatus.PUSHED:
            faults.point("after_push")
            _Contention.won(attempt)
            return dataclasses.replace(landed, commit=commit, committed=True)
        _Contention.lost(attempt)
    raise Conflict(f"{remote}/{target} kept moving: gave up after {MAX_TRIES} tries and the "
                   "write was not applied (run it again)")


def find_operation(repo: GitRepo, tip: str, op_id: str, *, since: str | None) -> str | None:
    """The commit between `since` and `tip` (first parents) whose `Modelreg-Op-Id` is `op_id`."""
    for walked, info in enumerate(repo.first_parent_log(tip)):
        if info.id == since or walked >= SEARCH_LIMIT:
            return None
        if parse_trailers(info.message).get(OP_ID_TRAILER) == op_id:
            return info.id
    return None


class _Contention:
    """Fairness between writers racing for one branch, without talking to each other.

    Exponential backoff would hand every race to the writer that just won (it starts its next
    write at once while the losers wait ever longer), so a loser could lose all its tries.
    Here the waits are measured in rounds (one try's fetch and push, timed): a loser comes back
    within a round, sooner the more tries it has lost, and a process that lost a race lately,
    or writes again right after a write landed, starts the new write a round or so late, so
    those still retrying go first. A writer that writes now and then never waits.
    """

    until = 0.0
    round = 0.1  # seconds: how long the last try took

    @classmethod
    def timed(cls, started: float) -> None:
        cls.round = min(2.0, time.monotonic() - started)

    @classmethod
    def lost(cls, attempt: int) -> None:
        cls.until = time.monotonic() + CONTENDED_FOR
        time.sleep(random.uniform(0, cls.round * max(0.0, 1 - attempt / 2)))

    @classmethod
    def won(cls, attempt: int) -> None:
        cls.until = time.monotonic() + (CONTENDED_FOR if attempt else HAMMERING)

    @classmethod
    def yield_to_losers(cls) -> None:
        if time.monotonic() < cls.until:
            time.sleep(random.uniform(1.5, 2.5) * cls.round)
