"""What an index did: the counts that prove reads do not grow with the registry (DESIGN §6)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class IndexStats:
    """Counters, reset with `reset()`; benchmarks and tests read them, nothing else does."""

    manifests_parsed: int = 0  # YAML documents parsed
    rows_loaded: int = 0  # rows read from SQLite to answer a listing
    rows_decoded: int = 0  # of those, values built from stored JSON (not in the memo)
    tree_diffs: int = 0  # tree-to-tree diffs (the usual way forward)
    full_scans: int = 0  # listings of the whole models tree (first build, pruned history)
    trees_listed: int = 0
    blobs_read: int = 0
    objects_read: int = 0  # trees and blobs opened, those a diff opens included
    discarded: int = 0  # index files thrown away (corrupt, foreign, stale)
    in_memory: int = 0  # answers computed without the file (locked, read-only)

    def reset(self) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
