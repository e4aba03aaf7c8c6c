"""The states `check` compares: the change (merge base -> HEAD) and the base branch's tip.

The change judged is merge-base(BASE, HEAD)..HEAD; numbers, alias targets and the policy are
judged against BASE's tip (DESIGN §5). `merged` is BASE's tip with the files the change
touches taken from HEAD: what the registry would read once the change lands (when Git merges
it without conflicts; a conflict is the forge's to report).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from modelreg.diff import RegistryDiff, registry_diff
from modelreg.snapshot import Files, OverlayFiles, Snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeView:
    before: Snapshot  # the merge base: where the change starts
    after: Snapshot  # HEAD: where it ends
    base: Snapshot  # the base branch's tip: what it is judged against
    merged: Snapshot  # `base` with the changed files as in `after`
    paths: tuple[str, ...]  # registry-relative paths the change touches
    diff: RegistryDiff  # before -> after

    @classmethod
    def build(cls, before: Files, after: Files, base: Files, paths: Iterable[str]) -> ChangeView:
        """Reads only the changed paths (and what the diff needs to name and locate them)."""
        touched = tuple(sorted(set(paths)))
        old, new = Snapshot(before), Snapshot(after)
        merged = OverlayFiles(base, {path: after.read(path) for path in touched})
        return cls(
            before=old, after=new, base=Snapshot(base), merged=Snapshot(merged), paths=touched,
            diff=registry_diff(old, new, touched),
        )
