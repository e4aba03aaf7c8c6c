"""`modelreg init`: make a folder of a Git work tree a registry, as one commit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from modelreg.cli.github import owners_option, release_owners_option, split_owners

if TYPE_CHECKING:
    from modelreg.registry import Registry


@click.command(epilog="Example: modelreg init ml-registry --store s3://ml-models/registry "
               "--github --owner @org/ml-team --release-owners @org/release-managers")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option(
    "--store", "store", default="artifacts", show_default=True, metavar="URL",
    help="The artifact store: an fsspec URL (s3://bucket/prefix) or a folder relative to the "
    "registry (kept out of Git).",
)
@click.option("--branch", default="", metavar="NAME",
              help="The branch the registry lives on, for --propose (default: the remote's).")
@click.option("--github", is_flag=True,
              help="Also write .github/workflows/modelreg.yml and a CODEOWNERS block at the "
              "repository's root (in the same commit).")
@owners_option
@release_owners_option
@click.option("--action", metavar="OWNER/REPO@REF", default=None,
              help="The modelreg action the workflow uses (default: this modelreg's release).")
def init(
    path: str, store: str, branch: str, github: bool, owners: tuple[str, ...],
    release_owners: tuple[str, ...], action: str | None,
) -> None:
    """Make PATH (default: the current folder) a registry, as one commit.

    PATH must be inside a Git work tree; it is created if missing. With --github the commit
    also holds the workflow that checks every change (pull requests, the merge queue, pushes)
    and CODEOWNERS entries (--owner for model folders, --release-owners for promotions).
    """
    from modelreg.github_files import DEFAULT_ACTION, Owners
    from modelreg.registry import Registry
    from modelreg.registry.init import GithubSetup, init_registry

    if not github and (owners or release_owners or action):
        raise click.UsageError("--owner, --release-owners and --action go with --github")
    setup = None
    if github:
        chosen = Owners(default=split_owners(owners), release=split_owners(release_owners))
        setup = GithubSetup(owners=chosen, action=action or DEFAULT_ACTION)
    folder = init_registry(Path(path), store=store, branch=branch, github=setup)
    registry = Registry(folder)
    click.echo(f"Initialized registry in {registry.location.path} (store: {registry.store().url})")
    if github:
        click.echo(f"Wrote {_github_files(registry)} at the repository's root")


def _github_files(registry: Registry) -> str:
    from modelreg.github_files import CODEOWNERS_PATHS, WORKFLOW_PATH, codeowners_path

    top = registry.repo.workdir
    assert top is not None  # init refuses bare repositories
    found = codeowners_path(p for p in CODEOWNERS_PATHS if (top / p).is_file())
    return f"{WORKFLOW_PATH} and {found}"


COMMANDS = [init]
