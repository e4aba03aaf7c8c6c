"""The registry URI MLflow hands the plugin: modelreg's grammar plus what only a store needs.

`modelreg:///abs/folder` (a registry folder in a checkout),
`modelreg:///abs/repo.git?path=sub&ref=main` (a bare repository) or
`modelreg+https://host/org/repo.git?ref=main&path=sub&max_age=60` (likewise `+ssh`, `+git`,
`+file`: a remote registry, read-only, through a cached clone), as everywhere in modelreg
(DESIGN §3), and these parameters, which the plugin reads and takes off before the rest goes
to `modelreg.Registry`:

- `at=REV`: read the registry as of a Git revision or a date (`at=main~3`, `at=2026-01-31`),
  like `--at` on the command line. The revision is resolved when MLflow makes the store (once
  per process: MLflow keeps one store per URI), and such a store refuses writes.
- `push=true|false`: whether writes are pushed to the registry branch of the remote (see
  `store.ModelregStore` for the default), `remote=NAME` which remote (default `origin`).
- `refresh=SECONDS`: how old the last fetch of the remote may be before a read fetches again
  (pushing stores only; default 5, `0` fetches before every read).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from modelreg.errors import InvalidParameter

PLUGIN_PARAMS = ("at", "push", "remote", "refresh")
DEFAULT_REFRESH = 5.0
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreURI:
    registry: str  # what `modelreg.Registry` is given: the URI without the plugin's parameters
    at: str = ""
    push: bool | None = None  # None: decided by the repository (see the store's docstring)
    remote: str = "origin"
    refresh: float = DEFAULT_REFRESH


def parse(store_uri: str) -> StoreURI:
    """Split a `modelreg:` store URI into modelreg's part and the plugin's parameters."""
    parts = urlsplit(store_uri)
    if parts.scheme != "modelreg" and not parts.scheme.startswith("modelreg+"):
        raise InvalidParameter(
            f"registry URI {store_uri!r} is not a modelreg URI (expected modelreg:///PATH or "
            "modelreg+https://HOST/REPO.git?ref=BRANCH&path=FOLDER)")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    mine = {k: v for k, v in pairs if k in PLUGIN_PARAMS}
    rest = [(k, v) for k, v in pairs if k not in PLUGIN_PARAMS]
    registry = urlunsplit(parts._replace(query=urlencode(rest)))
    return StoreURI(
        registry=registry, at=mine.get("at", ""), push=_flag(mine.get("push"), store_uri),
        remote=mine.get("remote") or "origin", refresh=_seconds(mine.get("refresh"), store_uri),
    )


def _flag(value: str | None, uri: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InvalidParameter(f"registry URI {uri!r}: push={value!r} is not true or false")


def _seconds(value: str | None, uri: str) -> float:
    if value is None or value == "":
        return DEFAULT_REFRESH
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise InvalidParameter(
            f"registry URI {uri!r}: refresh={value!r} is not a number of seconds")
    return seconds
