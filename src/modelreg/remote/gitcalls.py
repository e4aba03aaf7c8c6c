"""The `git` commands a cached clone runs: a bare single-branch clone and a fetch of it.

Each is one `git` subprocess with `gitrepo.git_env()`, so Git's own configuration of
transports, credential helpers, `insteadOf` rewrites and SSH applies, as to any `git fetch`.
Never a prompt (a service has nobody to answer it) and never a detached maintenance
process left running after the fetch. The whole history of the branch is fetched, blobs
included (no `--filter`): reads, `--at` and `log` must work offline afterwards.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from modelreg.errors import GitError
from modelreg.gitrepo import git_env

TIMEOUT = 120.0  # seconds a clone or fetch may take before it counts as failed
_QUIET = ("-c", "gc.autoDetach=false", "-c", "maintenance.autoDetach=false")


def clone(url: str, ref: str, dest: Path) -> str:
    """Clone branch `ref` ('' for the remote's default branch) of `url` into the new bare
    repository `dest`, with no remote configured (the URL is given on every fetch, and a
    service must not take the cache for a clone it may push from); the branch cloned."""
    branch = ("--branch", ref) if ref else ()
    _run(None, "clone", "--bare", "--single-branch", "--no-tags", "--quiet", *branch,
         "--", url, str(dest))
    _run(dest, "config", "--remove-section", "remote.origin")
    cloned = branch_of(dest)
    if not cloned:
        raise GitError(f"ref {ref!r} of {url} is not a branch (name a branch with ?ref=)")
    return cloned


def fetch(git_dir: Path, url: str, branch: str) -> None:
    """Bring `branch` up to the remote's tip, even when it was rewound (force-pushed)."""
    _run(git_dir, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", url,
         f"+refs/heads/{branch}:refs/heads/{branch}")


def branch_of(git_dir: Path) -> str:
    """The branch the clone's HEAD names ('' when it is detached)."""
    head = (git_dir / "HEAD").read_text().strip()
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else ""


def _run(cwd: Path | None, *args: str) -> None:
    env = {**git_env(), "GIT_TERMINAL_PROMPT": "0"}
    try:
        proc = subprocess.run(["git", *_QUIET, *args], cwd=cwd, env=env, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took more than {TIMEOUT:.0f} s") from None
    if proc.returncode != 0:
        raise GitError(_first_words(proc))


def _first_words(proc: subprocess.CompletedProcess[str]) -> str:
    """Git's first line says what went wrong (`fatal: unable to access ...`, `ssh: connect to
    host ...`); the later ones are advice. A line ending in ':' goes on in the next one."""
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    if not lines:
        return f"git exited with {proc.returncode}"
    return " ".join(lines[:2]) if lines[0].endswith(":") and len(lines) > 1 else lines[0]
