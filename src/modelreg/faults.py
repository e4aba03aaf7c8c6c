"""Named fault points: where a test kills a write with SIGKILL to prove it recovers (issue #6).

`MODELREG_FAULT=after_cas` makes the process kill itself, as `kill -9` would, the first time
it reaches `point("after_cas")`; `after_cas:3` the third time. The environment is read once,
at import, so an unarmed point costs one comparison: a write reaches a handful of them.

The points, in the order a write reaches them (DESIGN §2, §4):

- `mid_upload`: one file of a local upload staged, the others not
- `before_marker`: the files in the store, their `.complete` marker not yet written
- `after_upload`: the artifacts uploaded and verified, nothing committed
- `before_cas`: the commit's objects written, the branch not moved
- `cas_locked`: Git's `<ref>.lock` taken and written, not yet renamed onto the ref
- `after_cas`: the branch moved, the checkout not yet synced
- `mid_sync`: one changed file of the checkout written, the others and the index not
- `index_locked`: Git's `index.lock` written, not yet renamed onto the index
- `before_push` / `after_push`: a `--push` commit made, not pushed / pushed, the local
  branch not brought along
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "MODELREG_FAULT"


def _parse(spec: str) -> tuple[str, int]:
    name, _, nth = spec.strip().partition(":")
    return name, int(nth) if nth.isdigit() and int(nth) > 0 else 1


_ARMED, _NTH = _parse(os.environ.get(ENV, ""))
_hits = 0
_paused = 0


def point(name: str) -> None:
    """Die here by SIGKILL when `$MODELREG_FAULT` names this point (and this is its N-th hit)."""
    if name != _ARMED or _paused:
        return
    global _hits
    _hits += 1
    if _hits == _NTH:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def paused() -> Iterator[None]:
    """No point fires inside: the recovery of a write killed at a point passes the same
    points, and a test killing every run there would then never get past the recovery (kills
    during a recovery come from the random kills of the tests instead)."""
    global _paused
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
