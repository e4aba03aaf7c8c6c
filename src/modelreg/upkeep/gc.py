"""`gc`: delete what no registry references any more, in two phases (DESIGN §2, issue #6).

Every run marks and sweeps. Mark: list the store's content (`sha256/<hex>` with its marker
and file list) and its temporaries (`.modelreg/tmp/*`), and record in the store, with the time
first seen, each one that neither a ref's tip nor a commit of the retention window references.
Sweep: an item marked at least `grace` ago is re-checked after gc declared its intent (the
tips re-read, the upload touches looked at; `store.sweep` says why that order is safe) and
deleted only if still unreferenced and unused. Items used again start over.

gc keeps what every registry using the store references, so it refuses a store that
registries it was not shown have claimed. A dry run reads the same and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from modelreg.errors import Conflict, InvalidParameter
from modelreg.upkeep import plan
from modelreg.upkeep.report import GcItem, GcReport

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo
    from modelreg.store import Store
    from modelreg.upkeep.references import Keeper

RETENTION = dt.timedelta(days=30)
GRACE = dt.timedelta(days=1)
LEASE_TTL = dt.timedelta(hours=6)  # a lease older than this is a gc that died
BATCH = 200  # intents declared, re-checked and deleted together


@dataclass(frozen=True, slots=True, kw_only=True)
class GcOptions:
    retention: dt.timedelta = RETENTION  # history this recent keeps its artifacts (`--at`)
    grace: dt.timedelta = GRACE  # unreferenced this long before deletion; > any registration
    dry_run: bool = False  # report what would be deleted, write nothing
    now: dt.datetime | None = None  # the clock (tests pass one; None: the current time)
    on_step: Callable[[str], None] | None = None  # told "declared", "decided", "swept"


class Source(NamedTuple):
    """One registry gc was shown: its id, and where its history is."""

    id: str
    repo: GitRepo
    prefix: str


@dataclass
class _Run:
    store: Store
    keepers: list[Keeper]
    options: GcOptions
    now: dt.datetime
    since: int
    content: dict[str, list[str]]
    marks: dict[str, str]
    ids: tuple[str, ...]


def collect_garbage(store: Store, sources: Sequence[Source], options: GcOptions) -> GcReport:
    """Mark what is unreferenced now, delete what stayed so for the grace period."""
    from modelreg.store import sweep
    from modelreg.upkeep.references import Keeper

    if options.retention < dt.timedelta(0) or options.grace < dt.timedelta(0):
        raise InvalidParameter("--retention and --grace cannot be negative")
    now = options.now or dt.datetime.now(dt.timezone.utc)
    claimed = set(store.registries())
    _refuse_strangers(store, sources, claimed)
    if not options.dry_run:
        _lease(store, sources, now, claimed)  # raises before the `try`: another gc's lease is kept
    try:
        run = _Run(store, [Keeper(s.repo, s.prefix) for s in sources], options, now,
                   int((now - options.retention).timestamp()), sweep.content(store), {},
                   tuple(s.id for s in sources))
        return _collect(run)
    finally:
        if not options.dry_run:
            sweep.forget(store, sweep.GC_DIR, ["lease"])


def _collect(run: _Run) -> GcReport:
    from modelreg.store import sweep

    referenced = _referenced(run)
    unreferenced = [f"sha256/{h}" for h in run.content if h not in referenced]
    unreferenced += sweep.temporaries(run.store)
    previous = sweep.read_marks(run.store)
    hexes = [h for k in unreferenced if k in previous and (h := plan.key_hex(k))]
    used = {f"sha256/{h}" for h in sweep.touched(run.store, hexes)}
    marking = plan.mark(previous, unreferenced, used, now=run.now)
    run.marks = marking.marks
    if not run.options.dry_run:  # from here, a touch means "used since this mark"
        sweep.forget(run.store, sweep.TOUCHED, _hexes(marking.new))
    due = plan.due(run.marks, now=run.now, grace=run.options.grace)
    deleted, kept = _preview(run, due) if run.options.dry_run else _sweep(run, due)
    if not run.options.dry_run:
        sweep.write_marks(run.store, run.marks)
    return _report(run, marking.new, deleted, kept, referenced)


def _referenced(run: _Run) -> set[str]:
    found: set[str] = set()
    for keeper in run.keepers:
        found |= keeper.collect(since=run.since)
    return found


def _preview(run: _Run, due: list[str]) -> tuple[list[GcItem], list[GcItem]]:
    return [_item(run, key, sized=True) for key in due], []


def _sweep(run: _Run, due: list[str]) -> tuple[list[GcItem], list[GcItem]]:
    from modelreg.store import sweep

    deleted: list[GcItem] = []
    kept: list[GcItem] = []
    temps = [k for k in due if plan.key_hex(k) is None]
    for key in temps:
        deleted.append(_item(run, key, sized=True))
        sweep.remove(run.store, [key])
        run.marks.pop(key, None)
    content = [k for k in due if plan.key_hex(k) is not None]
    for start in range(0, len(content), BATCH):
        batch_deleted, batch_kept = _sweep_batch(run, content[start:start + BATCH])
        deleted += batch_deleted
        kept += batch_kept
    _step(run, "swept")
    return deleted, kept


def _sweep_batch(run: _Run, keys: list[str]) -> tuple[list[GcItem], list[GcItem]]:
    """Declare, re-check, delete: the order that makes the race with an upload safe."""
    from modelreg.store import sweep

    hexes = _hexes(keys)
    sweep.declare(run.store, hexes, at=run.now.timestamp())
    try:
        _step(run, "declared")
        referenced = _referenced(run)  # the tips as they are now, after the intents
        used = sweep.touched(run.store, hexes)
        _step(run, "decided")
        deleted, kept = [], []
        for key, hex_ in zip(keys, hexes, strict=True):
            if hex_ in referenced:
                run.marks.pop(key, None)
            elif hex_ in used:
                kept.append(_item(run, key))
                run.marks[key] = plan.stamp(run.now)  # its grace period starts over
            else:
                deleted.append(_item(run, key, sized=True))
                sweep.remove(run.store, run.content.get(hex_, [key]))
                run.marks.pop(key, None)
        sweep.forget(run.store, sweep.TOUCHED, [h for h in hexes if h not in referenced])
    finally:
        sweep.forget(run.store, sweep.SWEEPING, hexes)
    return deleted, kept


def _item(run: _Run, key: str, *, sized: bool = False) -> GcItem:
    from modelreg.store import sweep

    seen = run.marks.get(key, "")
    hex_ = plan.key_hex(key)
    paths = run.content.get(hex_, [key]) if hex_ else [key]
    size = sweep.size_of(run.store, paths) if sized else 0
    return GcItem(path=key, seen=seen, due=plan.due_at(seen, run.options.grace), size=size)


def _report(
    run: _Run, new: list[str], deleted: list[GcItem], kept: list[GcItem], referenced: set[str]
) -> GcReport:
    gone = {i.path for i in deleted} | {i.path for i in kept}
    fresh = set(new)
    return GcReport(
        store=run.store.url,
        registries=run.ids,
        dry_run=run.options.dry_run,
        tips=sum(k.tips for k in run.keepers),
        commits=sum(k.commits for k in run.keepers),
        referenced=len(referenced),
        deleted=tuple(deleted),
        kept=tuple(kept),
        marked=tuple(_item(run, k) for k in sorted(fresh - gone)),
        waiting=tuple(_item(run, k) for k in sorted(run.marks) if k not in fresh | gone),
    )


def _refuse_strangers(store: Store, sources: Sequence[Source], claimed: set[str]) -> None:
    shown = {s.id for s in sources if s.id}
    strangers = sorted(claimed - shown)
    if strangers:
        names = ", ".join(strangers)
        raise Conflict(
            f"{store.where} is shared with registr{'ies' if len(strangers) > 1 else 'y'} "
            f"{names} that gc was not shown; pass each with --with PATH (a registry that is "
            f"gone: delete {store.url}/.modelreg/registries/<id>)"
        )


def _lease(
    store: Store, sources: Sequence[Source], now: dt.datetime, claimed: set[str]
) -> None:
    """Refuse while another gc runs on the store; take the lease; record unclaimed ids."""
    from modelreg.store import sweep

    held = sweep.lease_time(store)
    if held and now.timestamp() - held < LEASE_TTL.total_seconds():
        since = plan.stamp(dt.datetime.fromtimestamp(held, dt.timezone.utc))
        raise Conflict(f"another gc has been running on {store.where} since {since}; wait for "
                       f"it (if none runs, delete {store.url}/{sweep.LEASE})")
    sweep.take_lease(store, at=now.timestamp())
    sweep.forget(store, sweep.SWEEPING, sweep.intents(store))  # left by a gc that died
    for source in sources:
        if source.id and source.id not in claimed:
            store.claim(source.id)


def _hexes(keys: Sequence[str]) -> list[str]:
    return [h for k in keys if (h := plan.key_hex(k)) is not None]


def _step(run: _Run, name: str) -> None:
    if run.options.on_step is not None:
        run.options.on_step(name)
