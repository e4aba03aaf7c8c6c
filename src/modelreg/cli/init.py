"""`modelreg init`: make a folder of a Git work tree a registry, as one commit."""

from __future__ import annotations

import click


@click.command(epilog="Example: modelreg init ml-registry --store s3://ml-models/registry")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option(
    "--store", "store", default="artifacts", show_default=True, metavar="URL",
    help="The artifact store: an fsspec URL (s3://bucket/prefix) or a folder relative to the "
    "registry (kept out of Git).",
)
@click.option("--branch", default="", metavar="NAME",
              help="The branch the registry lives on, for --propose (default: the remote's).")
def init(path: str, store: str, branch: str) -> None:
    """Make PATH (default: the current folder) a registry, as one commit.

    PATH must be inside a Git work tree; it is created if missing.
    """
    from modelreg.registry import Registry

    registry = Registry.init(path, store=store, branch=branch)
    url = registry.store().url
    click.echo(f"Initialized registry in {registry.location.path} (store: {url})")


COMMANDS = [init]
