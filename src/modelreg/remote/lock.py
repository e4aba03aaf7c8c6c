"""The lock that lets one process at a time clone or fetch a cached clone.

`flock`, which the kernel releases when its holder dies (a killed fetch leaves no stale lock),
polled so that a waiter gives up with a clear error rather than hanging behind a stuck
fetch; `filelock` where there is no `flock` (Windows). Readers never take it: Git writes the
objects before it moves the branch, and moves the branch by renaming a file, so a reader sees
the old tip or the new one, each complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modelreg import lockfile
from modelreg.errors import Conflict

TIMEOUT = 300.0  # a clone or fetch gives up after `gitcalls.TIMEOUT`; this is well past it


@contextmanager
def held(path: Path, *, timeout: float = TIMEOUT) -> Iterator[None]:
    """Hold the lock file `path` (created, with its folder) for the block."""
    with lockfile.held(path, timeout=timeout, poll=0.005, stuck=lambda: _stuck(path, timeout)):
        yield


def _stuck(path: Path, timeout: float) -> Conflict:
    return Conflict(f"another process has been fetching into {path.parent} for {timeout:.0f} s")
