"""`modelreg models ...`: registered models (MlflowClient's *_registered_model methods)."""

from __future__ import annotations

import click

from modelreg import views
from modelreg.cli.landing import landing_options
from modelreg.cli.options import at_option, emit, json_option, open_registry, parse_pairs


@click.group(epilog="Example: modelreg models list --filter \"tags.team = 'risk'\"")
def models() -> None:
    """Create, list, show, rename, describe, tag and delete registered models."""


@models.command("create", epilog="Example: modelreg models create fraud --tag team=risk")
@landing_options
@click.argument("name")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A model tag (repeat).")
@click.option("--description", default=None, help="The model's description.")
@json_option
def create(name: str, tags: tuple[str, ...], description: str | None, as_json: bool) -> None:
    """Create the registered model NAME, with no versions yet."""
    model = open_registry().create_registered_model(
        name, tags=parse_pairs(tags, "--tag"), description=description
    )
    emit(views.model_json(model), as_json=as_json, text=f"Created registered model {model.name}")


@models.command("list", epilog="Example: modelreg models list --filter \"name LIKE 'fraud%'\"")
@click.option("--filter", "filter_string", default=None, metavar="FILTER",
              help="An MLflow filter string over name and tags.")
@click.option("--order-by", multiple=True, metavar="FIELD [ASC|DESC]", help="Sort key (repeat).")
@click.option("--max-results", type=int, default=None, help="At most this many per page.")
@click.option("--page-token", default=None, help="The token a previous page printed.")
@at_option
@json_option
def list_(
    filter_string: str | None, order_by: tuple[str, ...], max_results: int | None,
    page_token: str | None, at: str | None, as_json: bool,
) -> None:
    """List registered models, or those a filter string selects (search_registered_models)."""
    page = open_registry(at).search_registered_models(
        filter_string, max_results=max_results, order_by=list(order_by) or None,
        page_token=page_token,
    )
    token = getattr(page, "token", None)
    text = "\n".join([*map(views.model_line, page), views.page_footer(token)]).strip()
    emit(views.model_page_json(page, token), as_json=as_json, text=text)


@models.command("show", epilog="Example: modelreg models show fraud --json")
@click.argument("name")
@at_option
@json_option
def show(name: str, at: str | None, as_json: bool) -> None:
    """Show the registered model NAME: description, tags, aliases, latest version per stage."""
    model = open_registry(at).get_registered_model(name)
    emit(views.model_json(model), as_json=as_json, text=views.model_details(model))


@models.command("rename", epilog="Example: modelreg models rename fraud-eu fraud-europe")
@landing_options
@click.argument("old")
@click.argument("new")
@json_option
def rename(old: str, new: str, as_json: bool) -> None:
    """Rename the model OLD to NEW; its versions, tags and aliases move with it."""
    model = open_registry().rename_registered_model(old, new)
    emit(views.model_json(model), as_json=as_json, text=f"Renamed {old} to {model.name}")


@models.command("update", epilog="Example: modelreg models update fraud --description \"...\"")
@landing_options
@click.argument("name")
@click.option("--description", required=True, help="The new description ('' clears it).")
@json_option
def update(name: str, description: str, as_json: bool) -> None:
    """Set the description of the registered model NAME."""
    model = open_registry().update_registered_model(name, description=description)
    emit(views.model_json(model), as_json=as_json, text=f"Updated the description of {name}")


@models.command("delete", epilog="Example: modelreg models delete fraud-old")
@landing_options
@click.argument("name")
def delete(name: str) -> None:
    """Delete the registered model NAME and all its versions (history keeps them)."""
    open_registry().delete_registered_model(name)
    click.echo(f"Deleted registered model {name}")


@models.command("tag", epilog="Example: modelreg models tag fraud owner risk-team")
@landing_options
@click.argument("name")
@click.argument("key")
@click.argument("value")
def tag(name: str, key: str, value: str) -> None:
    """Set the tag KEY of the registered model NAME to VALUE."""
    open_registry().set_registered_model_tag(name, key, value)
    click.echo(f"Set tag {key}={value} on {name}")


@models.command("untag", epilog="Example: modelreg models untag fraud owner")
@landing_options
@click.argument("name")
@click.argument("key")
def untag(name: str, key: str) -> None:
    """Remove the tag KEY from the registered model NAME."""
    open_registry().delete_registered_model_tag(name, key)
    click.echo(f"Removed tag {key} from {name}")


COMMANDS = [models]
