"""`--propose`: the operation as one commit on a new branch from the remote registry branch's
tip, pushed, and a pull request opened on GitHub (or the page to open one) (DESIGN §4).

The branch is named after the change (`modelreg/fraud-champion-v7`, then `-2`, `-3` when the
name is taken) and only ever created, never moved: the push requires that it does not exist
yet. The commit is also recorded under `refs/modelreg/proposals/<branch>`, so `proposal status`
can tell a squash merge from a closed pull request after the branch is deleted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from modelreg.change import Change, OpContext, Operation
from modelreg.errors import Conflict
from modelreg.landing import local, naming
from modelreg.landing.pushing import fetch_tip, target_branch
from modelreg.landing.results import Proposal
from modelreg.snapshot import Snapshot

if TYPE_CHECKING:
    from modelreg.diff import RegistryDiff
    from modelreg.forge import ForgeRepo
    from modelreg.gitrepo import GitRepo
    from modelreg.writer import Check

PROPOSAL_REFS = "refs/modelreg/proposals"
MAX_NAMES = 20


def propose(
    repo: GitRepo, prefix: str, operation: Operation, ctx: OpContext, *,
    remote: str = "origin", branch: str = "", check: Check | None = None,
    environ: Mapping[str, str] | None = None,
) -> Proposal:
    """Propose `operation` as a pull request into the registry branch (`branch`, else the
    remote's default branch). A change that writes nothing proposes nothing."""
    from modelreg.gitrepo import commit_files

    base = target_branch(repo, remote, branch)
    with local.locked(repo):
        tip = fetch_tip(repo, remote, base)
    _, change, writes = local.compute_on_tip(repo, prefix, operation, ctx, tip=tip,
                                             remote=remote, branch=base, check=check)
    proposal = Proposal(change=change, commit=tip, retries=0, committed=False, remote=remote,
                        branch="", base=base)
    if not writes:
        return proposal
    commit = commit_files(repo, tip, writes, change.message(ctx.op_id))
    name = push_new_branch(repo, remote, commit, naming.branch_stem(change))
    record(repo, name, commit)
    url, number = open_pull_request(
        repo, prefix, change, remote=remote, head=name, base=base, commits=(tip, commit),
        actor=ctx.actor, environ=os.environ if environ is None else environ,
    )
    return Proposal(change=change, commit=commit, retries=0, committed=True, remote=remote,
                    branch=name, base=base, url=url, number=number, opened=number is not None)


def push_new_branch(repo: GitRepo, remote: str, commit: str, stem: str) -> str:
    """Push `commit` as a branch that did not exist: `stem`, else `stem-2`, `stem-3`, ..."""
    from modelreg.gitrepo import PushStatus, fetch_branch, push_with_lease

    for n in range(1, MAX_NAMES + 1):
        name = naming.numbered(stem, n)
        status = push_with_lease(repo, remote, commit, name, None)
        if status is PushStatus.PUSHED:
            return name
        if status is PushStatus.UNKNOWN and fetch_branch(repo, remote, name) == commit:
            return name
    raise Conflict(f"{remote} already has branches {stem} to {naming.numbered(stem, MAX_NAMES)}; "
                   "delete the merged ones and propose again")


def record(repo: GitRepo, branch: str, commit: str) -> None:
    """Remember the proposal's commit (see the module's docstring)."""
    from modelreg.gitrepo import compare_and_swap

    ref = f"{PROPOSAL_REFS}/{branch}"
    compare_and_swap(repo, ref, commit, repo.ref_target(ref), f"modelreg: proposed {branch}")


def forge_repo(repo: GitRepo, remote: str) -> ForgeRepo | None:
    """The forge repository `remote` names, as configured or after `insteadOf` rewrites."""
    from modelreg.forge import parse_remote_url
    from modelreg.gitrepo import remote_url

    found = parse_remote_url(remote_url(repo, remote))
    return found or parse_remote_url(remote_url(repo, remote, expand=True))


def open_pull_request(
    repo: GitRepo, prefix: str, change: Change, *, remote: str, head: str, base: str,
    commits: tuple[str, str], actor: str, environ: Mapping[str, str],
) -> tuple[str, int | None]:
    """(URL, number) of the pull request opened from `head`; without a token (or off
    GitHub) the compare page's URL and None; ('', None) when the remote is no forge's."""
    from modelreg import forge

    where = forge_repo(repo, remote)
    if where is None:
        return "", None
    client = forge.GitHub.from_env(environ)
    compare = where.compare_url(base, head)
    if client is None or not client.serves(where, environ):
        return compare, None
    old, new = (Snapshot(repo.tree_files(c, prefix)) for c in commits)
    diff = registry_change(repo, prefix, *commits)
    text = forge.body(change, diff, base=old, head=new, branch=head, actor=actor)
    try:
        pull = client.open_pull_request(where, title=forge.title(change), body=text,
                                        head=head, base=base)
    except forge.ForgeError as exc:
        raise forge.ForgeError(f"{exc}; {head} is pushed: open it at {compare}",
                               code=exc.code) from exc
    return pull.url, pull.number


def registry_change(repo: GitRepo, prefix: str, old: str | None, new: str) -> RegistryDiff:
    """The registry diff from commit `old` to `new`."""
    from modelreg.diff import registry_diff

    paths = [c.path for c in repo.changed_paths(old, new, prefix)]
    before = Snapshot(repo.tree_files(old, prefix)) if old else None
    return registry_diff(before, Snapshot(repo.tree_files(new, prefix)), paths)
