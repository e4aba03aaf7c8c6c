"""`modelreg versions ...`: model versions (MlflowClient's *_model_version methods)."""

from __future__ import annotations

import click

from modelreg import names, views
from modelreg.cli.landing import landing_options
from modelreg.cli.options import at_option, emit, json_option, location_of, open_registry


@click.group(epilog="Example: modelreg versions list fraud")
def versions() -> None:
    """List, show, describe, tag and delete model versions."""


@versions.command("list", epilog="Example: modelreg versions list fraud --json")
@click.argument("name")
@at_option
@json_option
def list_(name: str, at: str | None, as_json: bool) -> None:
    """List the live versions of the model NAME, oldest first (a JSON list with --json)."""
    snapshot = open_registry(at).snapshot()
    snapshot.require_model(names.check_model_name(name))
    found = list(snapshot.versions(name))
    text = "\n".join(views.version_row(mv) for mv in found)
    emit([views.version_json(mv) for mv in found], as_json=as_json, text=text)


@versions.command("show", epilog="Example: modelreg versions show fraud 2 --json")
@click.argument("name")
@click.argument("version")
@at_option
@json_option
def show(name: str, version: str, at: str | None, as_json: bool) -> None:
    """Show version VERSION of the model NAME, with where its files are."""
    registry = open_registry(at)
    mv = registry.get_model_version(name, version)
    location = location_of(registry, mv)
    emit(views.version_json(mv, location), as_json=as_json,
         text=views.version_details(mv, location))


@versions.command("update", epilog="Example: modelreg versions update fraud 2 --description TEXT")
@landing_options
@click.argument("name")
@click.argument("version")
@click.option("--description", required=True, help="The new description ('' clears it).")
@json_option
def update(name: str, version: str, description: str, as_json: bool) -> None:
    """Set the description of version VERSION of the model NAME."""
    mv = open_registry().update_model_version(name, version, description=description)
    emit(views.version_json(mv), as_json=as_json,
         text=f"Updated the description of {name} version {mv.version}")


@versions.command("delete", epilog="Example: modelreg versions delete fraud 1")
@landing_options
@click.argument("name")
@click.argument("version")
def delete(name: str, version: str) -> None:
    """Delete version VERSION of NAME (a tombstone: its number is never given again)."""
    open_registry().delete_model_version(name, version)
    click.echo(f"Deleted {name} version {version}")


@versions.command("tag", epilog="Example: modelreg versions tag fraud 2 validation_status approved")
@landing_options
@click.argument("name")
@click.argument("version")
@click.argument("key")
@click.argument("value")
def tag(name: str, version: str, key: str, value: str) -> None:
    """Set the tag KEY of version VERSION of NAME to VALUE."""
    open_registry().set_model_version_tag(name, version, key, value)
    click.echo(f"Set tag {key}={value} on {name} version {version}")


@versions.command("untag", epilog="Example: modelreg versions untag fraud 2 validation_status")
@landing_options
@click.argument("name")
@click.argument("version")
@click.argument("key")
def untag(name: str, version: str, key: str) -> None:
    """Remove the tag KEY from version VERSION of NAME."""
    open_registry().delete_model_version_tag(name, version, key)
    click.echo(f"Removed tag {key} from {name} version {version}")


COMMANDS = [versions]
