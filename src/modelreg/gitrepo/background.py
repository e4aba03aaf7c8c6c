"""Worker threads for the parts of a write that need not hold it up (issue #5).

Rewriting a 13 MB index is a copy (in the kernel), a SHA-1 (in C) and, once replaced, freeing
the old file; none of them holds the GIL. So the copy and the start of the hash run on one
worker (`submit`) while the writing thread does the rest, and the old file is freed on another
(`run`) after the write returned: freeing waits ~7 ms for the disk, which must not delay the
next write's jobs. Each worker runs its jobs one at a time, in the order given, and ends after
IDLE seconds without one; the next job starts it again (also in a forked child, which has no
thread but the one that forked).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable

IDLE = 2.0  # seconds without a job after which a worker ends (a burst of writes keeps it)


class Job:
    """A call run on a worker, whose end (or error) the caller waits for."""

    def __init__(self, call: Callable[[], object]) -> None:
        self.call: Callable[[], object] | None = call
        self.done = threading.Event()
        self.error: BaseException | None = None

    def __call__(self) -> None:
        call, self.call = self.call, None  # what it holds is not kept once it ran
        try:
            if call is not None:
                call()
        except BaseException as exc:  # raised again by `wait`, in the waiting thread
            self.error = exc
        finally:
            del call
            self.done.set()

    def wait(self) -> None:
        if self.failed():
            raise self.error  # type: ignore[misc]

    def failed(self) -> bool:
        """Wait for the end; whether it raised."""
        self.done.wait()
        return self.error is not None


class Worker:
    """One thread running calls in order, started when a call comes and none is running."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def put(self, call: Callable[[], object]) -> None:
        with self._lock:
            if self._thread is None:
                self._jobs = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._work, args=(self._jobs,),
                                                name=self.name, daemon=True)
                self._thread.start()
            self._jobs.put(call)

    def _work(self, jobs: queue.SimpleQueue[Callable[[], object]]) -> None:
        while True:
            try:
                call = jobs.get(timeout=IDLE)
            except queue.Empty:
                with self._lock:
                    if jobs.empty():  # no call came in since: the next one starts a thread
                        self._thread = None
                        return
                continue
            with contextlib.suppress(Exception):  # a Job keeps its own error
                call()
            del call

    def forked(self) -> None:
        """In a forked child, the parent's thread and lock are not there."""
        self._lock = threading.Lock()
        self._thread = None


_jobs = Worker("modelreg-jobs")
_frees = Worker("modelreg-frees")


def submit(call: Callable[[], object]) -> Job:
    """Run `call` on the jobs' worker; the Job tells its end."""
    job = Job(call)
    _jobs.put(job)
    return job


def run(call: Callable[[], object]) -> None:
    """Run `call` on the other worker and return at once (nobody waits for it: its errors
    are dropped, as a finalizer's are)."""
    _frees.put(call)


def _forked() -> None:
    _jobs.forked()
    _frees.forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)
