"""Opening an fsspec filesystem for a URL, and turning backend failures into modelreg errors.

Every store and reference goes through fsspec (`url_to_fs`); a path without a protocol is a
local folder, relative to the registry folder for the store and to the current directory for a
reference. A backend failure (permission denied, unreachable endpoint, missing bucket) becomes
one `StoreError` line naming the URL; a missing object becomes the caller's `ArtifactError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from modelreg.errors import ArtifactError, ModelregError, StoreError
from modelreg.store.credentials import check_no_credentials, redact

# Failures that are bugs of ours, not of the backend: they keep their traceback.
_PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError, AssertionError, RecursionError)


class Opened(NamedTuple):
    fs: Any  # fsspec.AbstractFileSystem
    root: str  # the path inside `fs`, no protocol, no trailing '/'
    url: str  # the absolute URL people see


def protocol_of(url: str) -> str | None:
    """fsspec's `split_protocol` rule, without importing fsspec (a resolve must not pay for it):
    `proto://...` with a protocol longer than one letter (`C://` is a Windows drive)."""
    if "://" in url:
        protocol = url.split("://", 1)[0]
        if len(protocol) > 1:
            return protocol
    return None


def address(url: str, *, base_dir: Path) -> str:
    """The absolute URL people see for a store, computed without opening it."""
    protocol = protocol_of(url)
    if protocol is None or (protocol == "file" and "::" not in url):
        return Path(os.path.abspath(Path(base_dir).expanduser() / local_path(url))).as_uri()
    return url.rstrip("/") or url


def open_url(
    url: str, *, base_dir: Path, storage_options: Mapping[str, Any] | None = None,
    label: str = "artifact store",
) -> Opened:
    """The filesystem and root of `url` (an fsspec URL, or a local path under `base_dir`);
    `label` names what it is in an error ("artifact store", "referenced artifacts at")."""
    import fsspec
    from fsspec.core import url_to_fs

    check_no_credentials(url)
    protocol = protocol_of(url)
    if protocol is None or (protocol == "file" and "::" not in url):
        path = Path(os.path.abspath(Path(base_dir).expanduser() / local_path(url)))
        return Opened(fsspec.filesystem("file"), path.as_posix(), path.as_uri())
    with backend_errors(f"{label} {redact(url)}", "open"):
        fs, root = url_to_fs(url, **dict(storage_options or {}))
    return Opened(fs, str(root).rstrip("/") or str(root), url.rstrip("/") or url)


def local_path(url: str) -> Path:
    """The path of a local path or `file://` URL (percent-decoded, as `Path.as_uri` encodes)."""
    if protocol_of(url) != "file":
        return Path(url).expanduser()
    path = unquote(urlsplit(url).path)
    if len(path) > 2 and path[0] == "/" and path[2] == ":":  # file:///C:/models on Windows
        path = path[1:]
    return Path(path)


def is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


@contextmanager
def backend_errors(where: str, action: str, *, missing: str | None = None) -> Iterator[None]:
    """Turn what the backend raises inside the block into one-line modelreg errors.

    `where` names the place ("artifact store s3://b/p"), `action` what was being done
    ("write to"); a missing object raises ArtifactError(`missing`) when `missing` is given.
    """
    try:
        yield
    except (ModelregError, *_PROGRAMMING_ERRORS):
        raise
    except FileNotFoundError as exc:
        if missing is not None:
            raise ArtifactError(missing) from exc
        raise StoreError(f"cannot {action} {where}: {reason(exc)}{_HINT}") from exc
    except Exception as exc:
        raise StoreError(f"cannot {action} {where}: {reason(exc)}{_HINT}") from exc


_HINT = " (check the URL, the permissions and the credentials fsspec is given)"


def reason(exc: BaseException) -> str:
    """The first line of an exception's message, short enough for one line of output."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
