"""Finding the registry a command means (DESIGN §1, §3).

Like git finds `.git`: an explicit `--registry` (a folder or a registry URI), then
`$MODELREG_REGISTRY`, then the nearest parent of the current folder that holds
`registry.yaml`. A bare repository is named with `modelreg:///srv/repo.git?path=sub&ref=main`
(it has no folder to walk up from); a registry in a remote repository with
`modelreg+https://host/org/repo.git?ref=main&path=ml/registry` (likewise `+ssh`, `+git`,
`+file`, `+http`; `git+https://...` is the same), read through a cached clone
(`modelreg.remote`) whose path this module names without touching it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from modelreg.errors import InvalidParameter, RegistryNotFound
from modelreg.layout import REGISTRY_FILE

ENV_VAR = "MODELREG_REGISTRY"
TRANSPORTS = ("https", "http", "ssh", "git", "file")  # what Git fetches from, after `modelreg+`
REMOTE_PARAMS = ("ref", "path", "max_age")
PASSED_ON = ("artifacts",)  # the MLflow plugin's (`mlflow_plugin.artifacts`): no read uses it
_URI = re.compile(r"^(modelreg|modelreg\+[A-Za-z0-9.-]*|git\+[A-Za-z0-9.-]*):")
_BRANCH = re.compile(r"^(?![-/.])(?!.*(?:\.\.|//|@\{|\.lock$|/$|\.$))[A-Za-z0-9._/+-]{1,200}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteSource:
    """A registry in a remote repository: what to fetch, from where, how often."""

    uri: str  # as given (credentials are refused, so it can be shown)
    url: str  # what Git fetches from: `https://host/org/repo.git`
    ref: str = ""  # the branch; '' for the remote's default branch
    max_age: float | None = None  # `?max_age=` seconds; None: the Registry's or the default


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """`path` is the registry folder in a checkout, or the bare repository (with `prefix`);
    for a remote registry, the bare repository of its cached clone (made on first use)."""

    path: Path
    prefix: str = ""  # only for a bare repository: the registry folder inside it
    ref: str = ""  # only for a bare repository: the branch to read and write
    bare: bool = False
    remote: RemoteSource | None = None


def is_uri(text: str) -> bool:
    """Whether `text` is a registry URI (anything else is a folder)."""
    return _URI.match(text) is not None


def parse_uri(uri: str) -> Location:
    """`modelreg:///abs/folder`, `modelreg:///abs/repo.git?path=sub&ref=main`, or a remote
    `modelreg+TRANSPORT://...` / `git+TRANSPORT://...`."""
    parts = urlsplit(uri)
    if parts.scheme.startswith(("modelreg+", "git+")):
        return _remote(uri)
    if parts.scheme != "modelreg":
        raise InvalidParameter(
            f"registry URI {uri!r} is not supported (expected a folder, modelreg:///PATH or "
            "modelreg+https://HOST/REPO.git?ref=BRANCH&path=FOLDER)"
        )
    if parts.netloc not in ("", "localhost"):
        raise InvalidParameter(
            f"registry URI {uri!r} names a host; use modelreg:///PATH for a folder here, or "
            f"modelreg+https://{parts.netloc}/REPO.git (or +ssh) for a remote repository"
        )
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


def _remote(uri: str) -> Location:
    from modelreg.remote.cachedir import clone_folder
    from modelreg.store.credentials import find_credential, redact

    found = find_credential(uri)
    if found:
        raise InvalidParameter(
            f"registry URI {redact(uri)!r} carries a credential ({found}); give Git its "
            "credentials through a credential helper or an SSH key, never in the URI"
        )
    parts = urlsplit(uri)
    transport = parts.scheme.partition("+")[2]
    if transport not in TRANSPORTS:
        raise InvalidParameter(
            f"registry URI {uri!r}: {transport or 'no'} transport is not supported "
            f"({', '.join(f'modelreg+{t}://' for t in TRANSPORTS)})"
        )
    query = _remote_query(uri, parts.query, parts.fragment)
    url = f"{transport}://{parts.netloc}{parts.path}"
    if not parts.path.strip("/"):
        raise InvalidParameter(f"registry URI {uri!r} names no repository")
    ref = query["ref"]
    source = RemoteSource(uri=uri, url=url, ref=ref, max_age=_seconds(query, uri))
    return Location(path=clone_folder(url, ref) / "repo.git", prefix=query["path"],
                    ref=ref, bare=True, remote=source)


def _remote_query(uri: str, query: str, fragment: str) -> dict[str, str]:
    """`ref`, `path` and `max_age`, each checked; anything else is refused (a misspelt
    `max-age` must not silently mean the default)."""
    given = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(given) - set(REMOTE_PARAMS) - set(PASSED_ON))
    if unknown or fragment:
        what = f"parameter {unknown[0]!r}" if unknown else f"fragment #{fragment}"
        raise InvalidParameter(
            f"registry URI {uri!r}: unknown {what} (a remote registry takes "
            f"{', '.join(f'?{p}=' for p in REMOTE_PARAMS)})"
        )
    values = {k: v[-1] for k, v in given.items()}
    ref = values.get("ref", "").removeprefix("refs/heads/")
    if ref and not _BRANCH.match(ref):
        raise InvalidParameter(f"registry URI {uri!r}: ref={ref!r} is not a branch name")
    path = values.get("path", "").strip("/")
    if path and any(part in ("", ".", "..") for part in path.split("/")):
        raise InvalidParameter(f"registry URI {uri!r}: path={path!r} is not a folder inside it")
    return {**values, "ref": ref, "path": path}


def _seconds(query: dict[str, str], uri: str) -> float | None:
    return check_seconds(query["max_age"], f"{uri!r}: max_age") if "max_age" in query else None


def check_seconds(value: object, what: str) -> float:
    """A number of seconds, finite and >= 0, or InvalidParameter naming `what`."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise InvalidParameter(f"{what}={value!r} is not a number of seconds (0 or more)")
    return seconds


def _is_bare_repo(path: Path) -> bool:
    is_git_dir = (path / "HEAD").is_file() and (path / "objects").is_dir()
    return is_git_dir and not (path / ".git").exists()


def locate(explicit: str | os.PathLike[str] | None = None, *, cwd: Path | None = None) -> Location:
    """The registry named explicitly, by the environment, or found above `cwd`."""
    given = explicit if explicit not in (None, "") else os.environ.get(ENV_VAR) or None
    if given is not None:
        text = os.fspath(given)
        if is_uri(text):
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
