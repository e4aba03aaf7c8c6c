"""Reading both sides of a diff by folder and path, never raising on a broken manifest.

A manifest that cannot be parsed is remembered with its reason and later becomes one
`unreadable` event; the engine skips comparing it (a broken file has no fields to compare).
Reads made only to name or locate things (`quiet`) report nothing: files outside the change
are not the change's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelreg import layout
from modelreg.diff.events import Event, EventKind
from modelreg.errors import ManifestError, ModelregError
from modelreg.model import ArtifactMode, Artifacts, RegistryConfig
from modelreg.snapshot import Snapshot

# What a hand edit can make the parser raise: ours, and the odd type a wrong shape slips by.
_PARSE_ERRORS = (ModelregError, ValueError, TypeError, AttributeError)

Identity = tuple[str, frozenset[tuple[str, str, str]]]


@dataclass(frozen=True, slots=True)
class Side:
    """One model folder in one snapshot."""

    snapshot: Snapshot
    folder: str

    def path(self, rel: str) -> str:
        return f"{layout.MODELS_DIR}/{self.folder}/{rel}"

    def exists(self, rel: str) -> bool:
        return self.snapshot.files.blob_id(self.path(rel)) is not None


class Reader:
    """Parses manifests of the old and new snapshot, collecting why some cannot be read."""

    def __init__(self, old: Snapshot, new: Snapshot) -> None:
        self.old = old
        self.new = new
        self.names: dict[str, str] = {}  # model folder -> model name, for unreadable events
        self._broken: dict[str, list[str | None]] = {}  # path -> [old reason, new reason]
        self._store: tuple[str | None] | None = None

    def side(self, folder: str, *, old: bool) -> Side:
        return Side(self.old if old else self.new, folder)

    def exists(self, folder: str, *, old: bool) -> bool:
        """Whether the folder holds a `model.yaml` on that side (readable or not)."""
        return self.side(folder, old=old).exists(layout.MODEL_FILE)

    def read(self, side: Side, kind: str, rel: str) -> Any:
        """The parsed manifest, or None when absent or broken (then remembered)."""
        path = side.path(rel)
        try:
            return side.snapshot.parsed_at(kind, path)
        except _PARSE_ERRORS as exc:
            self._remember(path, side.snapshot is self.old, exc)
            return None

    def quiet(self, side: Side, kind: str, rel: str) -> Any:
        try:
            return side.snapshot.parsed_at(kind, side.path(rel))
        except _PARSE_ERRORS:
            return None

    def config(self, *, old: bool) -> RegistryConfig | None:
        snapshot = self.old if old else self.new
        if snapshot.files.blob_id(layout.REGISTRY_FILE) is None:
            return None
        try:
            return snapshot.config()
        except _PARSE_ERRORS as exc:
            self._remember(layout.REGISTRY_FILE, old, exc)
            return None

    def broken(self, *paths: str) -> bool:
        return any(path in self._broken for path in paths)

    def _remember(self, path: str, old: bool, exc: Exception) -> None:
        reasons = self._broken.setdefault(path, [None, None])
        reasons[0 if old else 1] = _reason(exc, path)

    def unreadable_events(self) -> list[Event]:
        events = []
        for path, (old, new) in sorted(self._broken.items()):
            parts = path.split("/")
            model = self.names.get(parts[1]) if len(parts) > 2 else None
            events.append(
                Event(
                    kind=EventKind.UNREADABLE,
                    model=model,
                    file=path,
                    reason=new or old,
                    old=old,
                    new=new,
                )
            )
        return events

    def store(self) -> str | None:
        """The new side's artifact store (None when registry.yaml is missing or broken)."""
        if self._store is None:
            try:
                self._store = (self.new.config().store,)
            except _PARSE_ERRORS:
                self._store = (None,)
        return self._store[0]

    def identity(self, folder: str, *, old: bool) -> Identity | None:
        """What a renamed model keeps: its creation time and each version's bytes and time."""
        side = self.side(folder, old=old)
        model = self.quiet(side, "model", layout.MODEL_FILE)
        if model is None or not model.created_at:
            return None
        versions = set()
        for name in side.snapshot.files.listdir(side.path(layout.VERSIONS_DIR)):
            mv = self.quiet(side, "version", f"{layout.VERSIONS_DIR}/{name}")
            digest = mv.artifacts.digest if mv is not None and mv.artifacts is not None else ""
            versions.add((name, digest, mv.created_at if mv is not None else ""))
        return (str(model.created_at), frozenset(versions))

    def version_artifacts(self, new: Side, old: Side, version: int | None) -> Artifacts | None:
        """The artifacts of a version an event names: as it is now, else as it was."""
        if version is None:
            return None
        for side in (new, old):
            mv = self.quiet(side, "version", f"{layout.VERSIONS_DIR}/{version}.yaml")
            if mv is not None and mv.artifacts is not None:
                art: Artifacts = mv.artifacts
                return art
        return None

    def file_state(self, old_path: str, new_path: str) -> str:
        before = self.old.files.blob_id(old_path) is not None
        after = self.new.files.blob_id(new_path) is not None
        return "modified" if before and after else ("added" if after else "removed")


def artifact_uri(store: str | None, art: Artifacts | None) -> str | None:
    """Where a version's files are: stored artifacts live under the registry's store (a URL,
    or a path relative to the registry folder); references are absolute already."""
    if art is None or not art.uri:
        return None
    if art.mode is ArtifactMode.STORED and store:
        return f"{store.rstrip('/')}/{art.uri}"
    return art.uri


def _reason(exc: Exception, path: str) -> str:
    """The message without the file name the event already carries."""
    if isinstance(exc, ManifestError):
        text = exc.message
        if exc.path == path:
            where = f"{path}:{exc.line}: " if exc.line else f"{path}: "
            text = text.removeprefix(where)
            return f"line {exc.line}: {text}" if exc.line else text
        return text
    return f"{type(exc).__name__}: {exc}"
