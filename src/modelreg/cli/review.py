"""`modelreg diff` and `modelreg check`: what a reviewer, CI and a deployment job read."""

from __future__ import annotations

import os

import click

from modelreg.cli.options import emit, json_option, open_registry


@click.command(epilog="Examples:\n\n\b\n  modelreg diff main my-branch --markdown\n"
               "  modelreg diff --first-parent BEFORE AFTER --json")
@click.argument("base")
@click.argument("head")
@click.option("--first-parent", is_flag=True,
              help="Commit by commit: each commit after BASE along HEAD's first parents, "
              "against its first parent, oldest first. BASE must be one of those parents.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON (a list of events).")
@click.option("--markdown", "fmt", flag_value="markdown", help="Print a Markdown table.")
def diff(base: str, head: str, first_parent: bool, fmt: str | None) -> None:
    """Show what changed in the registry from revision BASE to revision HEAD.

    Models created, renamed or deleted, versions registered or deleted, aliases set, moved or
    removed, stage transitions, tag, description and metric edits. The JSON fields (model,
    version, alias, stage, artifact_uri, ...) are stable: deployment jobs read them.

    With --first-parent, each commit is diffed with its first parent (a merge: what it
    brought into the branch), so a push of several merges misses nothing: an alias moved v1 ->
    v2 -> v3 is two moves, not one. The text has one block per commit (short id and subject,
    then its changes); the JSON is one list of the same events, oldest commit first, each
    with a "commit" field added (the full id of the commit it came from).
    """
    from modelreg import render
    from modelreg.check import diff_first_parent, diff_revisions

    registry = open_registry()
    if first_parent:
        entries = diff_first_parent(registry.repo, registry.prefix, old=base, new=head)
        shown = render.COMMITS_RENDERERS[fmt or "text"](entries)
    else:
        changes = diff_revisions(registry.repo, registry.prefix, old=base, new=head)
        shown = render.DIFF_RENDERERS[fmt or "text"](changes)
    if fmt == "json":
        emit(shown, as_json=True)
    else:
        click.echo(shown, nl=False)


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
