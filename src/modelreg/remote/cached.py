"""`CachedClone`: a registry on a Git remote, read through a bare clone kept on this machine.

The clone holds only the registry branch, with its whole history (reads, `--at` and `log`
work offline). A read fetches it again only when the last fetch is older than `max_age`
seconds: a serving process resolving `models:/fraud@champion` on every request pays a clock
read, and sees a promotion at most `max_age` after it lands on the remote. Every process on
the machine shares one clone and one record of when it was fetched (`stamp`); one process at a
time clones or fetches (`lock`), and a process that waited for another's fetch uses it.

When a fetch fails and there is a copy, reads answer from the copy and say so with a
`StaleRegistryWarning` (a serving process keeps answering while the forge is down); the
fetch is tried again `max_age` after the failed attempt. A clone that fails is an error.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from modelreg.errors import GitError
from modelreg.location import RemoteSource, check_seconds
from modelreg.remote import gitcalls, lock, stamp

DEFAULT_MAX_AGE = 60.0
ENV_MAX_AGE = "MODELREG_MAX_AGE"
LOCK_FILE = "lock"

Clock = Callable[[], float]


class StaleRegistryWarning(UserWarning):
    """A read answered from a cached clone whose last fetch failed."""


class CachedClone:
    """The cached clone of one remote branch (`git_dir`, inside its cache folder)."""

    def __init__(self, source: RemoteSource, git_dir: Path, *, max_age: float,
                 clock: Clock) -> None:
        self.source = source
        self.git_dir = git_dir
        self.folder = git_dir.parent
        self.max_age = max_age
        self.clock = clock
        self.fetches = 0  # clones and fetches this object ran (tests and `bench/` count them)
        self._known = stamp.Stamp()
        self._warned = 0.0

    @classmethod
    def open(cls, source: RemoteSource, git_dir: Path, *, max_age: float | None = None,
             clock: Clock | None = None) -> CachedClone:
        """The clone of `source`, made now if this machine has none yet."""
        age = choose_max_age(max_age, source)
        clone = cls(source, git_dir, max_age=age, clock=clock or time.time)
        if not (git_dir / "HEAD").is_file():
            clone._clone()
        return clone

    @property
    def fetched_at(self) -> float:
        """When the copy read now was fetched (the clock's time; 0 when not known yet)."""
        return self._known.fetched

    def refresh(self) -> None:
        """Fetch the branch if the last fetch (by any process) is older than `max_age`."""
        if self._fresh(self._known):
            return  # what this process last saw is recent enough: no I/O at all
        self._known = stamp.read(self.folder)
        if not self._fresh(self._known):
            with lock.held(self.folder / LOCK_FILE):
                self._known = stamp.read(self.folder)  # another process may have fetched
                if not self._fresh(self._known):
                    self._fetch()
        self._warn_if_failed()  # the last attempt, this process's or another's

    def _fresh(self, record: stamp.Stamp) -> bool:
        age = self.clock() - max(record.fetched, record.attempted)
        return 0 <= age < self.max_age  # a time ahead of the clock is not trusted

    def _fetch(self) -> None:
        now = self.clock()
        self.fetches += 1
        try:
            gitcalls.fetch(self.git_dir, self.source.url, gitcalls.branch_of(self.git_dir))
        except GitError as exc:
            self._known = self._known._replace(attempted=now, error=str(exc))
            stamp.write(self.folder, self._known)
            return
        self._known = stamp.Stamp(fetched=now, attempted=now)
        stamp.write(self.folder, self._known)

    def _warn_if_failed(self) -> None:
        """Say once per failed attempt that reads answer from an older copy."""
        record = self._known
        if not record.failed or record.attempted == self._warned:
            return
        self._warned = record.attempted
        age = max(0.0, self.clock() - record.fetched)
        warnings.warn(StaleRegistryWarning(
            f"cannot fetch {self.source.uri} ({record.error or 'the last fetch failed'}); "
            f"reading the cached copy fetched {_duration(age)} ago (next try in "
            f"{_duration(self.max_age)})"), stacklevel=5)

    def _clone(self) -> None:
        import shutil  # ~3 ms (it loads bz2, lzma): a warm read never needs it

        with lock.held(self.folder / LOCK_FILE):
            if (self.git_dir / "HEAD").is_file():
                return  # another process cloned it while this one waited
            now = self.clock()
            self.fetches += 1
            for left in self.folder.glob("clone-*.tmp"):  # from a clone that was killed
                shutil.rmtree(left, ignore_errors=True)
            tmp = self.folder / f"clone-{os.getpid()}.tmp"
            try:
                gitcalls.clone(self.source.url, self.source.ref, tmp)
            except GitError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                raise GitError(f"cannot clone the registry {self.source.uri}: {exc}") from None
            (self.folder / "source").write_text(f"{self.source.uri}\n", "utf-8")
            os.replace(tmp, self.git_dir)
            self._known = stamp.Stamp(fetched=now, attempted=now)
            stamp.write(self.folder, self._known)


def choose_max_age(given: float | None, source: RemoteSource) -> float:
    """The `Registry` parameter, else `?max_age=` in the URI, else `$MODELREG_MAX_AGE`,
    else 60 s: the most specific wins."""
    if given is not None:
        return check_seconds(given, "max_age")
    if source.max_age is not None:
        return source.max_age
    env = os.environ.get(ENV_MAX_AGE, "")
    return check_seconds(env, f"${ENV_MAX_AGE}") if env else DEFAULT_MAX_AGE


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
