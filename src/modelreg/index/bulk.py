"""Parsing many manifests at once, on every core (issue #5).

A registry of 100,000 versions holds 110,000 manifests, and a first search must parse them
all. The work is shared between this process and helper processes (one per further core),
each a fresh Python that reads its share from the repository itself. Two jobs:

- `rows`: the rows of a list of blobs (a large sync), sent back pickled;
- `build`: for a first build (index/fresh.py), chunks of the model folders claimed, walked,
  parsed and written each into a SQLite file of the helper's own, reported one line a chunk
  as it is done (a `Crew`), which the caller merges into its file in one statement a table:
  no row crosses a pipe, and no row is bound twice.

Helpers are plain subprocesses rather than `multiprocessing` workers so that nothing of the
caller's `__main__` runs again in them (a script without a `__main__` guard would register
its models twice), and it is the same on Linux and macOS. A helper that cannot start, fails
or hangs leaves its share to this process: the rows are the same, only later.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.index import codec
from modelreg.index.gittrees import Trees, unverified
from modelreg.snapshot import ParseStats

if TYPE_CHECKING:
    import queue
    import subprocess
    import threading

Wanted = list[tuple[str, str]]  # (kind, blob id)
RowOf = Callable[[Trees, str, str], codec.Row]

PARALLEL_MIN = 20_000  # manifests below which starting a helper (~0.2 s) costs more than it saves
MAX_HELPERS = 3
HEAD_START = 2_000  # manifests this process parses per helper while helpers start
PATIENCE = 60.0  # seconds, and a millisecond a manifest, after which a helper is ended
_COUNTS = ("manifests_parsed", "blobs_read", "objects_read", "trees_listed")
_SERVE = "from modelreg.index.bulk import serve; serve()"


def rows(
    trees: Trees, wanted: Wanted, row_of: RowOf, *, helpers: int | None = None
) -> list[codec.Row]:
    """`row_of` of every wanted blob, in order, spread over the cores when there are many
    (`helpers`: how many helper processes, instead of one per further core)."""
    if helpers is None:
        helpers = helper_count(len(wanted))
    mine, *theirs = shares(wanted, helpers, HEAD_START)
    started = [Helper(("rows", trees.git_dir, share), len(share)) for share in theirs]
    with no_gc(), unverified(len(wanted) >= HEAD_START):
        out = [row_of(trees, kind, blob) for kind, blob in mine]
        for helper, share in zip(started, theirs, strict=True):
            found = helper.result(trees)
            if isinstance(found, list) and len(found) == len(share):
                out += [codec.Row(*row) for row in found]
            else:
                out += [row_of(trees, kind, blob) for kind, blob in share]
    return out


def shares(items: list[Any], helpers: int, head_start: int) -> list[list[Any]]:
    """This process's share first, `head_start` more per helper (a helper starts ~0.2 s
    late: a fresh Python importing modelreg) up to a quarter more than an equal share; then
    the helpers' in equal parts, all in order (the pack's order, so that each reads its blobs
    in sequence)."""
    equal = len(items) // (helpers + 1)
    head = equal + min(helpers * head_start, equal // 4) if helpers else len(items)
    size = -(-(len(items) - head) // max(helpers, 1)) or 1
    return [items[:head], *(items[i : i + size] for i in range(head, len(items), size))]


def helper_count(work: int, minimum: int = PARALLEL_MIN) -> int:
    """One helper per further core; none for a small job."""
    if work < minimum:
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


class Helper:
    """One helper process doing `job`; `result` is what it answered, or None."""

    def __init__(self, job: tuple[Any, ...], size: int,
                 lines: queue.SimpleQueue[tuple[Helper, bytes | None]] | None = None) -> None:
        """`lines`: the helper reports as it goes, a line at a time, each put there as
        (helper, line), then (helper, None) when it ends; else it answers once, pickled."""
        import pickle  # imported here: only a large build starts helpers
        import subprocess
        import threading

        self.size = size
        self.answer: tuple[bytes, bytes] | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread: threading.Thread | None = None
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                # a streaming helper's stderr is not read as it goes (a full pipe would stop
                # it): what it says of a failure is lost, its parts are done by the caller
                stderr=subprocess.PIPE if lines is None else subprocess.DEVNULL,
                env=_environment(),
            )
        except OSError:
            if lines is not None:
                lines.put((self, None))
            return
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        talk = self._talk if lines is None else functools.partial(self._stream, lines)
        self.thread = threading.Thread(target=talk, args=(payload,), daemon=True)
        self.thread.start()

    def _talk(self, payload: bytes) -> None:
        import subprocess

        assert self.proc is not None
        with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
            self.answer = self.proc.communicate(payload, timeout=PATIENCE + self.size / 1000)

    def _stream(self, lines: queue.SimpleQueue[tuple[Helper, bytes | None]],
                payload: bytes) -> None:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        try:
            with contextlib.suppress(OSError, ValueError):
                self.proc.stdin.write(payload)
                self.proc.stdin.close()
                for line in self.proc.stdout:
                    lines.put((self, line))
        finally:
            lines.put((self, None))

    def result(self, trees: Trees) -> Any:
        """The helper's answer (its counts added to `trees.stats`), or None if it failed."""
        if self.proc is None or self.thread is None:
            return None
        self.thread.join()
        if self.proc.poll() is None:
            self.proc.kill()  # it took too long
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        return self._answer(trees)

    def stop(self) -> None:
        """End the helper if it still runs (its caller was interrupted)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _answer(self, trees: Trees) -> Any:
        import pickle

        assert self.proc is not None
        if self.answer is None or self.proc.returncode != 0:
            return None
        try:
            found, counts = pickle.loads(self.answer[0])
            numbers = {name: int(counts[name]) for name in _COUNTS}
        except Exception:  # a broken answer: the caller does the share itself
            return None
        _add(trees, numbers)
        return found


def _add(trees: Trees, numbers: dict[str, int]) -> None:
    """A helper's counts, added to this process's."""
    for name, number in numbers.items():
        setattr(trees.stats, name, getattr(trees.stats, name) + number)
    trees.count_git(numbers["objects_read"])
    ParseStats.parsed += numbers["manifests_parsed"]


class Crew:
    """`helpers` helper processes doing one streamed job (a first build's `build`); each
    reports `part N` for each part it finished, then `counts {...}`."""

    def __init__(self, job: tuple[Any, ...], helpers: int, size: int) -> None:
        import queue
        import time

        self._lines: queue.SimpleQueue[tuple[Helper, bytes | None]] = queue.SimpleQueue()
        self._deadline = time.monotonic() + PATIENCE + size / 1000
        self._stopped = False
        self._running = [Helper(job, size, self._lines) for _ in range(helpers)]

    @property
    def running(self) -> bool:
        return bool(self._running)

    def reported(self, trees: Trees, *, wait: bool) -> list[int]:
        """The parts reported since the last call; with `wait`, at least one unless the
        helpers end first (or the deadline passes: they are stopped). A helper's counts go
        to `trees`."""
        import queue
        import time

        found: list[int] = []
        while self._running and not (wait and found):
            left = None if self._stopped else self._deadline - time.monotonic()
            try:
                if not wait:
                    helper, line = self._lines.get_nowait()
                elif left is None or left > 0:
                    helper, line = self._lines.get(timeout=left)
                else:
                    raise queue.Empty
            except queue.Empty:
                if not wait:
                    break
                self.stop()  # too long: the caller does what they did not report
                continue
            if line is None:
                helper.result(trees)
                self._running.remove(helper)
            elif line.startswith(b"part "):
                with contextlib.suppress(ValueError):
                    found.append(int(line[5:]))
            elif line.startswith(b"counts "):
                import json

                with contextlib.suppress(ValueError, TypeError, KeyError):
                    counts = json.loads(line[7:])
                    _add(trees, {name: int(counts[name]) for name in _COUNTS})
        return found

    def stop(self) -> None:
        """End the helpers still running; their streams then end at once (no deadline)."""
        self._stopped = True
        for helper in self._running:
            helper.stop()


def _environment() -> dict[str, str]:
    """The caller's environment, with this copy of modelreg first on the path."""
    here = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": here if not path else os.pathsep.join((here, path))}


def serve() -> None:
    """A helper's main: a job from stdin, (its answer, counts) to stdout."""
    import json
    import pickle

    from modelreg.index import fresh, load
    from modelreg.index.stats import IndexStats

    job, git_dir, *args = pickle.load(sys.stdin.buffer)
    trees = Trees(git_dir, IndexStats())
    out = sys.stdout.buffer
    with no_gc(), unverified():
        if job == "rows":
            found = [tuple(load.bulk_row(trees, kind, blob)) for kind, blob in args[0]]
            out.write(pickle.dumps((found, trees.stats.as_dict()),
                                   protocol=pickle.HIGHEST_PROTOCOL))
        else:
            def report(n: int) -> None:
                out.write(b"part %d\n" % n)
                out.flush()

            parts, prefix, chunks = args
            fresh.build_parts(trees, parts, prefix, chunks, report)
            out.write(b"counts %s\n" % json.dumps(trees.stats.as_dict()).encode())
    out.flush()
