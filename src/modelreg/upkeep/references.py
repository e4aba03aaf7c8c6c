"""The digests a registry's history keeps: what the tips reference, and what every commit of
the retention window referenced (DESIGN §2).

A tip is listed whole (each registry folder and model folder once, by tree id); the window
adds, for every (parent, child) pair in it, the version files the child changed or removed as
they were in the parent. Together that is every version file of every commit in the window,
read once per blob: the cost follows the changes, not commits times versions. A tombstone
keeps nothing: a deleted version's artifacts stay only while a commit of the window still has
it alive. A version file that cannot be parsed keeps every digest its text names (gc fails
safe: a hand edit gone wrong never costs bytes).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from modelreg import layout
from modelreg.errors import ModelregError

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo, TreeFiles

_VERSION_PATH = re.compile(r"^models/[^/]+/versions/[1-9][0-9]*\.yaml$")
_HEX = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


class Keeper:
    """The digests one registry keeps; `collect` again after the tips moved reads only what
    is new (blobs, trees and pairs already seen are not read twice)."""

    def __init__(self, repo: GitRepo, prefix: str) -> None:
        self.repo = repo
        self.prefix = prefix
        self.digests: set[str] = set()
        self.tips = 0
        self.commits = 0
        self._blobs: dict[str, frozenset[str]] = {}
        self._trees: set[str] = set()
        self._pairs: set[tuple[str, str]] = set()

    def collect(self, *, since: int) -> set[str]:
        """Read the tips as they are now and the window back to `since` (Unix time)."""
        from modelreg.gitrepo.reachable import tips, window_edges

        heads = tips(self.repo)
        self.tips = len(heads)
        for tip in heads:
            self._tip(tip)
        for pair in window_edges(self.repo, heads, since):
            if pair not in self._pairs:
                self._pairs.add(pair)
                self._pair(*pair)
        self.commits = len({child for _, child in self._pairs})
        return self.digests

    def _tip(self, commit: str) -> None:
        files = self.repo.tree_files(commit, self.prefix)
        if not self._first(files.tree_id("")):
            return
        for folder in files.listdir(layout.MODELS_DIR):
            path = f"{layout.MODELS_DIR}/{folder}"
            if self._first(files.tree_id(path)):
                self._versions(files, f"{path}/{layout.VERSIONS_DIR}")

    def _versions(self, files: TreeFiles, folder: str) -> None:
        for name in files.listdir(folder):
            path = f"{folder}/{name}"
            blob = files.blob_id(path) if _VERSION_PATH.match(path) else None
            if blob is not None:
                self._blob(blob, path)

    def _pair(self, parent: str, child: str) -> None:
        for changed in self.repo.changed_paths(parent, child, self.prefix):
            if changed.old is not None and _VERSION_PATH.match(changed.path):
                self._blob(changed.old, changed.path)

    def _first(self, tree: str | None) -> bool:
        if tree is None or tree in self._trees:
            return False
        self._trees.add(tree)
        return True

    def _blob(self, blob: str, path: str) -> None:
        found = self._blobs.get(blob)
        if found is None:
            obj = self.repo.cat.get(blob)
            found = digests_in(obj.data if obj is not None else b"", path)
            self._blobs[blob] = found
        self.digests |= found


def digests_in(data: bytes, path: str) -> frozenset[str]:
    """The digest hexes a version file keeps: none for a tombstone or no artifacts, every
    64-digit hex in its text when it cannot be parsed."""
    from modelreg import manifest

    try:
        mv = manifest.parse_version(data, path)
    except (ModelregError, ValueError):
        return frozenset(_HEX.findall(data.decode("utf-8", "replace")))
    art = mv.artifacts
    if mv.deleted is not None or art is None:
        return frozenset()
    return frozenset(_HEX.findall(" ".join((art.digest, art.uri, art.files_uri))))
