"""What the commands share: the registry they open, `--json`, `--at`, and `KEY=VALUE` options.

`modelreg.registry` is imported inside `open_registry`, not here: `modelreg --help` and the
start of every command stay light (STYLE §12).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from modelreg.errors import InvalidParameter

if TYPE_CHECKING:
    from modelreg.model import ModelVersion
    from modelreg.registry import Registry


class Settings(NamedTuple):
    """The root group's options, kept on the click context for every command.

    A tiny internal tuple: a frozen dataclass costs every process ~0.5 ms to create (issue #5).
    """

    registry: str | None = None
    debug: bool = False


def open_registry(
    at: str | None = None, *, push: bool | None = None, propose: bool | None = None,
    remote: str | None = None,
) -> Registry:
    """The registry `--registry` / $MODELREG_REGISTRY / the current folder names, as of `at`.

    Writes land as `push` / `propose` / `remote` say; None takes what the command's
    `--push` / `--propose` / `--remote` said (`cli.landing`), else a direct write.
    """
    from modelreg.cli import landing
    from modelreg.registry import Registry

    settings = click.get_current_context().find_object(Settings) or Settings()
    said = landing.current()
    registry = Registry(
        settings.registry,
        push=said.push if push is None else push,
        propose=said.propose if propose is None else propose,
        remote=remote or said.remote,
    )
    landing.remember(registry)
    return registry.at(at) if at else registry


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (one document) instead of text."
)
at_option = click.option(
    "--at", metavar="REV_OR_DATE",
    help="Read the registry as of a Git revision (HEAD~3, a tag) or a date (2026-01-31: the "
    "end of that day, UTC).",
)


def emit(value: Any, *, as_json: bool, text: str | None = None) -> None:
    """Print `value` as JSON, or `text` (nothing when it is empty).

    After a `--push` or `--propose` write, a JSON object also says where the write went
    (`landing`: the pushed commit, or the proposal's branch and pull request), so a pipeline
    reads the branch `proposal status` needs from stdout, not from the lines on stderr.
    """
    if as_json:
        import json

        from modelreg.cli.landing import landing_json

        where = landing_json()
        if where is not None and isinstance(value, dict):
            value = {**value, "landing": where}
        click.echo(json.dumps(value, indent=2, ensure_ascii=False))
    elif text:
        click.echo(text)


def parse_pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """`--tag team=risk --tag owner=ana` -> {'team': 'risk', 'owner': 'ana'}."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidParameter(f"{option} {item!r} is not KEY=VALUE")
        if key in out:
            raise InvalidParameter(f"{option} {key!r} is given twice")
        out[key] = value
    return out


def parse_metrics(values: Iterable[str]) -> dict[str, float]:
    """`--metric auc=0.91` -> {'auc': 0.91}; the library refuses what is not finite."""
    out: dict[str, float] = {}
    for key, text in parse_pairs(values, "--metric").items():
        try:
            out[key] = float(text)
        except ValueError:
            raise InvalidParameter(f"metric {key!r}: {text!r} is not a number") from None
    return out


def location_of(registry: Registry, mv: ModelVersion) -> str | None:
    """The absolute URL of a version's files."""
    return registry.artifact_location(mv)
