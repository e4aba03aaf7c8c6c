"""The read cache that makes listing and searching a large registry fast (DESIGN §6).

`Index.open(repo, prefix).versions(commit)` answers what a walk of every manifest at `commit`
would, parsing only the manifests whose blobs it has not seen. The cache lives in
`<git dir>/modelreg/` and can be deleted at any time.

The names below are imported on first use: a helper process of a first build
(index/bulk.py) imports only what it runs, not the searches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelreg.index.core import Index, index_path
    from modelreg.index.stats import IndexStats

__all__ = ["Index", "IndexStats", "index_path"]


def __getattr__(name: str) -> Any:
    if name in ("Index", "index_path"):
        from modelreg.index import core

        return getattr(core, name)
    if name == "IndexStats":
        from modelreg.index.stats import IndexStats

        return IndexStats
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
