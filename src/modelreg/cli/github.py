"""`modelreg codeowners`: the registry's block of CODEOWNERS, rewritten as one commit."""

from __future__ import annotations

import re
from collections.abc import Iterable

import click

from modelreg.cli.options import emit, json_option, open_registry

owners_option = click.option(
    "--owner", "owners", multiple=True, metavar="@TEAM",
    help="Who owns new model folders (repeat, or separate with commas, for several); default: "
    "the block's current owner.",
)
release_owners_option = click.option(
    "--release-owners", "release_owners", multiple=True, metavar="@TEAM",
    help="Who reviews promotions (every aliases.yaml) and the policy (registry.yaml); "
    "default: the block's current ones, else --owner.",
)


def split_owners(values: Iterable[str]) -> tuple[str, ...]:
    """`--owner '@a, @b' --owner @c --owner @a` -> ('@a', '@b', '@c')."""
    found = (o for value in values for o in re.split(r"[,\s]+", value) if o)
    return tuple(dict.fromkeys(found))


@click.command(epilog="Example: modelreg codeowners --owner @org/ml-team "
               "--release-owners @org/release-managers")
@owners_option
@release_owners_option
@json_option
def codeowners(owners: tuple[str, ...], release_owners: tuple[str, ...], as_json: bool) -> None:
    """Write the modelreg block of CODEOWNERS: an entry per model folder, and release owners
    for every aliases.yaml (promotions) and for registry.yaml (the policy).

    A model keeps the owners its entry names when they differ from the default; everything
    outside the block's marker lines is kept as it is. One commit, when anything changed.
    """
    from modelreg.github_files import Owners
    from modelreg.registry.init import update_codeowners

    chosen = Owners(default=split_owners(owners), release=split_owners(release_owners))
    result = update_codeowners(open_registry(), chosen)
    done = "Updated" if result.committed else "Already up to date:"
    text = f"{done} {result.path} ({result.models} model folder{'s' * (result.models != 1)})"
    emit({"path": result.path, "models": result.models, "commit": result.commit,
          "committed": result.committed}, as_json=as_json, text=text)


COMMANDS = [codeowners]
