"""`modelreg resolve`, `download` and `search`: reading versions by `models:/` URI or filter."""

from __future__ import annotations

import click

from modelreg import views
from modelreg.cli.options import at_option, emit, json_option, location_of, open_registry


@click.command(epilog="Example: modelreg resolve models:/fraud@champion --json")
@click.argument("uri")
@at_option
@json_option
def resolve(uri: str, at: str | None, as_json: bool) -> None:
    """Print the version URI names and where its files are.

    URI is models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE or models:/NAME/latest.
    """
    registry = open_registry(at)
    mv = registry.resolve(uri)
    location = location_of(registry, mv)
    emit(views.version_json(mv, location), as_json=as_json, text=views.version_line(mv, location))


@click.command(epilog="Example: modelreg download models:/fraud@champion ./deployed")
@click.argument("uri")
@click.argument("dest", type=click.Path(file_okay=False))
@at_option
@json_option
def download(uri: str, dest: str, at: str | None, as_json: bool) -> None:
    """Download the files of the version URI names into the new folder DEST.

    Every file's sha256 is checked; DEST appears whole or not at all.
    """
    from modelreg.cli import progress  # only a download draws a bar: resolve and search skip it

    registry = open_registry(at)
    mv = registry.resolve(uri)
    with progress.bar(quiet=as_json) as callback:
        path = registry.download(mv.uri, dest, callback=callback)
    digest = mv.artifacts.digest if mv.artifacts else ""
    data = views.DownloadJson(path=str(path), name=mv.name, version=mv.version, uri=mv.uri,
                              digest=digest)
    emit(data, as_json=as_json, text=str(path))


@click.command(epilog="Example: modelreg search \"name = 'fraud' AND tags.team = 'risk'\"")
@click.argument("filter_string", metavar="[FILTER]", required=False)
@click.option("--order-by", multiple=True, metavar="FIELD [ASC|DESC]", help="Sort key (repeat).")
@click.option("--max-results", type=int, default=None, help="At most this many per page.")
@click.option("--page-token", default=None, help="The token a previous page printed.")
@at_option
@json_option
def search(
    filter_string: str | None, order_by: tuple[str, ...], max_results: int | None,
    page_token: str | None, at: str | None, as_json: bool,
) -> None:
    """Search model versions with an MLflow filter string (search_model_versions).

    FILTER follows MLflow's grammar, e.g. "name = 'fraud' AND tags.team = 'risk'" or
    "name LIKE 'fraud%'"; without one, every version is listed.
    """
    page = open_registry(at).search_model_versions(
        filter_string, max_results=max_results, order_by=list(order_by) or None,
        page_token=page_token,
    )
    token = getattr(page, "token", None)
    text = "\n".join([*map(views.version_row, page), views.page_footer(token)]).strip()
    emit(views.version_page_json(page, token), as_json=as_json, text=text)


COMMANDS = [resolve, download, search]
