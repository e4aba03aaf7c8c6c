"""This machine's side of a remote write: the writer's lock, and bringing the local branch
(and the checkout on it) along to what landed on the remote."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from modelreg.errors import Conflict
from modelreg.snapshot import Snapshot, content_id
from modelreg.writer import LOCK_FILE, LOCK_TIMEOUT

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo


@contextmanager
def locked(repo: GitRepo) -> Iterator[None]:
    """The lock the direct writer takes (`modelreg/write.lock` in the Git folder): writers on
    one machine take turns, so fetches into the private refs and the local branch never race.
    """
    import filelock

    path = repo.git_dir / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lock: Any = filelock.FileLock(str(path), timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise Conflict(f"another modelreg write has held {path} for {LOCK_TIMEOUT:.0f} s") from None
    try:
        yield
    finally:
        lock.release()


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
