"""The writer: one operation becomes exactly one commit (DESIGN §4, STYLE §2).

The operation is computed on the branch tip without a lock; the commit is built from Git
objects; then, under a lock that serialises writers on this machine, the branch is checked
and moved with a compare-and-swap and the checkout brought in line. When the branch moved
meanwhile the operation runs again on the new tip (a registration then takes the next free
number). After two lock-free tries the operation is computed under the lock, so a writer
always gets through, however busy the registry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modelreg import faults, lockfile
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import Conflict
from modelreg.snapshot import Snapshot, content_id

if TYPE_CHECKING:
    from modelreg.gitrepo import Checkout, GitRepo

LOCK_FREE_ATTEMPTS = 2
MAX_ATTEMPTS = 10
LOCK_TIMEOUT = 120.0
LOCK_FILE = "modelreg/write.lock"
Check = Callable[[Snapshot, Change], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteResult:
    """`commit` is the new commit, or the unchanged tip when the change wrote nothing new."""

    change: Change
    commit: str
    retries: int
    committed: bool


def apply(
    repo: GitRepo, prefix: str, operation: Operation, ctx: OpContext, *,
    ref: str | None = None, check: Check | None = None,
) -> WriteResult:
    """Run `operation` on the tip of `ref` (HEAD's branch by default) and commit its change."""
    from modelreg.gitrepo import BranchMoved

    target = ref or _head_branch(repo)
    for attempt in range(MAX_ATTEMPTS):
        locked = attempt >= LOCK_FREE_ATTEMPTS
        try:
            with lock(repo) if locked else nullcontext():
                result = _attempt(repo, prefix, operation, ctx, target=target, check=check,
                                  locked=locked, retries=attempt)
        except BranchMoved:
            import random  # only when racing another writer

            time.sleep(random.uniform(0, 0.002 * 2**attempt))  # jitter: do not retry in step
            continue
        if result.committed:
            _maintain(repo)
        return result
    raise Conflict(f"{target} kept moving; the write was not applied (try again)")


def _head_branch(repo: GitRepo) -> str:
    branch = repo.head_branch()
    if branch is None:
        raise Conflict("HEAD is detached; check out a branch to write to the registry")
    return branch


def _attempt(
    repo: GitRepo, prefix: str, operation: Operation, ctx: OpContext, *, target: str,
    check: Check | None, locked: bool, retries: int,
) -> WriteResult:
    base = repo.ref_target(target)
    files = repo.tree_files(base, prefix)
    snapshot = Snapshot(files)
    change = operation(snapshot, ctx)
    if check is not None:
        check(snapshot, change)
    writes = effective(snapshot, change.writes, prefix)
    if not writes:
        return WriteResult(change=change, commit=base or "", retries=retries, committed=False)
    from modelreg.gitrepo import commit_files

    commit = commit_files(repo, base, writes, change.message(ctx.op_id),
                          known=files.folders())
    committed = {path: files.blob_id(path[len(prefix) + 1 :] if prefix else path)
                 for path in writes}  # read already: the snapshot keeps its folders
    with nullcontext() if locked else lock(repo):
        _publish(repo, target, base, commit, writes, committed, summary=change.summary)
    return WriteResult(change=change, commit=commit, retries=retries, committed=True)


def effective(
    snapshot: Snapshot, writes: Mapping[str, bytes | None], prefix: str
) -> dict[str, bytes | None]:
    """The writes that change something, with paths relative to the repository."""
    out: dict[str, bytes | None] = {}
    for path, data in writes.items():
        current = snapshot.files.blob_id(path)
        if (data is None and current is None) or (data is not None and current == content_id(data)):
            continue
        out[f"{prefix}/{path}" if prefix else path] = data
    return out


def _publish(
    repo: GitRepo, target: str, base: str | None, commit: str,
    writes: Mapping[str, bytes | None], committed: Mapping[str, str | None], *, summary: str,
) -> None:
    """Under the lock: check the branch, move it, bring the checkout in line (`committed`:
    the written paths' blob ids in `base`, which the checkout must still hold)."""
    from modelreg.gitrepo import BranchMoved, MoveNote, compare_and_swap

    checkout = _checkout(repo, target)
    moving = MoveNote(repo)
    moving.complete_pending()  # a killed write's, whichever branch it moved
    pending = checkout if checkout is not None else moving  # the note this write leaves
    if checkout is not None:
        checkout.complete_pending()
    if repo.ref_target(target) != base:
        raise BranchMoved(target)
    if checkout is not None:
        checkout.refuse_dirty(committed)
    pending.leave_note(target, base, commit)
    faults.point("before_cas")
    try:
        compare_and_swap(repo, target, commit, base, f"modelreg: {summary}")
    except BaseException:
        pending.drop_note()
        raise
    faults.point("after_cas")
    if checkout is not None:
        checkout.sync(writes)
    pending.drop_note()


def _checkout(repo: GitRepo, target: str) -> Checkout | None:
    """The checkout to keep in line: only when its HEAD is the branch being written."""
    if repo.workdir is None or repo.head_branch() != target:
        return None
    from modelreg.gitrepo import Checkout

    return Checkout(repo)


@contextmanager
def lock(repo: GitRepo) -> Iterator[None]:
    """The lock that serialises writers on this machine (`.git/modelreg/write.lock`).

    `flock` where there is one, as `filelock` does, without importing it (~15 ms of a CLI
    write), and polled every 2 ms rather than 50: writers queued behind one go sooner."""
    path = repo.git_dir / LOCK_FILE
    with lockfile.held(path, timeout=LOCK_TIMEOUT, poll=0.002, stuck=lambda: _held(path)):
        yield


def _held(path: Path) -> Conflict:
    return Conflict(f"another modelreg write has held {path} for {LOCK_TIMEOUT:.0f} s")


def _maintain(repo: GitRepo) -> None:
    """Plumbing writes do not trigger Git's automatic maintenance, so the writer starts it,
    outside the lock and detached (`gitrepo.upkeep`)."""
    from modelreg.gitrepo import upkeep

    if upkeep.needs_gc(repo):
        upkeep.start_gc(repo)
