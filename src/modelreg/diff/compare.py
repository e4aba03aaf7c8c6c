"""Field-by-field comparison of parsed manifests: the rules of what may change, as events.

These functions know nothing of files or folders: the engine hands them two parsed values (or
None for "absent") and fills in the model, the file and the artifact location.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelreg import manifest
from modelreg.diff.events import Event, EventKind
from modelreg.model import AliasTable, ModelVersion, RegisteredModel, RegistryConfig

# Fields a person may edit after a version is written (DESIGN §1); all others are immutable.
_VERSION_MUTABLE = frozenset({"description", "tags", "updated_at", "deleted"})
# MLflow empties these when it deletes a version, and so does the tombstone.
_EMPTIED_ON_DELETE = frozenset({"source", "run_id", "run_link"})
_MODEL_IMMUTABLE = ("name", "created_at", "created_by")


def registry_events(old: RegistryConfig | None, new: RegistryConfig | None) -> list[Event]:
    if new is None:
        return [] if old is None else [
            Event(kind=EventKind.REGISTRY_DELETED, old=manifest.registry_to_dict(old))
        ]
    if old is None:
        return [Event(kind=EventKind.REGISTRY_CREATED, new=manifest.registry_to_dict(new))]
    before, after = manifest.registry_to_dict(old), manifest.registry_to_dict(new)
    return [
        Event(kind=EventKind.REGISTRY_CHANGED, key=key, old=before.get(key), new=after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]


def tag_events(old: Mapping[str, Any], new: Mapping[str, Any], *, on_version: bool) -> list[Event]:
    """One event per tag key that was added, changed or removed."""
    kinds = (
        (EventKind.VERSION_TAG_SET, EventKind.VERSION_TAG_CHANGED, EventKind.VERSION_TAG_REMOVED)
        if on_version
        else (EventKind.MODEL_TAG_SET, EventKind.MODEL_TAG_CHANGED, EventKind.MODEL_TAG_REMOVED)
    )
    events = []
    for key in sorted(old.keys() | new.keys()):
        if key not in old:
            events.append(Event(kind=kinds[0], key=key, new=new[key]))
        elif key not in new:
            events.append(Event(kind=kinds[2], key=key, old=old[key]))
        elif old[key] != new[key]:
            events.append(Event(kind=kinds[1], key=key, old=old[key], new=new[key]))
    return events


def model_created(new: RegisteredModel | None) -> Event:
    content = None if new is None else {"description": new.description, "tags": dict(new.tags)}
    return Event(kind=EventKind.MODEL_CREATED, new=content)


def model_events(old: RegisteredModel, new: RegisteredModel, *, renamed: bool) -> list[Event]:
    """Edits of `model.yaml` between two readable versions of it."""
    events = []
    if old.description != new.description:
        events.append(
            Event(kind=EventKind.MODEL_DESCRIPTION_EDITED, old=old.description, new=new.description)
        )
    events += tag_events(old.tags, new.tags, on_version=False)
    before, after = manifest.model_to_dict(old), manifest.model_to_dict(new)
    for key in _MODEL_IMMUTABLE:
        if before[key] != after[key] and not (renamed and key == "name"):
            events.append(_immutable(EventKind.MODEL_IMMUTABLE_CHANGED, key, before, after))
    if new.last_version < old.last_version:  # numbers are never given twice (DESIGN §1)
        events.append(_immutable(EventKind.MODEL_IMMUTABLE_CHANGED, "last_version", before, after))
    return events


def version_events(
    old: ModelVersion | None, new: ModelVersion | None, *, renamed: bool = False
) -> list[Event]:
    """What happened to one version file between two readable states (None: no file)."""
    if old is None:
        return [] if new is None else [_appeared(new)]
    if new is None:
        # Deleting writes a tombstone; a removed file frees the number and loses the record.
        return [Event(kind=EventKind.VERSION_DELETED, old=_tombstone(old), immutable=True)]
    events = []
    if old.deleted is None and new.deleted is not None:
        events.append(Event(kind=EventKind.VERSION_DELETED, new=_tombstone(new)))
    elif old.deleted is not None and new.deleted is None:
        events.append(Event(kind=EventKind.VERSION_RESTORED, old=_tombstone(old), immutable=True))
    if old.description != new.description:
        events.append(
            Event(
                kind=EventKind.VERSION_DESCRIPTION_EDITED, old=old.description, new=new.description
            )
        )
    events += tag_events(old.tags, new.tags, on_version=True)
    return events + _version_immutable(old, new, renamed=renamed)


def _appeared(new: ModelVersion) -> Event:
    if new.deleted is not None:
        return Event(kind=EventKind.VERSION_DELETED, new=_tombstone(new))
    content = {
        "source": new.source,
        "run_id": new.run_id,
        "description": new.description,
        "tags": dict(new.tags),
        "metrics": dict(new.metrics),
        "model_type": new.model_type,
    }
    return Event(kind=EventKind.VERSION_REGISTERED, new=content)


def _tombstone(mv: ModelVersion) -> dict[str, str] | None:
    return None if mv.deleted is None else {"at": mv.deleted.at, "by": mv.deleted.by}


def _version_immutable(old: ModelVersion, new: ModelVersion, *, renamed: bool) -> list[Event]:
    before, after = manifest.version_to_dict(old), manifest.version_to_dict(new)
    deleting = old.deleted is None and new.deleted is not None
    events = []
    for key in sorted(before.keys() | after.keys()):
        if key in _VERSION_MUTABLE or before.get(key) == after.get(key):
            continue
        if renamed and key == "name":
            continue
        if deleting and key in _EMPTIED_ON_DELETE and not after.get(key):
            continue
        events.append(_immutable(EventKind.VERSION_IMMUTABLE_CHANGED, key, before, after))
    return events


def _immutable(
    kind: EventKind, key: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Event:
    return Event(kind=kind, key=key, old=before.get(key), new=after.get(key), immutable=True)


def alias_events(old: AliasTable, new: AliasTable) -> list[Event]:
    """Aliases set, moved (from -> to) and removed, then stage changes, one per version."""
    events = []
    for alias in sorted(old.aliases.keys() | new.aliases.keys()):
        before, after = old.aliases.get(alias), new.aliases.get(alias)
        if before == after:
            continue
        if before is None:
            kind = EventKind.ALIAS_SET
        elif after is None:
            kind = EventKind.ALIAS_REMOVED
        else:
            kind = EventKind.ALIAS_MOVED
        version = after if after is not None else before
        events.append(Event(kind=kind, alias=alias, version=version, old=before, new=after))
    staged = {v for table in (old, new) for versions in table.stages.values() for v in versions}
    for version in sorted(staged):
        was, now = old.stage_of(version), new.stage_of(version)
        if was is not now:
            events.append(
                Event(
                    kind=EventKind.STAGE_CHANGED,
                    version=version,
                    stage=now.value,
                    old=was.value,
                    new=now.value,
                )
            )
    return events
