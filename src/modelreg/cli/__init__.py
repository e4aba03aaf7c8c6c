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
from modelreg.cli import errors
from modelreg.cli.options import Settings

# Which module defines each command: a process imports only the one it runs (click's
# documented lazy-loading pattern), so `modelreg resolve` does not load `apply` or `validate`.
COMMAND_MODULES = {
    "init": "init", "register": "register", "copy": "register", "models": "models",
    "versions": "versions", "alias": "aliases", "stage": "aliases", "resolve": "reads",
    "download": "reads", "search": "reads", "log": "history", "validate": "validate",
    "apply": "apply",
    "proposal": "proposals", "rebase": "proposals", "revert": "proposals",
    "codeowners": "github",
    "diff": "review", "check": "review",
    "verify": "maintenance", "gc": "maintenance",
}


class _Root(click.Group):
    """The root group: commands loaded on demand, every one run inside the error handler."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        import importlib

        module = importlib.import_module(f"modelreg.cli.{COMMAND_MODULES[cmd_name]}")
        command: click.Command = next(c for c in module.COMMANDS if c.name == cmd_name)
        return command

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
    help="The registry folder (or modelreg:///repo.git?path=sub for a bare repository, "
    "modelreg+https://host/repo.git?ref=main&path=sub for a remote one, read-only). "
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


def main(argv: Sequence[str] | None = None) -> None:
    """The `modelreg` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="modelreg")


__all__ = ["cli", "main"]
