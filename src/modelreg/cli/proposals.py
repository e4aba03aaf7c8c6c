"""`modelreg proposal status`, `modelreg rebase`, `modelreg revert`: what follows a proposal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import click

from modelreg.cli.landing import landing_options
from modelreg.cli.options import emit, json_option, open_registry

if TYPE_CHECKING:
    from modelreg.landing import ProposalStatus

remote_option = click.option("--remote", default="origin", show_default=True,
                             envvar="MODELREG_REMOTE", metavar="NAME", help="The remote.")


class VersionRefJson(TypedDict):
    model: str
    version: int


class ProposalJson(TypedDict):
    """`state`: open, merged or closed; `versions`: the registrations the merge landed."""

    branch: str
    state: str
    number: int | None
    url: str | None
    merge_commit: str | None
    versions: list[VersionRefJson]
    events: list[Any]


@click.group(epilog="Example: modelreg proposal status modelreg/fraud-champion-v7 --wait")
def proposal() -> None:
    """Follow the proposals --propose opened."""


@proposal.command("status", epilog="Example: modelreg proposal status 42 --wait --json")
@click.argument("which", metavar="BRANCH_OR_NUMBER")
@click.option("--wait", is_flag=True, help="Wait until it is merged or closed.")
@click.option("--interval", type=float, default=10.0, show_default=True, metavar="SECONDS",
              help="With --wait: how often to look.")
@click.option("--timeout", type=float, default=3600.0, show_default=True, metavar="SECONDS",
              help="With --wait: give up (exit 1) after this long.")
@remote_option
@json_option
def status(which: str, wait: bool, interval: float, timeout: float, remote: str,
           as_json: bool) -> None:
    """Tell whether a proposal is open, merged or closed (exit 1 when closed unmerged).

    When merged: the commit that landed it and the version numbers it finally got on the
    registry branch. A pull request number needs $GITHUB_TOKEN; a branch works without.
    """
    from modelreg import landing

    registry = open_registry()

    def read() -> ProposalStatus:
        return landing.proposal_status(registry.repo, registry.prefix, which, remote=remote,
                                       base=registry.config.branch)

    found = landing.wait_for(read, interval=interval, timeout=timeout) if wait else read()
    emit(status_json(found), as_json=as_json, text=status_text(found))
    if found.state == "closed":
        raise click.exceptions.Exit(1)


def status_json(found: ProposalStatus) -> ProposalJson:
    from modelreg import render

    return ProposalJson(
        branch=found.branch, state=found.state, number=found.number, url=found.url or None,
        merge_commit=found.merge_commit,
        versions=[VersionRefJson(model=m, version=v) for m, v in found.versions],
        events=render.diff_json(found.diff) if found.diff is not None else [],
    )


def status_text(found: ProposalStatus) -> str:
    pull = f" (pull request #{found.number}: {found.url})" if found.number else ""
    lines = [f"{found.branch}: {found.state}{pull}"]
    if found.merge_commit:
        lines.append(f"Landed as {found.merge_commit[:10]}")
    lines += [f"Registered {model} version {number}" for model, number in found.versions]
    return "\n".join(lines)


@click.command(epilog="Example: modelreg rebase modelreg/fraud-register-v8")
@click.argument("branch", required=False)
@remote_option
@json_option
def rebase(branch: str | None, remote: str, as_json: bool) -> None:
    """Re-apply a proposal branch's change on the registry branch's new tip and force-push it
    (with a lease). Registrations whose numbers were taken meanwhile get the next free ones,
    and the alias and stage moves that named them follow. BRANCH: default HEAD's branch."""
    from modelreg import landing
    from modelreg.errors import InvalidParameter

    registry = open_registry()
    name = branch or (registry.repo.head_branch() or "").removeprefix("refs/heads/")
    if not name:
        raise InvalidParameter("HEAD is detached; name the proposal branch to rebase")
    from modelreg.registry.guards import checker

    # A rebased proposal still goes to review: the schemas judge it here, the policy in CI.
    done = landing.rebase(registry.repo, registry.prefix, name, actor=registry.actor,
                          remote=remote, base=registry.config.branch,
                          check=checker(registry.actor, policy=False))
    moved = [f"{m} version {old} is now version {new}" for (m, old), new in
             sorted(done.renumbered.items())]
    if not done.committed:
        text = f"{name} is already on top of {done.base}"
    else:
        text = "\n".join([f"Rebased {name} on {done.base} as {done.commit[:10]}", *moved,
                          *([f"Note: {done.local}"] if done.local else [])])
    data = {"branch": name, "base": done.base, "commit": done.commit, "rebased": done.committed,
            "renumbered": [{"model": m, "old": old, "new": new}
                           for (m, old), new in sorted(done.renumbered.items())]}
    emit(data, as_json=as_json, text=text)


@click.command(epilog="Example: modelreg revert 3f2a91c --propose")
@landing_options
@click.argument("commit")
@json_option
def revert(commit: str, as_json: bool) -> None:
    """Undo the registry change of COMMIT with the inverse operations, as one new commit.

    A registration becomes a version delete (a tombstone: the number stays taken), an alias or
    a stage goes back, tag and description edits go back. History is never rewritten.
    """
    from modelreg import landing

    registry = open_registry()
    operation = landing.revert_operation(registry.repo, registry.prefix, commit)
    steps = registry.write(operation)
    landed = getattr(registry.last_write, "commit", "") or ""
    change = registry.last_write.change
    lines = [f"Reverted {commit} as {landed[:10]}: {change.summary}",
             *(f"- {p.summary}" for p in change.parts)]
    emit({"commit": landed, "reverts": commit, "steps": len(steps)}, as_json=as_json,
         text="\n".join(lines))


COMMANDS = [proposal, rebase, revert]
