"""`modelreg alias ...` and `modelreg stage`: what a promotion changes (`aliases.yaml`)."""

from __future__ import annotations

import click

from modelreg import views
from modelreg.cli.landing import landing_options
from modelreg.cli.options import emit, json_option, open_registry


@click.group(epilog="Example: modelreg alias set fraud champion 2")
def alias() -> None:
    """Set and delete aliases (models:/NAME@ALIAS), as MLflow's registered model aliases."""


@alias.command("set", epilog="Example: modelreg alias set fraud champion 2")
@landing_options
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("version")
def set_(name: str, alias_name: str, version: str) -> None:
    """Point ALIAS of the model NAME at VERSION (moving it if it is set)."""
    open_registry().set_registered_model_alias(name, alias_name, version)
    click.echo(f"Set alias {alias_name} of {name} to version {version}")


@alias.command("delete", epilog="Example: modelreg alias delete fraud challenger")
@landing_options
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
def delete(name: str, alias_name: str) -> None:
    """Remove ALIAS from the model NAME."""
    open_registry().delete_registered_model_alias(name, alias_name)
    click.echo(f"Deleted alias {alias_name} of {name}")


@click.command(epilog="Example: modelreg stage fraud 2 Production --archive-existing")
@landing_options
@click.argument("name")
@click.argument("version")
@click.argument("stage_name", metavar="STAGE")
@click.option("--archive-existing", is_flag=True,
              help="Move the versions now in STAGE to Archived.")
@json_option
def stage(name: str, version: str, stage_name: str, archive_existing: bool, as_json: bool) -> None:
    """Move VERSION of NAME to STAGE: None, Staging, Production or Archived (any case)."""
    mv = open_registry().transition_model_version_stage(
        name, version, stage_name, archive_existing_versions=archive_existing
    )
    text = f"Moved {mv.name} version {mv.version} to stage {mv.current_stage.value}"
    emit(views.version_json(mv), as_json=as_json, text=text)


COMMANDS = [alias, stage]
