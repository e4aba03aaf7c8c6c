"""Which files differ between two views, for views without a tree diff of their own.

Git gives the changed paths of two commits cheaply (`GitRepo.changed_paths`); a memory view
or the work tree does not, so this walks both, skipping folders whose content id agrees when
the view knows one (`tree_id`). It costs O(registry) in the worst case: use it for tests and
for uncommitted edits, not for history.
"""

from __future__ import annotations

from modelreg.snapshot import Files


def changed_paths(old: Files | None, new: Files, folder: str = "") -> list[str]:
    """Registry-relative paths of the files added, removed or modified, sorted."""
    if old is not None and _same_tree(old, new, folder):
        return []
    names = set(new.listdir(folder)) | (set(old.listdir(folder)) if old is not None else set())
    out: list[str] = []
    for name in sorted(names):
        path = f"{folder}/{name}" if folder else name
        before = old.blob_id(path) if old is not None else None
        after = new.blob_id(path)
        if before != after:
            out.append(path)
        if before is None or after is None:
            # Not a file on both sides: a folder on one of them, walked for what it holds.
            out += changed_paths(old, new, path)
    return sorted(set(out))


def _same_tree(old: Files, new: Files, folder: str) -> bool:
    old_id = getattr(old, "tree_id", None)
    new_id = getattr(new, "tree_id", None)
    if old_id is None or new_id is None:
        return False
    before, after = old_id(folder), new_id(folder)
    return before is not None and before == after
