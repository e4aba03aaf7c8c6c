"""`--push`, `--propose` and `--remote` for every command that writes, in one decorator.

The options are kept on the click context, where `open_registry` finds them, so a command's
own code does not change; after the command, where its write went is printed: the pushed
commit (and why the local branch stayed behind, if it did), or the proposal's branch and its
pull request (or the page to open one). With `--json` those lines go to stderr, so stdout
stays one JSON document.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
OPTIONS_KEY = "modelreg.landing"
OPENED_KEY = "modelreg.opened"


class Landing(NamedTuple):
    """What `--push`, `--propose` and `--remote` said (a tuple: no dataclass to create at the
    start of every command, issue #5)."""

    push: bool = False
    propose: bool = False
    remote: str = "origin"


def current() -> Landing:
    """What the running command's options say (direct writes outside a command)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(OPTIONS_KEY) if ctx is not None else None
    return found if isinstance(found, Landing) else Landing()


def remember(registry: Any) -> None:
    """Keep the registry a command opened, to report where its write went."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[OPENED_KEY] = registry


_OPTIONS = (
    click.option("--push", is_flag=True,
                 help="Commit on the remote's registry branch and push it (retried when the "
                 "remote moves)."),
    click.option("--propose", is_flag=True,
                 help="Commit on a new branch from the remote's registry branch, push it and "
                 "open a pull request ($GITHUB_TOKEN), or print the URL to open one."),
    click.option("--remote", default="origin", show_default=True, envvar="MODELREG_REMOTE",
                 metavar="NAME", help="The remote --push and --propose use."),
)


def landing_options(command: F) -> F:
    """Add `--push`, `--propose` and `--remote` to a writing command."""

    @functools.wraps(command)
    def run(*args: Any, push: bool, propose: bool, remote: str, **kwargs: Any) -> Any:
        if push and propose:
            raise click.UsageError("--push and --propose exclude each other")
        ctx = click.get_current_context()
        ctx.meta[OPTIONS_KEY] = Landing(push=push, propose=propose, remote=remote)
        result = command(*args, **kwargs)
        report(ctx.meta.get(OPENED_KEY), to_stderr=bool(kwargs.get("as_json")))
        return result

    for option in reversed(_OPTIONS):
        run = option(run)
    return run  # type: ignore[return-value]


def landing_json() -> dict[str, Any] | None:
    """Where the running command's write went, for its JSON output (None: not remote)."""
    ctx = click.get_current_context(silent=True)
    registry = ctx.meta.get(OPENED_KEY) if ctx is not None else None
    result = getattr(registry, "last_write", None)
    if result is None or current() == Landing():
        return None  # a read, or a direct write: nothing to add (and nothing to import)
    from modelreg.landing import Proposal, Pushed

    if isinstance(result, Proposal):
        return {"mode": "propose", "remote": result.remote, "branch": result.branch,
                "base": result.base, "commit": result.commit, "committed": result.committed,
                "url": result.url or None, "number": result.number}
    if isinstance(result, Pushed):
        return {"mode": "push", "remote": result.remote, "branch": result.branch,
                "commit": result.commit, "committed": result.committed,
                "retries": result.retries}
    return None


def report(registry: Any, *, to_stderr: bool) -> None:
    """Say where the last write went, when it went to a remote."""
    if getattr(registry, "mode", "direct") == "direct":
        return  # on the local branch: nothing to say, and `modelreg.landing` (~10 ms) unneeded
    for line in landing_lines(getattr(registry, "last_write", None)):
        click.echo(line, err=to_stderr)


def landing_lines(result: Any) -> list[str]:
    if result is None:
        return []
    from modelreg.landing import Proposal, Pushed

    if isinstance(result, Proposal):
        if not result.committed:
            return ["Nothing to propose: the registry branch already has this"]
        lines = [f"Proposed on branch {result.branch} (into {result.base})"]
        if result.opened:
            lines.append(f"Pull request #{result.number}: {result.url}")
        elif result.url:
            lines.append(f"Open a pull request: {result.url}")
        return lines
    if isinstance(result, Pushed) and result.committed:
        tries = f" after {result.retries} retr{'y' if result.retries == 1 else 'ies'}"
        lines = [f"Pushed {result.commit[:10]} to {result.remote}/{result.branch}"
                 + (tries if result.retries else "")]
        return lines + ([f"Note: {result.local}"] if result.local else [])
    return []
