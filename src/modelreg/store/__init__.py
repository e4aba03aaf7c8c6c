"""The artifact store (DESIGN §2): content-addressed folders in any fsspec filesystem.

`open_store(url, base_dir=...)` opens the store a registry names; `Store.upload` copies local
files in, `Store.reference` records files where they are, `Store.download` fetches a version's
files with every sha256 verified. Only this package (and `gitrepo`) touches the outside world;
fsspec is imported here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.model import ArtifactMode, Artifacts
from modelreg.store.backend import address, protocol_of
from modelreg.store.credentials import check_no_credentials

if TYPE_CHECKING:
    from modelreg.store.backend import Opened
    from modelreg.store.core import Store


def open_store(
    url: str, *, base_dir: Path, storage_options: dict[str, Any] | None = None,
    concurrency: int | None = None,
) -> Store:
    """The store at `url`: an fsspec URL (`s3://bucket/prefix`, `memory://x`, `file:///abs`)
    or a local path, relative to `base_dir` (the registry folder) unless absolute.

    `storage_options` go to the fsspec filesystem (endpoint, profile, ...); credentials come
    from them or from fsspec's configuration and the environment, never from the URL.
    The filesystem is opened on first use: `location` (what a resolve prints) needs only
    the URL, and importing fsspec costs a resolve more than the resolve itself.
    `concurrency` is how many files a transfer to or from a remote store moves at once
    (default `$MODELREG_TRANSFER_CONCURRENCY`, else 16; 1 is one request after another).
    """
    from modelreg.store.backend import open_url
    from modelreg.store.core import LazyOpen, Store
    from modelreg.store.transfer import sized_pool

    check_no_credentials(url)
    protocol = protocol_of(url)

    def opener() -> Opened:
        options = sized_pool(protocol, storage_options, concurrency)
        return open_url(url, base_dir=Path(base_dir), storage_options=options)

    return Store(
        url=address(url, base_dir=Path(base_dir)),
        opener=LazyOpen(opener),
        protocol=protocol,
        storage_options=dict(storage_options or {}),
        concurrency=concurrency,
    )


def location_of(url: str, artifacts: Artifacts, *, base_dir: Path) -> str:
    """Where a version's files are (`Store.location`), from the store's URL alone: what a
    resolve prints, without opening the store or importing its machinery."""
    if artifacts.mode is ArtifactMode.STORED:
        return f"{address(url, base_dir=Path(base_dir))}/{artifacts.uri}"
    return artifacts.uri


def __getattr__(name: str) -> Any:
    if name == "Store":
        from modelreg.store.core import Store

        return Store
    raise AttributeError(f"module 'modelreg.store' has no attribute {name!r}")


__all__ = ["Store", "location_of", "open_store"]
