"""Where modelreg keeps what it caches on this machine, and which folder a remote's clone gets.

The root is `$MODELREG_CACHE`, else `$XDG_CACHE_HOME/modelreg`, else `~/.cache/modelreg`
(the XDG base-directory rule Git and pip follow). Each part of modelreg keeps its own folder
under it: cached clones of remote registries in `registries/`, verified artifacts in
`artifacts/` (`store.cache`). Everything there is disposable: deleting it changes no answer,
the next read fetches again.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

ENV_CACHE = "MODELREG_CACHE"
REGISTRIES = "registries"
ARTIFACTS = "artifacts"
# `MODELREG_CACHE=off` turns the artifact cache off (`store.cache`); a remote registry cannot
# be read without its clone, which then lives in the default place.
OFF = frozenset({"off", "0", "false", "no", "none"})


def cache_root() -> Path:
    """modelreg's cache folder on this machine (it need not exist yet)."""
    explicit = os.environ.get(ENV_CACHE, "").strip()
    if explicit and explicit.lower() not in OFF:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # XDG: relative is unset
    return base / "modelreg"


def clone_folder(url: str, ref: str) -> Path:
    """The folder of the cached clone of branch `ref` ('' for the default branch) of `url`.

    Named by a hash of both (one clone per branch: a fetch of one branch never moves another
    reader's), after a readable slug of the URL for whoever looks in the folder.
    """
    digest = hashlib.sha256(f"{url}\n{ref}".encode()).hexdigest()[:20]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", url.partition("://")[2]).strip("-.")[-48:]
    return cache_root() / REGISTRIES / f"{slug or 'remote'}-{digest}"
