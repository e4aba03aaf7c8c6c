"""Finding the registry a command means (DESIGN §1, §3).

Like git finds `.git`: an explicit `--registry` (a folder or a `modelreg:` URI), then
`$MODELREG_REGISTRY`, then the nearest parent of the current folder that holds
`registry.yaml`. A bare repository is named with `modelreg:///srv/repo.git?path=sub&ref=main`
(it has no folder to walk up from).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from modelreg.errors import InvalidParameter, RegistryNotFound
from modelreg.layout import REGISTRY_FILE

ENV_VAR = "MODELREG_REGISTRY"


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """`path` is the registry folder in a checkout, or the bare repository (with `prefix`)."""

    path: Path
    prefix: str = ""  # only for a bare repository: the registry folder inside it
    ref: str = ""  # only for a bare repository: the branch to read and write
    bare: bool = False


def parse_uri(uri: str) -> Location:
    """`modelreg:///abs/folder` or `modelreg:///abs/repo.git?path=sub&ref=main`."""
    parts = urlsplit(uri)
    if parts.scheme != "modelreg":
        raise InvalidParameter(
            f"registry URI {uri!r} is not supported (expected a folder or modelreg:///PATH; "
            "remote registries (modelreg+https://...) are not supported yet)"
        )
    if parts.netloc not in ("", "localhost"):
        raise InvalidParameter(f"registry URI {uri!r} names a host; use modelreg:///PATH")
    query = parse_qs(parts.query)
    path = Path(unquote(parts.path))
    prefix = query.get("path", [""])[0].strip("/")
    ref = query.get("ref", [""])[0]
    if _is_bare_repo(path):
        return Location(path=path, prefix=prefix, ref=ref, bare=True)
    if prefix or ref:
        raise InvalidParameter(
            f"registry URI {uri!r}: ?path= and ?ref= apply to bare repositories"
        )
    return Location(path=path)


def _is_bare_repo(path: Path) -> bool:
    is_git_dir = (path / "HEAD").is_file() and (path / "objects").is_dir()
    return is_git_dir and not (path / ".git").exists()


def locate(explicit: str | os.PathLike[str] | None = None, *, cwd: Path | None = None) -> Location:
    """The registry named explicitly, by the environment, or found above `cwd`."""
    given = explicit if explicit not in (None, "") else os.environ.get(ENV_VAR) or None
    if given is not None:
        text = os.fspath(given)
        if text.startswith("modelreg:"):
            location = parse_uri(text)
        else:
            path = Path(text).expanduser()
            location = Location(path=path, bare=_is_bare_repo(path))
        if not location.bare and not (location.path / REGISTRY_FILE).is_file():
            raise RegistryNotFound(
                f"no registry at {location.path} (no {REGISTRY_FILE}; run `modelreg init` there)"
            )
        return location
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / REGISTRY_FILE).is_file():
            return Location(path=folder)
    raise RegistryNotFound(
        f"no registry found in {start} or its parents (use --registry PATH, set "
        f"${ENV_VAR}, or run `modelreg init`)"
    )
