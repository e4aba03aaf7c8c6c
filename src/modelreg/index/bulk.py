"""Parsing a whole registry at once, on every core: a first build after a clone (issue #5).

A registry of 100,000 versions holds 110,000 manifests, and a first search must parse them
all. From `PARALLEL_MIN` manifests on, they are shared between this process and up to
`MAX_HELPERS` helper processes (one per further core), each a fresh Python that reads its
blobs from the repository itself and sends back the rows the file stores, built by the same
function as here. Helpers are plain subprocesses rather than `multiprocessing` workers so that
nothing of the caller's `__main__` runs again in them (a script without a `__main__` guard
would register its models twice), and it is the same on Linux and macOS. A helper that cannot
start, fails or hangs leaves its share to this process: the rows are the same, only later.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.index import codec
from modelreg.index.gittrees import Trees
from modelreg.snapshot import ParseStats

if TYPE_CHECKING:
    import subprocess
    import threading

Wanted = list[tuple[str, str]]  # (kind, blob id)
RowOf = Callable[[Trees, str, str], codec.Row]

PARALLEL_MIN = 20_000  # below, starting a helper (~0.3 s) costs more than it saves
MAX_HELPERS = 3
HEAD_START = 4_000  # manifests this process parses per helper while helpers start
_COUNTS = ("manifests_parsed", "blobs_read", "objects_read")
_SERVE = "from modelreg.index.bulk import serve; serve()"


def rows(
    trees: Trees, wanted: Wanted, row_of: RowOf, *, helpers: int | None = None
) -> list[codec.Row]:
    """`row_of` of every wanted blob, in order, spread over the cores when there are many
    (`helpers`: how many helper processes, instead of one per further core)."""
    if helpers is None:
        helpers = _helper_count(len(wanted))
    mine, *theirs = _shares(wanted, helpers)
    started = [_Helper(trees.git_dir, share) for share in theirs]
    with no_gc():
        out = [row_of(trees, kind, blob) for kind, blob in mine]
        for helper in started:
            out.extend(helper.result(trees, row_of))
    return out


def _shares(wanted: Wanted, helpers: int) -> list[Wanted]:
    """This process's share first, a little larger: a helper starts ~0.3 s late (a fresh
    Python importing modelreg) and its rows then cross a pipe. The rest in equal parts."""
    equal = len(wanted) // (helpers + 1)
    head = equal + min(helpers * HEAD_START, equal // 4) if helpers else len(wanted)
    size = -(-(len(wanted) - head) // max(helpers, 1))
    rest = range(head, len(wanted), size or 1)
    return [wanted[:head], *(wanted[i : i + size] for i in rest)]


def _helper_count(wanted: int) -> int:
    if wanted < PARALLEL_MIN:
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cores = os.cpu_count() or 1
    return max(0, min(cores - 1, MAX_HELPERS))


@contextlib.contextmanager
def no_gc(bulk: bool = True) -> Iterator[None]:
    """Building many values makes the cycle collector walk the whole heap again and again
    (and they hold no cycles): pause it, as `json` and `pickle` users do for bulk loads."""
    paused = bulk and gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class _Helper:
    """One helper process and its share; `result` is its rows, or this process's own."""

    def __init__(self, git_dir: str, share: Wanted) -> None:
        import pickle  # imported here: only a large first build starts helpers
        import subprocess
        import threading

        self.share = share
        self.answer: tuple[bytes, bytes] | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread: threading.Thread | None = None
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=_environment(),
            )
        except OSError:
            return
        payload = pickle.dumps((git_dir, share), protocol=pickle.HIGHEST_PROTOCOL)
        self.thread = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self.thread.start()

    def _talk(self, payload: bytes) -> None:
        import subprocess

        assert self.proc is not None
        with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
            self.answer = self.proc.communicate(payload, timeout=60 + len(self.share) / 1000)

    def result(self, trees: Trees, row_of: RowOf) -> list[codec.Row]:
        if self.proc is not None and self.thread is not None:
            self.thread.join()
            if self.proc.poll() is None:
                self.proc.kill()  # it took too long
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()
            done = self._rows(trees)
            if done is not None:
                return done
        return [row_of(trees, kind, blob) for kind, blob in self.share]

    def _rows(self, trees: Trees) -> list[codec.Row] | None:
        import pickle

        assert self.proc is not None
        if self.answer is None or self.proc.returncode != 0:
            return None
        try:
            found, counts = pickle.loads(self.answer[0])
        except Exception:  # a broken answer: parse the share here instead
            return None
        if not isinstance(found, list) or len(found) != len(self.share):
            return None
        for name in _COUNTS:
            setattr(trees.stats, name, getattr(trees.stats, name) + int(counts[name]))
        trees.count_git(int(counts["objects_read"]))
        ParseStats.parsed += int(counts["manifests_parsed"])
        return [codec.Row(*row) for row in found]


def _environment() -> dict[str, str]:
    """The caller's environment, with this copy of modelreg first on the path."""
    here = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": here if not path else os.pathsep.join((here, path))}


def serve() -> None:
    """A helper's main: (git dir, share) from stdin, (rows, counts) to stdout."""
    import pickle

    from modelreg.index import load
    from modelreg.index.stats import IndexStats

    git_dir, share = pickle.load(sys.stdin.buffer)
    stats = IndexStats()
    trees = Trees(git_dir, stats)
    with no_gc():
        found = [tuple(load.row_of(trees, kind, blob)) for kind, blob in share]
    answer: tuple[Any, ...] = (found, stats.as_dict())
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()
