"""`modelreg validate`: every problem of the registry's files as they are on disk, in one run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from modelreg import layout, views
from modelreg.cli.options import emit, json_option, open_registry

if TYPE_CHECKING:
    from modelreg.registry import Registry
    from modelreg.snapshot import Files


@click.command(epilog="Example: modelreg validate --json")
@json_option
def validate(as_json: bool) -> None:
    """Check every manifest against the schemas and the rules across files.

    The work tree is judged, uncommitted edits included (in a bare repository: the branch's
    tip). Prints each problem as FILE:LINE: JSON-PATH: MESSAGE; exits 1 if any is an error.
    """
    from modelreg import problems
    from modelreg.validate import validate_registry

    registry = open_registry()
    files = _files(registry)
    found = validate_registry(files)
    count = len(files.listdir(layout.MODELS_DIR)) if not found else 0
    ok = f"registry at {registry.location.path} is valid ({count} model{'s' * (count != 1)})"
    emit(views.validation_json(found), as_json=as_json,
         text=views.problems_text(found) if found else ok)
    if problems.has_errors(found):
        raise click.exceptions.Exit(1)


def _files(registry: Registry) -> Files:
    """The folder on disk in a checkout; the branch's tip in a bare repository."""
    from modelreg.gitrepo.worktree import WorktreeFiles

    if registry.location.bare:
        return registry.repo.tree_files(registry.head(), registry.prefix)
    return WorktreeFiles(registry.location.path)


COMMANDS = [validate]
