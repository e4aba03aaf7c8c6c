"""The lock that lets one process at a time clone or fetch a cached clone.

`flock`, which the kernel releases when its holder dies (a killed fetch leaves no stale lock),
polled so that a waiter gives up with a clear error rather than hanging behind a stuck
fetch; `filelock` where there is no `flock` (Windows). Readers never take it: Git writes the
objects before it moves the branch, and moves the branch by renaming a file, so a reader sees
the old tip or the new one, each complete.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelreg.errors import Conflict

TIMEOUT = 300.0  # a clone or fetch gives up after `gitcalls.TIMEOUT`; this is well past it


@contextmanager
def held(path: Path, *, timeout: float = TIMEOUT) -> Iterator[None]:
    """Hold the lock file `path` (created, with its folder) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        with _filelock(path, timeout):
            yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _stuck(path, timeout) from None
                time.sleep(0.005)
        yield
    finally:
        os.close(fd)  # and with it the lock


@contextmanager
def _filelock(path: Path, timeout: float) -> Iterator[None]:  # pragma: no cover - Windows
    import filelock

    lock: Any = filelock.FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise _stuck(path, timeout) from None
    try:
        yield
    finally:
        lock.release()


def _stuck(path: Path, timeout: float) -> Conflict:
    return Conflict(f"another process has been fetching into {path.parent} for {timeout:.0f} s")
