"""When a cached clone was last fetched, kept in the cache so every process shares it.

One small file, `fetched`, replaced by a rename (a reader sees the old record or the new
one): the time of the last successful fetch, the time of the last attempt, and, when that
attempt failed, Git's one-line reason. Times are whatever the clock of the `Registry` says
(`time.time` unless a test injects one), in seconds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

FILE = "fetched"


class Stamp(NamedTuple):
    fetched: float = 0.0  # the last fetch that worked (0: never)
    attempted: float = 0.0  # the last fetch tried, whether it worked or not
    error: str = ""  # why the last attempt failed ('' when it worked)

    @property
    def failed(self) -> bool:
        return self.attempted > self.fetched


def read(folder: Path) -> Stamp:
    """The record in `folder`; an absent or unreadable one means "never fetched"."""
    try:
        fetched, attempted, *error = (folder / FILE).read_text("utf-8").split("\n", 2)
        return Stamp(float(fetched), float(attempted), "".join(error).strip())
    except (OSError, ValueError):
        return Stamp()


def write(folder: Path, stamp: Stamp) -> None:
    tmp = folder / f"{FILE}.{os.getpid()}.tmp"
    error = " ".join(stamp.error.split())
    tmp.write_text(f"{stamp.fetched!r}\n{stamp.attempted!r}\n{error}\n", "utf-8")
    os.replace(tmp, folder / FILE)
