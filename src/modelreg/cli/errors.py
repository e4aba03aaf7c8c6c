"""The one place where errors become exit codes (STYLE §9).

- `ModelregError` (anything the user can cause): `modelreg: error: <message>`, exit 1.
- click's usage errors: click prints them, exit 2. `Exit` (a command's own code) passes.
- Ctrl-C: exit 130, as shells expect.
- a warning of the library: `modelreg: warning: <message>` on stderr, the command goes on.
- anything else is a bug: `modelreg: internal error: <Type>: <message> (rerun with --debug
  for the traceback)`, exit 1.

With `--debug` every error is raised again, so Python prints its traceback.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from modelreg.errors import ModelregError

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
DEBUG_HINT = "(rerun with --debug for the traceback)"


@contextmanager
def handler(*, debug: bool) -> Iterator[None]:
    """Wraps the run of a command (the root group's `invoke`)."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            yield
    except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
        raise  # click reports usage errors (exit 2) and a closed pipe itself
    except ModelregError as exc:
        if debug:
            raise
        fail(f"error: {exc}")
    except KeyboardInterrupt:
        if debug:
            raise
        click.echo(err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if debug:
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} {DEBUG_HINT}")


def _show_warning(message: Warning | str, *_: object, **__: object) -> None:
    """What the library warns of (a stale cached clone, ...): `modelreg: warning: ...`."""
    click.echo(f"modelreg: warning: {message}", err=True)


def fail(message: str) -> NoReturn:
    """Print `modelreg: <message>` as one line on stderr and exit 1."""
    one_line = " ".join(message.split("\n")).strip()
    click.echo(f"modelreg: {one_line}", err=True)
    raise click.exceptions.Exit(EXIT_ERROR)
