"""`modelreg verify` and `modelreg gc`: the artifact store checked against the manifests, and
what no manifest references any more removed (issue #6)."""

from __future__ import annotations

import click

from modelreg.cli.options import at_option, emit, json_option, open_registry


@click.command(epilog="Examples: modelreg verify models:/fraud@champion\n\n"
               "modelreg verify --all --json")
@click.argument("uri", required=False)
@click.option("--all", "every", is_flag=True, help="Check every live version.")
@at_option
@json_option
def verify(uri: str | None, every: bool, at: str | None, as_json: bool) -> None:
    """Re-hash the files of the version URI names (or of --all) against the manifests.

    Reports each missing file, file of another size or with other bytes, missing .complete
    marker and missing or altered file list; unverified references are listed as such.
    Exits 1 when anything is damaged.
    """
    from modelreg.upkeep import report

    if (uri is None) != every:
        raise click.UsageError("give either a models:/ URI or --all")
    found = open_registry(at).verify_artifacts(uri)
    emit(report.verify_json(found), as_json=as_json, text=report.verify_text(found))
    if not found.ok:
        raise click.exceptions.Exit(1)


@click.command(epilog="Example: modelreg gc --dry-run --with ../other-registry")
@click.option("--with", "others", multiple=True, metavar="PATH",
              help="Another registry that keeps artifacts in the same store (repeat).")
@click.option("--retention", default="30d", show_default=True, metavar="DURATION",
              help="History this recent keeps its artifacts (so --at keeps working).")
@click.option("--grace", default="1d", show_default=True, metavar="DURATION",
              help="How long an item stays unreferenced before it is deleted; longer than "
              "any registration takes. 0 deletes in one run: only when nothing registers.")
@click.option("--dry-run", is_flag=True, help="Print what would be deleted; change nothing.")
@json_option
def gc(others: tuple[str, ...], retention: str, grace: str, dry_run: bool,
       as_json: bool) -> None:
    """Delete from the artifact store what no registry references any more.

    Keeps what every ref's tip references and what any commit of the retention window
    referenced (a deleted version's artifacts stay that long). Each run marks what is
    unreferenced and deletes what was marked at least the grace period ago and is still
    unreferenced and unused. Refuses a store shared with registries not given with --with.
    Run `git fetch` first: refs this clone has not seen keep nothing.
    """
    from modelreg.registry import Registry
    from modelreg.upkeep import plan, report
    from modelreg.upkeep.gc import GcOptions

    options = GcOptions(retention=plan.parse_duration(retention, option="--retention"),
                        grace=plan.parse_duration(grace, option="--grace"), dry_run=dry_run)
    found = open_registry().gc(options, also=[Registry(path) for path in others])
    emit(report.gc_json(found), as_json=as_json, text=report.gc_text(found))


COMMANDS = [verify, gc]
