"""The artifact store (DESIGN §2): content-addressed folders in any fsspec filesystem.

`open_store(url, base_dir=...)` opens the store a registry names; `Store.upload` copies local
files in, `Store.reference` records files where they are, `Store.download` fetches a version's
files with every sha256 verified. Only this package (and `gitrepo`) touches the outside world;
fsspec is imported here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelreg.store.backend import Opened, address, open_url, protocol_of
from modelreg.store.core import LazyOpen, Store
from modelreg.store.credentials import check_no_credentials


def open_store(
    url: str, *, base_dir: Path, storage_options: dict[str, Any] | None = None
) -> Store:
    """The store at `url`: an fsspec URL (`s3://bucket/prefix`, `memory://x`, `file:///abs`)
    or a local path, relative to `base_dir` (the registry folder) unless absolute.

    `storage_options` go to the fsspec filesystem (endpoint, profile, ...); credentials come
    from them or from fsspec's configuration and the environment, never from the URL.
    The filesystem is opened on first use: `location` (what a resolve prints) needs only
    the URL, and importing fsspec costs a resolve more than the resolve itself.
    """
    check_no_credentials(url)

    def opener() -> Opened:
        return open_url(url, base_dir=Path(base_dir), storage_options=storage_options)

    return Store(
        url=address(url, base_dir=Path(base_dir)),
        opener=LazyOpen(opener),
        protocol=protocol_of(url),
        storage_options=dict(storage_options or {}),
    )


__all__ = ["Store", "open_store"]
