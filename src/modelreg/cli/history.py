"""`modelreg log`: the audit trail, from Git history (hand edits and web commits included)."""

from __future__ import annotations

import click

from modelreg.cli.options import at_option, emit, json_option, open_registry


@click.command(epilog="Example: modelreg log fraud --max-count 5")
@click.argument("name", required=False)
@click.option("--max-count", "-n", type=int, default=None, help="At most this many commits.")
@at_option
@json_option
def log(name: str | None, max_count: int | None, at: str | None, as_json: bool) -> None:
    """Show the commits that changed the registry (or the model NAME), newest first.

    Each commit lists what it did in words: versions registered, aliases moved, stages
    changed, tags and descriptions edited, renames and deletions.
    """
    from modelreg import history, render

    registry = open_registry(at)
    entries = list(history.log(
        registry.repo, registry.prefix, model=name, max_count=max_count,
        rev=registry.head() or "HEAD",
    ))
    emit(render.log_json(entries), as_json=as_json, text=render.log_text(entries).rstrip("\n"))


COMMANDS = [log]
