"""Talking to a remote: fetch a branch, find the default branch, push a commit (DESIGN §4).

Every call is one `git` subprocess with `git_env()`, so whatever Git's configuration says
about transports, credentials, `insteadOf` rewrites and SSH applies as it would to `git push`.

A fetch lands in a private ref, `refs/modelreg/remotes/<remote>/<branch>`, not in
`refs/remotes/<remote>/<branch>`: a write must not move the user's remote-tracking refs behind
their back (what `git status` says about "behind by 3" stays what their last `git fetch` saw),
and a private ref cannot collide with a fetch refspec the user configured differently. A
successful `git push` still updates the remote-tracking ref itself, as it always does.
"""

from __future__ import annotations

import enum
import re
import subprocess
from typing import TYPE_CHECKING

from modelreg.errors import GitError
from modelreg.gitrepo.repo import git_env

if TYPE_CHECKING:
    from modelreg.gitrepo.repo import GitRepo

PRIVATE_PREFIX = "refs/modelreg/remotes"
_RETRYABLE = ("fast-forward", "fetch first", "stale info", "lock", "expected", "failed to update")


class PushStatus(str, enum.Enum):
    """PUSHED: the remote took it. REJECTED: the branch moved there (fetch and try again).
    UNKNOWN: no answer came back (the push may have landed: look for it before retrying)."""

    PUSHED = "pushed"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


def private_ref(remote: str, branch: str) -> str:
    """Where `fetch_branch` keeps the remote's tip of `branch`."""
    return f"{PRIVATE_PREFIX}/{_ref_safe(remote)}/{branch}"


def _ref_safe(remote: str) -> str:
    """A remote given as a URL or a path still names one ref folder."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", remote).strip("._") or "remote"


def _git(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.git_dir, env=git_env(),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _last_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or [f"git exited with {proc.returncode}"])[-1]


def remote_url(repo: GitRepo, remote: str, *, expand: bool = False) -> str:
    """The URL of `remote` as configured (or, with `expand`, after `insteadOf` rewrites);
    a remote given as a URL or a path is its own URL."""
    if expand:
        proc = _git(repo, "ls-remote", "--get-url", remote)
        return proc.stdout.strip() or remote
    proc = _git(repo, "config", "--get", f"remote.{remote}.url")
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.strip()
    if "/" in remote or ":" in remote:
        return remote
    raise GitError(
        f"no remote {remote!r} in {repo.git_dir} (add it with `git remote add {remote} URL`)"
    )


def default_branch(repo: GitRepo, remote: str) -> str:
    """The branch the remote's HEAD names (`main`), as `git ls-remote --symref` tells it."""
    remote_url(repo, remote)
    proc = _git(repo, "ls-remote", "--symref", remote, "HEAD")
    if proc.returncode != 0:
        raise GitError(f"cannot read the default branch of {remote}: {_last_line(proc)}")
    for line in proc.stdout.splitlines():
        if line.startswith("ref:") and line.endswith("\tHEAD"):
            return line[4:-5].strip().removeprefix("refs/heads/")
    raise GitError(
        f"{remote} has no default branch (is it empty?); push a branch first or set "
        "`branch:` in registry.yaml"
    )


def fetch_branch(repo: GitRepo, remote: str, branch: str) -> str | None:
    """Fetch `branch` of `remote` into its private ref; its tip, or None if there is none."""
    remote_url(repo, remote)
    ref = private_ref(remote, branch)
    proc = _git(repo, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote,
                f"+refs/heads/{branch}:{ref}")
    if proc.returncode != 0:
        if "couldn't find remote ref" in proc.stderr:
            _git(repo, "update-ref", "-d", ref)
            return None
        raise GitError(f"cannot fetch {branch} from {remote}: {_last_line(proc)}")
    return repo.ref_target(ref)


def push_commit(repo: GitRepo, remote: str, commit: str, branch: str) -> PushStatus:
    """Push `commit` to `branch` of `remote`, fast-forward only."""
    return _push(repo, remote, commit, branch, ())


def push_with_lease(
    repo: GitRepo, remote: str, commit: str, branch: str, expected: str | None
) -> PushStatus:
    """Push `commit` to `branch` if the remote's branch is still at `expected` (None: the
    branch must not exist yet), forcing past a non-fast-forward (`--force-with-lease`)."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    return _push(repo, remote, commit, branch, (lease,))


def _push(
    repo: GitRepo, remote: str, commit: str, branch: str, options: tuple[str, ...]
) -> PushStatus:
    remote_url(repo, remote)
    dst = f"refs/heads/{branch}"
    proc = _git(repo, "push", "--porcelain", *options, remote, f"{commit}:{dst}")
    line = next((ln for ln in proc.stdout.splitlines() if f":{dst}\t" in ln), None)
    if line is None:
        return PushStatus.UNKNOWN  # the connection ended before the remote said how it went
    flag, _, summary = line.split("\t")
    if flag in (" ", "+", "*", "="):
        return PushStatus.PUSHED
    if "remote failure" in summary:
        return PushStatus.UNKNOWN
    if any(word in summary for word in _RETRYABLE):
        return PushStatus.REJECTED
    raise GitError(f"{remote} refused the push to {branch}: {summary.strip()}")


def fast_forward_checkout(repo: GitRepo, commit: str) -> str:
    """Fast-forward the checkout's branch to `commit` as `git merge --ff-only` does (files,
    modes and index; uncommitted edits in the way refuse it); '' or why it was refused."""
    proc = subprocess.run(["git", "merge", "--ff-only", "--quiet", commit], cwd=repo.workdir,
                          env=git_env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    return "" if proc.returncode == 0 else _last_line(proc)


def reset_checkout_keep(repo: GitRepo, commit: str) -> str:
    """Move the checkout's branch to `commit` keeping uncommitted edits (`git reset --keep`);
    '' or why it was refused."""
    proc = subprocess.run(["git", "reset", "--keep", "--quiet", commit], cwd=repo.workdir,
                          env=git_env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    return "" if proc.returncode == 0 else _last_line(proc)
