"""Which protected aliases and stages a change touches, read from its registry diff.

Touching a protected alias is setting, moving or removing it, or archiving or deleting the
version it points at; touching a protected stage is moving a version into or out of it, or
deleting a version in it (DESIGN §5). A touch that leaves the alias or stage naming a new
version carries that version: its requirements are judged on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from modelreg import yamlio
from modelreg.diff import Event, EventKind
from modelreg.errors import ModelregError
from modelreg.model import AliasTable, Stage
from modelreg.policy.rules import Policy, Rule
from modelreg.snapshot import Snapshot

K = EventKind


@dataclass(frozen=True, slots=True, kw_only=True)
class Touch:
    """One protected thing a change touches. `version` is the version it names afterwards,
    when the change made it name a new one (None: removed, or still the same version)."""

    what: str  # "alias" or "stage"
    name: str  # the alias or stage
    model: str
    rule: Rule
    how: str  # in words: "moved v6 -> v7", "v3 deleted"
    file: str
    at: yamlio.JsonPath
    version: int | None = None

    @property
    def subject(self) -> str:
        if self.what == "alias":
            return f"protected alias {self.name!r} of model {self.model!r}"
        return f"protected stage {self.name} of model {self.model!r}"


def touches(policy: Policy, base: Snapshot, head: Snapshot, event: Event) -> Iterator[Touch]:
    """The protected aliases and stages `event` touches."""
    if event.model is None or not (policy.aliases or policy.stages):
        return
    if event.kind in (K.ALIAS_SET, K.ALIAS_MOVED, K.ALIAS_REMOVED):
        yield from _alias_event(policy, event)
    elif event.kind is K.STAGE_CHANGED:
        yield from _stage_event(policy, base, head, event)
    elif event.kind is K.VERSION_DELETED and event.version is not None:
        table = _table(base, event.model)
        yield from _named_by(policy, table, event, event.version, f"v{event.version} deleted")
    elif event.kind is K.MODEL_DELETED:
        table = _table(base, event.model)
        for number in sorted({v for vs in table.stages.values() for v in vs}
                             | set(table.aliases.values())):
            yield from _named_by(policy, table, event, number, "model deleted")


def _alias_event(policy: Policy, event: Event) -> Iterator[Touch]:
    rule = policy.aliases.get(event.alias or "")
    if rule is None or event.model is None or event.alias is None:
        return
    how = {K.ALIAS_SET: f"set to v{event.new}", K.ALIAS_MOVED: f"moved v{event.old} -> "
           f"v{event.new}", K.ALIAS_REMOVED: f"removed from v{event.old}"}[event.kind]
    names = event.new if event.kind is not K.ALIAS_REMOVED else None
    yield Touch(what="alias", name=event.alias, model=event.model, rule=rule, how=how,
                file=event.file or "", at=("aliases", event.alias), version=names)


def _stage_event(policy: Policy, base: Snapshot, head: Snapshot, event: Event) -> Iterator[Touch]:
    model, number = event.model or "", event.version or 0
    how = f"v{number} moved from {event.old} to {event.new}"
    file = event.file or ""
    if event.old in policy.stages:
        yield Touch(what="stage", name=event.old, model=model, rule=policy.stages[event.old],
                    how=how, file=file, at=("stages",))
    if event.new in policy.stages:
        yield Touch(what="stage", name=event.new, model=model, rule=policy.stages[event.new],
                    how=how, file=file, at=("stages", event.new), version=number)
    if event.new == Stage.ARCHIVED.value:
        aliases = set(_table(base, model).aliases_of(number))
        aliases |= set(_table(head, model).aliases_of(number))
        for alias in sorted(a for a in aliases if a in policy.aliases):
            yield Touch(what="alias", name=alias, model=model, rule=policy.aliases[alias],
                        how=f"v{number} archived", file=file, at=("stages", event.new))


def _named_by(
    policy: Policy, table: AliasTable, event: Event, number: int, how: str
) -> Iterator[Touch]:
    """Touches of the protected aliases and stages that named `number` before the change."""
    model, file = event.model or "", event.file or ""
    for alias in table.aliases_of(number):
        if alias in policy.aliases:
            yield Touch(what="alias", name=alias, model=model, rule=policy.aliases[alias],
                        how=how, file=file, at=())
    stage = table.stage_of(number).value
    if stage in policy.stages:
        yield Touch(what="stage", name=stage, model=model, rule=policy.stages[stage], how=how,
                    file=file, at=())


def _table(snapshot: Snapshot, model: str) -> AliasTable:
    try:
        return snapshot.alias_table(model)
    except ModelregError:  # a broken aliases.yaml is the schema check's finding
        return AliasTable()
