"""A progress bar for uploads and downloads: an fsspec `Callback` drawing tqdm on stderr.

The store calls `set_size(total)` once and `relative_update(n)` as bytes move. The bar is only
drawn for a person watching (stderr is a terminal, no `--json`) and only for transfers of at
least `MIN_BYTES`: small ones finish before a bar would say anything. fsspec and tqdm are
imported when a bar may be needed, never when the module is imported (STYLE §12).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MIN_BYTES = 64 * 1024 * 1024


def make_callback(enabled: bool, *, min_bytes: int = MIN_BYTES) -> Any:
    """An fsspec Callback that draws a bar once told a size of at least `min_bytes`, or None
    (the library's default, no progress) when no bar may be shown."""
    if not enabled:
        return None
    from fsspec.callbacks import Callback

    class TqdmBar(Callback):  # type: ignore[misc]
        """The bar is created on `set_size`, when the total is known to be large enough."""

        def __init__(self) -> None:
            super().__init__()
            self.bar: Any = None

        def set_size(self, size: int) -> None:
            if self.bar is not None:
                self.bar.total = size
            elif size is not None and size >= min_bytes:
                from tqdm import tqdm

                columns, lines = _screen()
                self.bar = tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024,
                                file=sys.stderr, leave=False, ncols=columns, nrows=lines)
            super().set_size(size)

        def call(self, *args: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.update(self.value - self.bar.n)

        def close(self) -> None:
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return TqdmBar()


def _screen() -> tuple[int, int]:
    """The terminal's width and height; 80x24 when it does not say (a pseudo-terminal nobody
    sized says 0x0, and tqdm then draws nothing)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        return 80, 24
    return size.columns or 80, size.lines or 24


@contextmanager
def bar(*, quiet: bool = False) -> Iterator[Any]:
    """`with bar(quiet=as_json) as callback:` pass `callback=` to the library. A bar may show
    only when stderr is a terminal and not `quiet`; it is closed (and wiped from the terminal)
    when the block ends, however it ends."""
    callback = make_callback(not quiet and sys.stderr.isatty())
    try:
        yield callback
    finally:
        if callback is not None:
            callback.close()
