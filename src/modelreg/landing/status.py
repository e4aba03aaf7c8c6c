"""`modelreg proposal status`: is a proposal open, merged or closed, and when merged, which
version numbers it finally got on the registry branch (from the merged registry diff).

With a GitHub token the pull request says; without one, Git does: the proposal is merged when
the registry branch gained its commit (a merge) or its `Modelreg-Op-Id` (a squash or rebase
merge), open while its branch is on the remote, closed once the branch is gone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from modelreg.diff import EventKind, RegistryDiff
from modelreg.errors import Conflict, InvalidParameter, NotFound
from modelreg.history import OP_ID_TRAILER, parse_trailers
from modelreg.landing import local
from modelreg.landing.proposing import PROPOSAL_REFS, forge_repo, registry_change
from modelreg.landing.pushing import SEARCH_LIMIT, fetch_tip, target_branch

if TYPE_CHECKING:
    from modelreg.forge import ForgeRepo, GitHub, PullRequest
    from modelreg.gitrepo import GitRepo

OPEN, MERGED, CLOSED = "open", "merged", "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalStatus:
    """`versions` are the (model, number) registrations the merge landed."""

    branch: str
    state: str
    number: int | None = None
    url: str = ""
    merge_commit: str | None = None
    versions: tuple[tuple[str, int], ...] = ()
    diff: RegistryDiff | None = None


def proposal_status(
    repo: GitRepo, prefix: str, which: str, *, remote: str = "origin", base: str = "",
    environ: Mapping[str, str] | None = None,
) -> ProposalStatus:
    """The state of the proposal `which` names: its branch, or its pull request's number."""
    env = os.environ if environ is None else environ
    where = forge_repo(repo, remote)
    if where is not None:
        from modelreg.forge import GitHub

        client = GitHub.from_env(env)
        if client is not None and client.serves(where, env):
            return _from_forge(repo, prefix, which, client, where, remote=remote)
    if which.isdigit():
        raise InvalidParameter(
            f"reading pull request #{which} needs a GitHub remote and a token ($GITHUB_TOKEN or "
            "$MODELREG_GITHUB_TOKEN); name the proposal's branch instead"
        )
    base = target_branch(repo, remote, base)
    if which == base:
        raise InvalidParameter(f"{which} is the registry branch itself; name a proposal's "
                               "branch (modelreg/...) or its pull request's number")
    return _from_git(repo, prefix, which, remote=remote, base=base)


def wait_for(
    read: Callable[[], ProposalStatus], *, interval: float, timeout: float,
    sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
) -> ProposalStatus:
    """Read the status every `interval` seconds until the proposal is no longer open."""
    deadline = clock() + timeout
    while True:
        status = read()
        if status.state != OPEN:
            return status
        if clock() >= deadline:
            raise Conflict(f"proposal {status.branch} is still open after {timeout:g} s")
        sleep(interval)


def _from_forge(
    repo: GitRepo, prefix: str, which: str, client: GitHub, where: ForgeRepo, *, remote: str
) -> ProposalStatus:
    pull: PullRequest | None
    if which.isdigit():
        pull = client.pull_request(where, int(which))
    else:
        pull = client.pull_request_for(where, which)
    if pull is None:
        raise NotFound(f"no pull request from {which} in {where.full_name}")
    found = ProposalStatus(branch=pull.head or which, number=pull.number, url=pull.url,
                           state=CLOSED if pull.state == "closed" else OPEN)
    if not pull.merged:
        return found
    merge = pull.merge_commit
    if merge is not None:
        with local.locked(repo):
            fetch_tip(repo, remote, pull.base or target_branch(repo, remote, ""))
    diff = _landing_diff(repo, prefix, merge) if merge and repo.has_commit(merge) else None
    return ProposalStatus(branch=found.branch, number=pull.number, url=pull.url, state=MERGED,
                          merge_commit=merge, versions=_registered(diff), diff=diff)


def _from_git(repo: GitRepo, prefix: str, branch: str, *, remote: str, base: str) -> ProposalStatus:
    from modelreg.gitrepo import fetch_branch

    with local.locked(repo):
        tip = fetch_branch(repo, remote, branch)
        base_tip = fetch_tip(repo, remote, base)
    proposed = tip or repo.ref_target(f"{PROPOSAL_REFS}/{branch}")
    if proposed is None:
        raise NotFound(f"no proposal {branch!r}: {remote} has no such branch and none was "
                       "proposed from this repository")
    landed = _landing_commit(repo, base_tip, proposed)
    if landed is None:
        return ProposalStatus(branch=branch, state=OPEN if tip else CLOSED)
    diff = _landing_diff(repo, prefix, landed)
    return ProposalStatus(branch=branch, state=MERGED, merge_commit=landed,
                          versions=_registered(diff), diff=diff)


def _landing_commit(repo: GitRepo, base_tip: str, proposed: str) -> str | None:
    """The first-parent commit of the registry branch that brought `proposed` in: the merge
    that has it as an ancestor, or the commit that carries its operation id."""
    message = next(iter(repo.first_parent_log(proposed))).message
    op_id = parse_trailers(message).get(OP_ID_TRAILER)
    fork = repo.merge_base(base_tip, proposed)
    found = None
    for walked, info in enumerate(repo.first_parent_log(base_tip)):
        if (op_id and op_id in info.message) or repo.is_ancestor(proposed, info.id):
            found = info.id
            continue
        if found is not None or info.id == fork or walked >= SEARCH_LIMIT:
            break
    return found


def _landing_diff(repo: GitRepo, prefix: str, commit: str) -> RegistryDiff:
    parents = next(iter(repo.first_parent_log(commit))).parents
    return registry_change(repo, prefix, parents[0] if parents else None, commit)


def _registered(diff: RegistryDiff | None) -> tuple[tuple[str, int], ...]:
    if diff is None:
        return ()
    return tuple((e.model or "", e.version or 0) for e in diff
                 if e.kind is EventKind.VERSION_REGISTERED)
