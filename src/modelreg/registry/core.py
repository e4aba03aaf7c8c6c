"""The part of `Registry` that binds a location to a repository, a revision and a store."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.errors import Conflict, InvalidParameter, RegistryNotFound
from modelreg.layout import REGISTRY_FILE
from modelreg.location import Location, locate
from modelreg.model import ModelVersion, RegistryConfig
from modelreg.registry.guards import check_schemas, checker
from modelreg.snapshot import OverlayFiles, Snapshot

if TYPE_CHECKING:
    from modelreg import change as changes  # imported where a write runs: reads skip it
    from modelreg.gitrepo import GitRepo
    from modelreg.remote import CachedClone
    from modelreg.store import Store

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def parse_moment(text: str) -> dt.datetime | None:
    """A date or date-time for `--at`, or None when `text` is a Git revision.

    A bare date means the end of that day, UTC; a time without a zone is UTC.
    """
    if _DATE.match(text):
        day = dt.date.fromisoformat(text)
        return dt.datetime.combine(day, dt.time.max, tzinfo=dt.timezone.utc)
    if _DATETIME.match(text):
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidParameter(f"--at {text!r} is not a valid date-time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return None


@dataclass
class _Transaction:
    base: Snapshot
    ctx: changes.OpContext
    operations: list[changes.Operation] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    writes: dict[str, bytes | None] = field(default_factory=dict)


class RegistryCore:
    """Where the registry is, which revision reads see, and how a write becomes a commit."""

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        *,
        actor: str | None = None,
        storage_options: dict[str, Any] | None = None,
        push: bool = False,
        propose: bool = False,
        remote: str = "origin",
        max_age: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if push and propose:
            raise InvalidParameter("a write either pushes or proposes, not both")
        self.location: Location = locate(location)
        self._actor = actor
        self._storage_options = storage_options
        self.mode = "push" if push else "propose" if propose else "direct"
        self.remote = remote
        self._at: str | None = None
        self._tx: _Transaction | None = None
        self.last_write: Any = None  # the writer's WriteResult of the last commit (commit, retries)
        self.cached_clone: CachedClone | None = None  # a registry named by a remote URI
        if self.location.remote is not None:
            self._open_remote(max_age, clock)

    def _open_remote(self, max_age: float | None, clock: Callable[[], float] | None) -> None:
        """Clone it on first use; `max_age`, `clock`: how often reads fetch it again."""
        from modelreg.remote import CachedClone

        remote = self.location.remote
        assert remote is not None
        self.cached_clone = CachedClone.open(remote, self.location.path, max_age=max_age,
                                             clock=clock)
        if self.repo.tree_files(self.head(), self.prefix).blob_id(REGISTRY_FILE) is None:
            raise RegistryNotFound(
                f"no registry in {remote.uri} (no {REGISTRY_FILE} in {self.prefix or 'its root'})")

    # -- binding -----------------------------------------------------------------------

    @cached_property
    def repo(self) -> GitRepo:
        from modelreg.gitrepo import GitRepo

        return GitRepo.discover(self.location.path)

    @cached_property
    def prefix(self) -> str:
        """The registry folder inside the repository ('' at the root)."""
        if self.location.bare:
            return self.location.prefix
        workdir = self.repo.workdir
        assert workdir is not None
        rel = self.location.path.resolve().relative_to(workdir.resolve())
        return "" if str(rel) == "." else rel.as_posix()

    @property
    def ref(self) -> str | None:
        """The branch reads and writes use: HEAD's branch, or `?ref=` in a bare repository."""
        if self.location.ref:
            return f"refs/heads/{self.location.ref}"
        return None

    @cached_property
    def actor(self) -> str:
        """Who `created_by` and `deleted.by` name: explicit, $MODELREG_ACTOR, or git's user."""
        return self._actor or os.environ.get("MODELREG_ACTOR") or self.repo.user_identity()

    def at(self, revision: str) -> Any:
        """A read-only view of the registry as of a Git revision or a date (`2026-01-31`)."""
        view = self.__class__.__new__(self.__class__)
        view.__dict__.update(self.__dict__)
        view._tx = None
        view._at = self._resolve_at(revision)
        return view

    def as_actor(self, actor: str) -> Any:
        """The same registry (the same repository handle) writing as `actor`: a service's
        authenticated user, recorded in `created_by` and judged by the policy."""
        view = self.__class__.__new__(self.__class__)
        view.__dict__.update(self.__dict__)
        view.__dict__["actor"] = actor  # `actor` is a cached property
        view._actor = actor
        return view

    def _resolve_at(self, revision: str) -> str:
        moment = parse_moment(revision)
        if moment is not None:
            return self.repo.commit_at(moment, start=self.head())
        return self.repo.resolve(revision)

    # -- reading -------------------------------------------------------------------------

    def head(self) -> str | None:
        """The commit reads see now."""
        if self._at is not None:
            return self._at
        if self.cached_clone is not None:
            self.cached_clone.refresh()  # a fetch when the last one is older than max_age
        if self.ref:
            return self.repo.resolve(self.ref)
        return self.repo.head_commit()

    def snapshot(self) -> Snapshot:
        if self._tx is not None:
            return Snapshot(OverlayFiles(self._tx.base.files, self._tx.writes))
        return Snapshot(self.repo.tree_files(self.head(), self.prefix))

    @property
    def config(self) -> RegistryConfig:
        return self.snapshot().config()

    def store(self, config: RegistryConfig | None = None) -> Store:
        from modelreg.store import open_store

        config = config or self.config
        return open_store(config.store, base_dir=self._store_base(),
                          storage_options=self._storage_options)

    def artifact_location(self, mv: ModelVersion) -> str | None:
        """The absolute URL of a version's files, without opening the store."""
        if mv.artifacts is None:
            return None
        from modelreg.store import location_of

        return location_of(self.config.store, mv.artifacts, base_dir=self._store_base())

    def _store_base(self) -> Path:
        """A relative store URL is relative to the registry folder."""
        return self.location.path / self.prefix if self.location.bare else self.location.path

    # -- writing -------------------------------------------------------------------------

    def refuse_read_only(self) -> None:
        """Refuse a write before any work: a past view, or a registry on a remote."""
        if self._at is not None:
            raise InvalidParameter(f"this view of the registry is read-only (at {self._at[:12]})")
        if self.location.remote is not None:
            from modelreg.remote import read_only

            raise read_only(self.location.remote)

    def _write(self, operation: changes.Operation) -> Any:
        self.refuse_read_only()
        if self._tx is not None:
            return self._queue(self._tx, operation)
        from modelreg import change as changes

        ctx = changes.OpContext.create(self.actor)
        self.last_write = self._land(operation, ctx)
        return self.last_write.change.result

    def write(self, operation: changes.Operation) -> Any:
        """Land any operation (`modelreg.ops`, `landing.revert_operation`, ...) as one commit,
        the way this registry lands writes; returns the operation's result."""
        return self._write(operation)

    def _land(self, operation: changes.Operation, ctx: changes.OpContext) -> Any:
        """One commit, landed as this registry lands writes: on the local branch (direct),
        pushed to the remote registry branch (push), or proposed as a pull request."""
        # Direct and pushed writes are judged by the base's policy here; a proposal is
        # judged by `modelreg check` on its pull request (its review is the review).
        check = checker(ctx.actor, policy=self.mode != "propose")
        if self.mode == "direct":
            from modelreg import writer

            return writer.apply(self.repo, self.prefix, operation, ctx, ref=self.ref,
                                check=check)
        from modelreg import landing

        land = landing.push if self.mode == "push" else landing.propose
        return land(self.repo, self.prefix, operation, ctx, remote=self.remote,
                    branch=self.config.branch, check=check)

    def _queue(self, tx: _Transaction, operation: changes.Operation) -> Any:
        view = Snapshot(OverlayFiles(tx.base.files, tx.writes))
        change = operation(view, tx.ctx)
        check_schemas(view, change)
        tx.writes.update(change.writes)
        tx.operations.append(operation)
        tx.results.append(change.result)
        return change.result

    @contextmanager
    def transaction(self, message: str = "") -> Iterator[Any]:
        """Gather the writes made inside the block into one commit (DESIGN §4).

        Results returned inside the block are computed on the state the transaction began
        from; if the registry moved meanwhile and the operations would give other results
        (another version number), the transaction is refused rather than committed wrong.
        """
        if self._tx is not None:
            raise InvalidParameter("transactions do not nest")
        self.refuse_read_only()
        from modelreg import change as changes

        ctx = changes.OpContext.create(self.actor)
        base = self.snapshot()
        if self.mode != "direct":  # pushed or proposed: computed on the remote's tip
            from modelreg import landing

            base = landing.remote_snapshot(self.repo, self.prefix, remote=self.remote,
                                           branch=self.config.branch)
        tx = _Transaction(base=base, ctx=ctx)
        self._tx = tx
        try:
            yield self
        finally:
            self._tx = None
        if tx.operations:
            self._commit_transaction(tx, message)

    def _commit_transaction(self, tx: _Transaction, message: str) -> None:
        from modelreg import change as changes

        combined = changes.transaction(tx.operations, message)

        def guarded(snapshot: Snapshot, ctx: changes.OpContext) -> changes.Change:
            change = combined(snapshot, ctx)
            results = change.result if len(tx.operations) > 1 else [change.result]
            if results != tx.results:
                raise Conflict("the registry changed during the transaction; run it again")
            return change

        self.last_write = self._land(guarded, tx.ctx)
