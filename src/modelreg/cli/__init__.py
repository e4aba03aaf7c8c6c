"""`modelreg`: the command line (click), thin over `modelreg.Registry` (STYLE §4).

One module per command family; each command parses its options, calls one library function,
renders the result with `modelreg.views` and exits. Errors become exit codes in one place,
`cli/errors.py`. Nothing heavy is imported here: `modelreg --help` and a `modelreg resolve`
process start fast, and each command imports what it needs when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from modelreg import __version__
from modelreg.cli import (
    aliases,
    apply,
    errors,
    history,
    init,
    models,
    reads,
    register,
    validate,
    versions,
)
from modelreg.cli.options import Settings


class _Root(click.Group):
    """The root group; its `invoke` runs every command inside the error handler."""

    def invoke(self, ctx: click.Context) -> Any:
        with errors.handler(debug=bool(ctx.params.get("debug"))):
            return super().invoke(ctx)


@click.group(
    cls=_Root,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: modelreg resolve models:/fraud@champion --json",
)
@click.option(
    "--registry", metavar="PATH", envvar="MODELREG_REGISTRY", show_envvar=True,
    help="The registry folder (or modelreg:///repo.git?path=sub for a bare repository). "
    "Default: the nearest folder upwards that holds registry.yaml.",
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(__version__, prog_name="modelreg")
@click.pass_context
def cli(ctx: click.Context, registry: str | None, debug: bool) -> None:
    """A model registry in Git: YAML manifests, artifacts in any fsspec store.

    Every change is one Git commit; every download is verified against its sha256.
    """
    ctx.obj = Settings(registry=registry, debug=debug)


for _module in (init, register, models, versions, aliases, reads, history, validate, apply):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """The `modelreg` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="modelreg")


__all__ = ["cli", "main"]
