"""`modelreg-artifacts://<registry URI>/<name>/<version>[/<path>]`: where MLflow downloads a
registered version from (the format is described in the package's docstring)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from modelreg.errors import InvalidParameter

SCHEME = "modelreg-artifacts"
PREFIX = f"{SCHEME}://"


class Target(NamedTuple):
    """What a download URI names."""

    registry_uri: str
    name: str
    version: int | None  # None when MLflow split the version off as the artifact path
    path: str  # inside the version, '/'-separated, '' for all of it


def download_uri(registry_uri: str, name: str, version: int | str) -> str:
    """The URI MLflow downloads a version through (`get_model_version_download_uri`)."""
    registry = quote(absolute(registry_uri), safe="")
    return f"{PREFIX}{registry}/{quote(name, safe='')}/{int(version)}"


def absolute(registry_uri: str) -> str:
    """`modelreg:relative/folder` made absolute: a download URI is opened from anywhere."""
    parts = urlsplit(registry_uri)
    if parts.scheme != "modelreg" or parts.path.startswith("/"):
        return registry_uri
    path = Path(os.path.abspath(unquote(parts.path))).as_posix()
    query = f"?{parts.query}" if parts.query else ""
    return f"modelreg://{quote(path)}{query}"


def parse_download_uri(uri: str) -> Target:
    """The registry, model, version and path a download URI names. The path is kept as it
    is: MLflow appends artifact paths to a URI without quoting them."""
    parts = uri[len(PREFIX):].split("/", 3) if uri.startswith(PREFIX) else []
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise InvalidParameter(
            f"invalid modelreg artifact URI {uri!r} (expected {PREFIX}REGISTRY/NAME/VERSION)"
        )
    number = parts[2] if len(parts) > 2 else ""
    if number and not (number.isdigit() and int(number) > 0):
        raise InvalidParameter(
            f"invalid modelreg artifact URI {uri!r}: {number!r} is not a version number"
        )
    return Target(
        registry_uri=unquote(parts[0]),
        name=unquote(parts[1]),
        version=int(number) if number else None,
        path=parts[3].strip("/") if len(parts) > 3 else "",
    )
