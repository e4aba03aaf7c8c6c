"""The read cache that makes listing and searching a large registry fast (DESIGN §6).

`Index.open(repo, prefix).versions(commit)` answers what a walk of every manifest at `commit`
would, parsing only the manifests whose blobs it has not seen. The cache lives in
`<git dir>/modelreg/` and can be deleted at any time.
"""

from __future__ import annotations

from modelreg.index.core import Index, index_path
from modelreg.index.stats import IndexStats

__all__ = ["Index", "IndexStats", "index_path"]
