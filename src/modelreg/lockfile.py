"""An exclusive lock on a file, for the writer's lock and a cached clone's fetch lock.

`flock` where there is one, as `filelock` does, without importing it (~15 ms of a CLI write):
the kernel releases it when its holder dies, so a killed process leaves no stale lock. It is
polled, not waited for, so that a waiter gives up after `timeout` with the caller's error
rather than hanging behind a stuck holder. `filelock` where there is no `flock` (Windows).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def held(path: Path, *, timeout: float, poll: float,
         stuck: Callable[[], Exception]) -> Iterator[None]:
    """Hold the lock file `path` (created, with its folder) for the block; `stuck()` is
    raised when it could not be had within `timeout` seconds, looking every `poll`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        with _filelock(path, timeout, stuck):
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
                    raise stuck() from None
                time.sleep(poll)
        yield
    finally:
        os.close(fd)  # and with it the lock


@contextmanager
def _filelock(path: Path, timeout: float,
              stuck: Callable[[], Exception]) -> Iterator[None]:  # pragma: no cover - Windows
    import filelock

    lock: Any = filelock.FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise stuck() from None
    try:
        yield
    finally:
        lock.release()
