"""`modelreg register` and `modelreg copy`: new versions, from files or from another version."""

from __future__ import annotations

import click

from modelreg import views
from modelreg.cli import progress
from modelreg.cli.landing import landing_options
from modelreg.cli.options import (
    emit,
    json_option,
    location_of,
    open_registry,
    parse_metrics,
    parse_pairs,
)


@click.command(
    epilog="Example: modelreg register fraud ./model --metric auc=0.91 --tag team=risk",
)
@landing_options
@click.argument("name")
@click.argument("path")
@click.option("--reference", is_flag=True,
              help="Record the files where they are (PATH is a URI) instead of uploading them.")
@click.option("--metric", "metrics", multiple=True, metavar="KEY=NUMBER", help="A metric (repeat).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A version tag (repeat).")
@click.option("--description", default="", help="The version's description.")
@click.option("--run-id", default="", help="The MLflow run that produced the model.")
@click.option("--run-link", default="", help="A link to that run.")
@click.option("--source", default="", help="Where the model came from (default: PATH's URI).")
@click.option("--code-commit", default="", help="The commit of the training code.")
@click.option("--data", multiple=True, metavar="URI", help="A training data set (repeat).")
@json_option
def register(
    name: str, path: str, reference: bool, metrics: tuple[str, ...], tags: tuple[str, ...],
    description: str, run_id: str, run_link: str, source: str, code_commit: str,
    data: tuple[str, ...], as_json: bool,
) -> None:
    """Register the file or folder PATH as the next version of NAME (created if new).

    The files are uploaded into the registry's store (content-addressed: the same bytes are
    stored once) and their sha256s recorded; an MLmodel file fills in flavors and signature.
    """
    from modelreg.registry import RegisterOptions

    options = RegisterOptions(
        metrics=parse_metrics(metrics), tags=parse_pairs(tags, "--tag"), description=description,
        run_id=run_id, run_link=run_link, source=source, code_commit=code_commit, data=data,
    )
    registry = open_registry()
    with progress.bar(quiet=as_json) as callback:
        mv = registry.register(name, path, reference=reference, options=options, callback=callback)
    text = f"Registered {mv.name} version {mv.version} ({mv.uri})"
    emit(views.version_json(mv, location_of(registry, mv)), as_json=as_json, text=text)


@click.command(epilog="Example: modelreg copy models:/fraud@champion fraud-eu")
@landing_options
@click.argument("src_uri", metavar="SRC_URI")
@click.argument("dst_name", metavar="DST_NAME")
@json_option
def copy(src_uri: str, dst_name: str, as_json: bool) -> None:
    """Copy the version SRC_URI names into model DST_NAME as its next version.

    No bytes move: the new version has the same artifacts and names its source in
    lineage.copied_from. DST_NAME is created if new.
    """
    registry = open_registry()
    mv = registry.copy_model_version(src_uri, dst_name)
    text = f"Copied {src_uri} to {mv.name} version {mv.version} ({mv.uri})"
    emit(views.version_json(mv, location_of(registry, mv)), as_json=as_json, text=text)


COMMANDS = [register, copy]
