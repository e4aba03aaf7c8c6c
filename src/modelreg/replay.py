"""A registry diff turned back into operations: `modelreg rebase` and `modelreg revert`.

Pure (STYLE §1): a `RegistryDiff` and the snapshots it was read from go in, operations come
out; the caller runs them on the tip they are landed on.

- `reapply` re-does a change on a new base. A registration takes the next free number there
  (its file is otherwise the same: artifacts, metrics, created_at, created_by); the alias and
  stage moves that named it follow the new number. `Renumbering` tells which numbers moved.
- `inverse` undoes a change: a registration becomes a version delete (a tombstone: numbers are
  never given twice), an alias or a stage goes back to where it was, tag and description edits
  go back. What cannot be undone that way (deletes, hand edits of immutable fields) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from modelreg import layout, manifest, ops, render
from modelreg.change import Change, OpContext, Operation, transaction
from modelreg.diff import Event, EventKind, RegistryDiff
from modelreg.errors import Conflict, InvalidParameter, NotFound
from modelreg.model import AliasTable, RegisteredModel, Stage
from modelreg.snapshot import Snapshot

K = EventKind
Writes = dict[str, bytes | None]


@dataclass
class Renumbering:
    """(model, number on the old branch) -> number on the new base, filled as operations run."""

    numbers: dict[tuple[str, int], int] = field(default_factory=dict)

    def of(self, model: str, number: int) -> int:
        return self.numbers.get((model, number), number)

    def moved(self) -> dict[tuple[str, int], int]:
        return {k: v for k, v in self.numbers.items() if k[1] != v}


Builder = Callable[[Event, Snapshot, Renumbering], Operation]


def _later(build: Callable[[], Operation]) -> Operation:
    """An operation whose parameters are read when it runs (after the registrations before it
    in the same transaction have taken their numbers)."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        return build()(snapshot, ctx)

    return run


def _model_tag(e: Event, value: str | None) -> Operation:
    """Set a model tag to `value`, or remove it (None)."""
    if value is None:
        return ops.delete_registered_model_tag(e.model or "", e.key or "")
    return ops.set_registered_model_tag(e.model or "", e.key or "", value)


# ---------------------------------------------------------------- re-applying a change


def _create_like(e: Event, head: Snapshot, numbers: Renumbering) -> Operation:
    """The model as the branch created it (unless the base has it by now)."""
    name = e.model or ""
    model = head.model(name)

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        if model is None or snapshot.model(name) is not None:
            return Change(writes={}, op="model-create", summary=f"Create {name}")
        fresh = replace(model, last_version=0, aliases={}, latest_versions=())
        writes: Writes = {layout.model_file(name): manifest.dump_model(fresh),
                          layout.aliases_file(name): manifest.dump_aliases(AliasTable())}
        return Change(writes=writes, op="model-create", summary=f"Create registered model {name}",
                      trailers=(("Model", name),), result=fresh)

    return run


def _register_again(e: Event, head: Snapshot, numbers: Renumbering) -> Operation:
    name, old = e.model or "", e.version or 0
    mv = head.raw_version(name, old)
    if mv is None:
        raise InvalidParameter(f"cannot re-apply {render.describe(e)}: its file is unreadable")

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        model = snapshot.model(name) or _missing_model(head, name)
        new = max([model.last_version, *snapshot.version_numbers(name)]) + 1
        numbers.numbers[(name, old)] = new
        writes: Writes = {
            layout.version_file(name, new): manifest.dump_version(replace(mv, version=new)),
            layout.model_file(name): manifest.dump_model(replace(model, last_version=new)),
        }
        if snapshot.files.blob_id(layout.aliases_file(name)) is None:
            writes[layout.aliases_file(name)] = manifest.dump_aliases(AliasTable())
        note = f"Renumbered from version {old}, which the base branch took." if new != old else ""
        return Change(writes=writes, op="version-create", body=note,
                      summary=f"Register {name} version {new}",
                      trailers=(("Model", name), ("Version", str(new))),
                      result=replace(mv, version=new))

    return run


def _missing_model(head: Snapshot, name: str) -> RegisteredModel:
    model = head.model(name)
    if model is None:
        raise NotFound(f"registered model {name!r} does not exist on the base branch")
    return replace(model, last_version=0, aliases={})


def _version_op(build: Callable[[str, int], Operation]) -> Builder:
    """A builder for an event about one version, renumbered when it runs."""

    def make(e: Event, head: Snapshot, numbers: Renumbering) -> Operation:
        name, number = e.model or "", e.version or 0
        return _later(lambda: build(name, numbers.of(name, number)))

    return make


def _alias_to_new(e: Event, head: Snapshot, numbers: Renumbering) -> Operation:
    name, alias, number = e.model or "", e.alias or "", int(e.new)
    return _later(lambda: ops.set_registered_model_alias(name, alias, numbers.of(name, number)))


def _deleted_again(e: Event, head: Snapshot, numbers: Renumbering) -> Operation:
    if e.new is None:
        raise InvalidParameter(f"cannot re-apply {render.describe(e)}: write a tombstone instead")
    return _version_op(ops.delete_model_version)(e, head, numbers)


REAPPLY: dict[EventKind, Builder] = {
    K.MODEL_CREATED: _create_like,
    K.MODEL_RENAMED: lambda e, h, n: ops.rename_registered_model(str(e.old), str(e.new)),
    K.MODEL_DELETED: lambda e, h, n: ops.delete_registered_model(e.model or ""),
    K.MODEL_DESCRIPTION_EDITED: lambda e, h, n: ops.update_registered_model(
        e.model or "", description=e.new or ""),
    K.MODEL_TAG_SET: lambda e, h, n: _model_tag(e, e.new),
    K.MODEL_TAG_CHANGED: lambda e, h, n: _model_tag(e, e.new),
    K.MODEL_TAG_REMOVED: lambda e, h, n: _model_tag(e, None),
    K.VERSION_REGISTERED: _register_again,
    K.VERSION_DELETED: _deleted_again,
    K.VERSION_DESCRIPTION_EDITED: lambda e, h, n: _version_op(
        lambda m, v: ops.update_model_version(m, v, description=e.new))(e, h, n),
    K.VERSION_TAG_SET: lambda e, h, n: _version_op(
        lambda m, v: ops.set_model_version_tag(m, v, e.key, e.new))(e, h, n),
    K.VERSION_TAG_CHANGED: lambda e, h, n: _version_op(
        lambda m, v: ops.set_model_version_tag(m, v, e.key, e.new))(e, h, n),
    K.VERSION_TAG_REMOVED: lambda e, h, n: _version_op(
        lambda m, v: ops.delete_model_version_tag(m, v, e.key))(e, h, n),
    K.ALIAS_SET: _alias_to_new,
    K.ALIAS_MOVED: _alias_to_new,
    K.ALIAS_REMOVED: lambda e, h, n: ops.delete_registered_model_alias(
        e.model or "", e.alias or ""),
    K.STAGE_CHANGED: lambda e, h, n: _version_op(
        lambda m, v: ops.transition_model_version_stage(m, v, str(e.new)))(e, h, n),
}


def reapply(diff: RegistryDiff, *, head: Snapshot) -> tuple[list[Operation], Renumbering]:
    """Operations that make `diff` again on another base; `head` is the state it led to."""
    numbers = Renumbering()
    out = []
    for event in diff.events:
        build = REAPPLY.get(event.kind)
        if build is None:
            raise InvalidParameter(f"cannot re-apply {render.describe(event)}: only operations "
                                   "modelreg makes can be replayed (rebase this one with git)")
        out.append(build(event, head, numbers))
    return out, numbers


# ---------------------------------------------------------------- undoing a change


def _alias_back(name: str, alias: str, *, expect: int | None, to: int | None) -> Operation:
    """Put `alias` back to `to` (None: remove it), if it is still where the change left it."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        now = snapshot.alias_table(name).aliases.get(alias)
        if now != expect:
            where = f"v{now}" if now is not None else "removed"
            raise Conflict(f"alias {alias} of {name} changed since ({where}); revert it by hand")
        if to is None:
            return ops.delete_registered_model_alias(name, alias)(snapshot, ctx)
        return ops.set_registered_model_alias(name, alias, to)(snapshot, ctx)

    return run


def _delete_if_empty(e: Event, old: Snapshot) -> Operation:
    """Undo a model's creation, unless it holds versions (their numbers stay taken)."""
    name = e.model or ""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        if snapshot.model(name) is None or snapshot.version_numbers(name):
            return Change(writes={}, op="model-delete", summary=f"Keep {name}")
        return ops.delete_registered_model(name)(snapshot, ctx)

    return run


Inverse = Callable[[Event, Snapshot], Operation]

INVERSE: dict[EventKind, Inverse] = {
    K.MODEL_CREATED: _delete_if_empty,
    K.MODEL_RENAMED: lambda e, o: ops.rename_registered_model(str(e.new), str(e.old)),
    K.MODEL_DESCRIPTION_EDITED: lambda e, o: ops.update_registered_model(
        e.model or "", description=e.old or ""),
    K.MODEL_TAG_SET: lambda e, o: _model_tag(e, None),
    K.MODEL_TAG_CHANGED: lambda e, o: _model_tag(e, e.old),
    K.MODEL_TAG_REMOVED: lambda e, o: _model_tag(e, e.old),
    K.VERSION_REGISTERED: lambda e, o: ops.delete_model_version(e.model or "", e.version or 0),
    K.VERSION_DESCRIPTION_EDITED: lambda e, o: ops.update_model_version(
        e.model or "", e.version or 0, description=e.old),
    K.VERSION_TAG_SET: lambda e, o: ops.delete_model_version_tag(
        e.model or "", e.version or 0, e.key),
    K.VERSION_TAG_CHANGED: lambda e, o: ops.set_model_version_tag(
        e.model or "", e.version or 0, e.key, e.old),
    K.VERSION_TAG_REMOVED: lambda e, o: ops.set_model_version_tag(
        e.model or "", e.version or 0, e.key, e.old),
    K.ALIAS_SET: lambda e, o: _alias_back(e.model or "", e.alias or "", expect=e.new, to=None),
    K.ALIAS_MOVED: lambda e, o: _alias_back(e.model or "", e.alias or "", expect=e.new, to=e.old),
    K.ALIAS_REMOVED: lambda e, o: _alias_back(e.model or "", e.alias or "", expect=None, to=e.old),
    K.STAGE_CHANGED: lambda e, o: ops.transition_model_version_stage(
        e.model or "", e.version or 0, str(e.old or Stage.NONE.value)),
}


def inverse(diff: RegistryDiff, *, old: Snapshot) -> list[Operation]:
    """Operations that undo `diff` (newest first); `old` is the state before it."""
    out = []
    for event in reversed(diff.events):
        undo = INVERSE.get(event.kind)
        if undo is None:
            raise InvalidParameter(f"cannot revert {render.describe(event)}: modelreg reverts "
                                   "registrations, aliases, stages, tags, descriptions, renames")
        out.append(undo(event, old))
    return out


def combine(
    operations: Sequence[Operation], *, op: str, summary: str, body: str = "",
    trailers: tuple[tuple[str, str], ...] = (),
) -> Operation:
    """The operations as one change with its own words (`Modelreg-Op: revert`, ...); each
    step's op and trailers follow as `Modelreg-Step` lines, as in a transaction."""
    together = transaction(operations)

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        change = together(snapshot, ctx)
        parts = [p for p in (change.parts or (change,)) if p.writes]
        steps = tuple(t for p in parts for t in (("Modelreg-Step", p.op), *p.trailers))
        listing = "\n".join(f"- {p.summary}" for p in parts)
        return Change(writes=change.writes, op=op, summary=summary,
                      body="\n\n".join(t for t in (body, listing) if t),
                      trailers=(*trailers, *steps), result=[p.result for p in parts],
                      parts=tuple(parts))

    return run


def as_one(operations: Sequence[Operation], *, summary: str) -> Operation:
    """The operations as one change: the words of the only step that writes anything, else a
    transaction under `summary` (a rebased transaction keeps its message)."""
    together = transaction(operations, summary)

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        change = together(snapshot, ctx)
        writing = [p for p in change.parts if p.writes]
        if len(writing) == 1:
            return replace(writing[0], writes=change.writes)
        return change

    return run
