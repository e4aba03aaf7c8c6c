"""`modelreg diff` and `modelreg check`: what a reviewer, CI and a deployment job read."""

from __future__ import annotations

import os

import click

from modelreg.cli.options import emit, json_option, open_registry


@click.command(epilog="Example: modelreg diff main my-branch --markdown")
@click.argument("base")
@click.argument("head")
@click.option("--json", "fmt", flag_value="json", help="Print JSON (a list of events).")
@click.option("--markdown", "fmt", flag_value="markdown", help="Print a Markdown table.")
def diff(base: str, head: str, fmt: str | None) -> None:
    """Show what changed in the registry from revision BASE to revision HEAD.

    Models created, renamed or deleted, versions registered or deleted, aliases set, moved or
    removed, stage transitions, tag, description and metric edits. The JSON fields (model,
    version, alias, stage, artifact_uri, ...) are stable: deployment jobs read them.
    """
    from modelreg import render
    from modelreg.check import diff_revisions

    registry = open_registry()
    changes = diff_revisions(registry.repo, registry.prefix, old=base, new=head)
    if fmt == "json":
        emit(render.diff_json(changes), as_json=True)
    else:
        click.echo(render.DIFF_RENDERERS[fmt or "text"](changes), nl=False)


@click.command(epilog="Example: modelreg check --base origin/main --head HEAD")
@click.option("--base", required=True, metavar="REV",
              help="The branch the change goes into (its tip: e.g. origin/main).")
@click.option("--head", default="HEAD", show_default=True, metavar="REV",
              help="The change's last commit.")
@click.option("--verify-artifacts/--no-verify-artifacts", default=True, show_default=True,
              help="Read the files of every version the change registers from the store and "
              "check their sha256.")
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]),
              help="Output format (default: github under GitHub Actions, else text).")
@json_option
def check(base: str, head: str, verify_artifacts: bool, fmt: str | None, as_json: bool) -> None:
    """Judge the change from the merge base of BASE and HEAD to HEAD, against BASE's tip.

    Changed manifests against the schemas, versions that are written once, version numbers,
    alias and stage targets, new versions' artifacts, and the policy of registry.yaml as it is
    on BASE. Exits 1 on any error. Under GitHub Actions, also appends a job summary to
    $GITHUB_STEP_SUMMARY.
    """
    from modelreg import reporters
    from modelreg.check import CheckOptions
    from modelreg.check import check as run_check

    registry = open_registry()
    options = CheckOptions(verify_artifacts=verify_artifacts, open_store=registry.store)
    result = run_check(registry.repo, registry.prefix, base, head=head, options=options)
    actions = os.environ.get("GITHUB_ACTIONS") == "true"
    chosen = "json" if as_json else fmt or ("github" if actions else "text")
    if chosen == "json":
        emit(reporters.check_json(result), as_json=True)
    else:
        click.echo(reporters.REPORTERS[chosen](result), nl=False)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if actions and summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(reporters.job_summary(result))
    if not result.ok:
        raise click.exceptions.Exit(1)


COMMANDS = [diff, check]
