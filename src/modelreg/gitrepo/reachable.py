"""What history a garbage collection must keep readable (DESIGN §2): every ref's commit, and
the commits of a retention window behind them.

`tips` are the commits of every ref (branches, remote-tracking branches, tags, anything under
`refs/`) and HEAD: an unmerged pull request's branch keeps its artifacts like the registry
branch does. `window_edges` walks back from them through every parent (not only first parents:
a merged branch's commits are history too) while commits are inside the window, and yields
each (parent, child) pair it crosses; the parent of the oldest commit inside is where the
window begins, which an `--at` of that instant reads, so it is kept too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelreg.gitrepo.repo import GitRepo


def tips(repo: GitRepo) -> list[str]:
    """The commits every ref and HEAD point at (refs to trees or blobs are skipped)."""
    import pygit2

    raw = repo.raw
    found: set[str] = set()
    for name in raw.references:
        try:
            found.add(str(raw.references[name].peel(pygit2.Commit).id))
        except (pygit2.GitError, KeyError, ValueError):  # a tag of a blob, a dangling ref
            continue
    head = repo.head_commit()
    if head:
        found.add(head)
    return sorted(found)


def window_edges(repo: GitRepo, starts: Iterable[str], since: int) -> Iterator[tuple[str, str]]:
    """(parent, child) for every commit reachable from `starts` through commits made at or
    after `since` (a Unix time), that commit included."""
    raw = repo.raw
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        commit_id = stack.pop()
        if commit_id in seen:
            continue
        seen.add(commit_id)
        commit = raw[commit_id]
        repo.stats.objects_read += 1
        if commit.commit_time < since:
            continue
        for parent in commit.parent_ids:
            yield str(parent), commit_id
            stack.append(str(parent))
