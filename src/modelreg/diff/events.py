"""What a registry diff is made of: typed events a person (and a deployment job) understands.

An event says what happened to one thing: a model, a version, an alias, a stage, a tag. The
meaning of `old` and `new` depends on the kind (see `EventKind`); they are JSON values
(strings, numbers, lists, mappings) so renderers and `check` never re-read manifests.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


class EventKind(str, enum.Enum):
    """The kinds of events, in the order a diff lists them for one model.

    old / new per kind:
    registry-created        new: the registry.yaml fields
    registry-changed        key: the top-level field (`policy`, `store`, ...); old, new: values
    registry-deleted        old: the registry.yaml fields
    model-created           new: {description, tags}
    model-renamed           old: the former name; new: the name
    model-deleted           old: {versions: number of version files}
    model-description-edited, version-description-edited   old, new: the texts
    model-tag-set / -changed / -removed, version-tag-...    key: tag; old, new: values
    model-immutable-changed, version-immutable-changed      key: field; old, new: values
    version-registered      new: {source, run_id, description, tags, metrics, model_type}
    version-deleted         new: the tombstone {at, by} (None when the file was removed)
    version-restored        old: the tombstone; a deleted version came back
    alias-set / alias-moved / alias-removed                 old, new: version numbers
    stage-changed           old, new: stage names ('None' is in no stage); stage: the new one
    unreadable              file, reason; old / new: why the file before / after the change
                            cannot be parsed (None for a side that reads fine or is absent)
    unrecognized-file       file; new: 'added', 'modified' or 'removed' (not a file of the format)
    """

    REGISTRY_CREATED = "registry-created"
    REGISTRY_CHANGED = "registry-changed"
    REGISTRY_DELETED = "registry-deleted"
    MODEL_CREATED = "model-created"
    MODEL_RENAMED = "model-renamed"
    MODEL_DELETED = "model-deleted"
    MODEL_DESCRIPTION_EDITED = "model-description-edited"
    MODEL_TAG_SET = "model-tag-set"
    MODEL_TAG_CHANGED = "model-tag-changed"
    MODEL_TAG_REMOVED = "model-tag-removed"
    MODEL_IMMUTABLE_CHANGED = "model-immutable-changed"
    VERSION_REGISTERED = "version-registered"
    VERSION_DELETED = "version-deleted"
    VERSION_RESTORED = "version-restored"
    VERSION_DESCRIPTION_EDITED = "version-description-edited"
    VERSION_TAG_SET = "version-tag-set"
    VERSION_TAG_CHANGED = "version-tag-changed"
    VERSION_TAG_REMOVED = "version-tag-removed"
    VERSION_IMMUTABLE_CHANGED = "version-immutable-changed"
    ALIAS_SET = "alias-set"
    ALIAS_MOVED = "alias-moved"
    ALIAS_REMOVED = "alias-removed"
    STAGE_CHANGED = "stage-changed"
    UNREADABLE = "unreadable"
    UNRECOGNIZED_FILE = "unrecognized-file"

    def __str__(self) -> str:
        return self.value


_RANK = {kind: rank for rank, kind in enumerate(EventKind)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One change. `model` is None only for registry-level events; `file` is the manifest
    (registry-relative) the event was read from, so `check` can point at it.

    `immutable` marks a change to something written once (artifacts, source, run, metrics,
    created_*; a version file removed instead of tombstoned): `check` reports it.
    `artifact_uri` and `digest` name the bytes of the version involved, when known: where the
    version's files are (a URL when the store is one, else a path relative to the registry
    folder) and their tree digest.
    """

    kind: EventKind
    model: str | None = None
    version: int | None = None
    alias: str | None = None
    stage: str | None = None
    key: str | None = None
    old: Any = None
    new: Any = None
    immutable: bool = False
    file: str | None = None
    reason: str | None = None
    artifact_uri: str | None = None
    digest: str | None = None


def sort_key(event: Event) -> tuple[str, int, int, str, str, str]:
    """Model name, then the kind's rank, then version, alias, key and file: a stable order."""
    return (
        event.model or "",
        _RANK[event.kind],
        event.version or 0,
        event.alias or "",
        event.key or "",
        event.file or "",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryDiff:
    """The events between two registry states, ordered by `sort_key`."""

    events: tuple[Event, ...] = ()
    old_revision: str = ""
    new_revision: str = ""

    @classmethod
    def of(cls, events: Iterable[Event], *, old_revision: str = "", new_revision: str = "") -> (
        RegistryDiff
    ):
        ordered = tuple(sorted(events, key=sort_key))
        return cls(events=ordered, old_revision=old_revision, new_revision=new_revision)

    def __bool__(self) -> bool:
        return bool(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    @property
    def models(self) -> tuple[str, ...]:
        """Names of the models the diff touches, sorted (a rename counts both names)."""
        names = {e.model for e in self.events if e.model is not None}
        names |= {e.old for e in self.events if e.kind is EventKind.MODEL_RENAMED}
        return tuple(sorted(names))

    def for_model(self, name: str) -> RegistryDiff:
        """Only the events about `name` (under that name or, renamed, its former one)."""
        kept = [e for e in self.events if e.model == name or _renamed_from(e, name)]
        return RegistryDiff(
            events=tuple(kept), old_revision=self.old_revision, new_revision=self.new_revision
        )

    def kinds(self) -> tuple[EventKind, ...]:
        return tuple(e.kind for e in self.events)


def _renamed_from(event: Event, name: str) -> bool:
    return event.kind is EventKind.MODEL_RENAMED and event.old == name
