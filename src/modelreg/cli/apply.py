"""`modelreg apply OPS.yaml`: several operations from a file, as one commit (a transaction)."""

from __future__ import annotations

from pathlib import Path

import click

from modelreg import views
from modelreg.cli import progress
from modelreg.cli.landing import landing_options
from modelreg.cli.options import emit, json_option, open_registry

EXAMPLE = """Example (release.yaml):

\b
  - register: {name: fraud, path: ./model, metrics: {auc: 0.95}}
  - alias: {name: fraud, alias: champion, version: "$1"}
  - stage: {name: fraud, version: "$1", stage: Production, archive_existing: true}

\b
  modelreg apply release.yaml --message "Release fraud v3"
"""


@click.command(epilog=EXAMPLE)
@landing_options
@click.argument("ops_file", metavar="OPS.yaml", type=click.Path(exists=True, dir_okay=False))
@click.option("--message", "-m", default="", help="The commit's summary line.")
@json_option
def apply(ops_file: str, message: str, as_json: bool) -> None:
    """Run the operations listed in OPS.yaml as one commit: all of them, or none.

    A YAML list of one-key mappings: register, create, alias, unalias, stage, tag, untag,
    describe, copy, rename, delete. "$N" is the version step N registered or copied; paths
    are relative to the folder OPS.yaml is in. The whole file is checked before anything runs.
    """
    from modelreg import applyfile

    steps = applyfile.load(Path(ops_file), base_dir=Path(ops_file).resolve().parent)
    registry = open_registry()
    with progress.bar(quiet=as_json) as callback:
        results = applyfile.apply(registry, steps, message=message, callback=callback)
    commit = getattr(registry.last_write, "commit", None)
    lines = [f"{s.label}: {views.result_line(r)}" for s, r in zip(steps, results, strict=True)]
    lines.append(f"Applied {len(steps)} operation{'s' * (len(steps) != 1)} as commit "
                 f"{(commit or '?')[:10]}")
    data = views.ApplyJson(commit=commit, results=[views.result_json(r) for r in results])
    emit(data, as_json=as_json, text="\n".join(lines))


COMMANDS = [apply]
