"""A registry's state at one point: the snapshot interface every read and operation uses.

`Files` is the raw view (bytes by path, relative to the registry folder). It has three
implementations: a Git tree at a commit (`gitrepo.TreeFiles`), a dict in memory (for unit
tests and for building a new registry), and an overlay of pending writes on another view (so
a transaction's second operation sees the first one's result). `Snapshot` parses manifests
from any of them, caching by blob id: a blob's id never changes meaning (DESIGN §6).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from modelreg import layout, manifest
from modelreg.errors import ManifestError, NotFound, RegistryNotFound
from modelreg.model import AliasTable, ModelVersion, RegisteredModel, RegistryConfig, Stage


class Files(Protocol):
    """Read-only access to the registry folder's files at one revision."""

    @property
    def revision(self) -> str:
        """The commit id this view shows, or '' for a view not in Git."""
        ...

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when there is no file at `path`."""
        ...

    def blob_id(self, path: str) -> str | None:
        """A content id for the file (Git's blob id), or None when it does not exist."""
        ...

    def listdir(self, path: str) -> list[str]:
        """Names directly inside the folder `path` ('' is the registry folder); [] if none."""
        ...


def content_id(data: bytes) -> str:
    """Git's blob id of `data`, so memory views and Git views share cache keys."""
    import hashlib  # ~2.5 ms (OpenSSL): a read through Git never hashes

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class MemoryFiles:
    """Files in a dict: unit tests, and the state of a registry being initialised."""

    def __init__(self, files: Mapping[str, bytes] | None = None, revision: str = "") -> None:
        self.files = dict(files or {})
        self._revision = revision

    @property
    def revision(self) -> str:
        return self._revision

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def blob_id(self, path: str) -> str | None:
        data = self.files.get(path)
        return None if data is None else content_id(data)

    def listdir(self, path: str) -> list[str]:
        prefix = f"{path}/" if path else ""
        names = {p[len(prefix) :].split("/", 1)[0] for p in self.files if p.startswith(prefix)}
        return sorted(names)


class OverlayFiles:
    """Pending writes on top of a base view; `None` marks a deleted file."""

    def __init__(self, base: Files, writes: Mapping[str, bytes | None]) -> None:
        self.base = base
        self.writes = dict(writes)

    @property
    def revision(self) -> str:
        return self.base.revision

    def read(self, path: str) -> bytes | None:
        if path in self.writes:
            return self.writes[path]
        return self.base.read(path)

    def blob_id(self, path: str) -> str | None:
        if path in self.writes:
            data = self.writes[path]
            return None if data is None else content_id(data)
        return self.base.blob_id(path)

    def listdir(self, path: str) -> list[str]:
        prefix = f"{path}/" if path else ""
        names = set(self.base.listdir(path))
        for p, data in self.writes.items():
            if data is not None and p.startswith(prefix):
                names.add(p[len(prefix) :].split("/", 1)[0])
        return sorted(n for n in names if self._exists(prefix + n))

    def _exists(self, path: str) -> bool:
        if path in self.writes:
            return self.writes[path] is not None
        inner = f"{path}/"
        touched = [d for p, d in self.writes.items() if p.startswith(inner)]
        if not touched:
            return True  # untouched: it exists because the base lists it
        if any(d is not None for d in touched):
            return True
        return any(self._exists(inner + n) for n in self.base.listdir(path))


# Parsed manifests by (kind, blob id): shared by every snapshot in the process.
_PARSED: dict[tuple[str, str], Any] = {}
_PARSED_MAX = 50_000


class ParseStats:
    """How many manifests this process parsed (benchmarks prove "does not grow" with it)."""

    parsed = 0


def _parse_cached(kind: str, files: Files, path: str, parse: Any) -> Any:
    blob = files.blob_id(path)
    if blob is None:
        return None
    key = (kind, blob)
    hit = _PARSED.get(key)
    if hit is not None:
        return hit
    data = files.read(path)
    assert data is not None
    value = parse(data, path)
    ParseStats.parsed += 1
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = value
    return value


class Snapshot:
    """The registry as of one revision: parsed models, versions and aliases."""

    def __init__(self, files: Files) -> None:
        self.files = files

    @property
    def revision(self) -> str:
        return self.files.revision

    def config(self) -> RegistryConfig:
        config: RegistryConfig | None = _parse_cached(
            "registry", self.files, layout.REGISTRY_FILE, manifest.parse_registry
        )
        if config is None:
            raise RegistryNotFound("no registry.yaml in the registry folder at this revision")
        return config

    def model(self, name: str) -> RegisteredModel | None:
        """The registered model as written in `model.yaml` (aliases filled in), or None."""
        path = layout.model_file(name)
        model: RegisteredModel | None = _parse_cached("model", self.files, path, _parse_model)
        if model is None or model.name != name:
            return None
        from dataclasses import replace

        return replace(model, aliases=self.alias_table(name).aliases)

    def require_model(self, name: str) -> RegisteredModel:
        model = self.model(name)
        if model is None:
            raise NotFound(f"registered model {name!r} does not exist")
        return model

    def alias_table(self, name: str) -> AliasTable:
        table: AliasTable | None = _parse_cached(
            "aliases", self.files, layout.aliases_file(name), manifest.parse_aliases
        )
        return table or AliasTable()

    def raw_version(self, name: str, version: int) -> ModelVersion | None:
        """The version file as written, tombstones included, without aliases or stage."""
        path = layout.version_file(name, version)
        mv: ModelVersion | None = _parse_cached("version", self.files, path, _parse_version)
        return mv

    def version(self, name: str, version: int) -> ModelVersion | None:
        """A live version with its aliases and stage, or None (missing or deleted). A file
        naming another model or number is no version (the index agrees; `validate` says why)."""
        mv = self.raw_version(name, version)
        if mv is None or mv.deleted is not None or mv.name != name or mv.version != version:
            return None
        return self.decorate(mv, self.alias_table(name))

    @staticmethod
    def decorate(mv: ModelVersion, table: AliasTable) -> ModelVersion:
        from dataclasses import replace

        return replace(
            mv, aliases=table.aliases_of(mv.version), current_stage=table.stage_of(mv.version)
        )

    def version_numbers(self, name: str) -> list[int]:
        """Numbers of every version file of a model (tombstones included), ascending."""
        names = self.files.listdir(layout.versions_path(name))
        return sorted(n for n in map(layout.version_number, names) if n is not None)

    def versions(self, name: str) -> Iterator[ModelVersion]:
        """Live versions of a model, ascending, with aliases and stages."""
        table = self.alias_table(name)
        for number in self.version_numbers(name):
            mv = self.raw_version(name, number)
            if mv is not None and mv.deleted is None and (mv.name, mv.version) == (name, number):
                yield self.decorate(mv, table)

    def model_dirs(self) -> list[str]:
        return self.files.listdir(layout.MODELS_DIR)

    def model_at_dir(self, dirname: str) -> RegisteredModel | None:
        path = f"{layout.MODELS_DIR}/{dirname}/{layout.MODEL_FILE}"
        model: RegisteredModel | None = _parse_cached("model", self.files, path, _parse_model)
        return model

    def parsed_at(self, kind: str, path: str) -> Any:
        """The manifest of `kind` ('model', 'aliases', 'version') at `path`, or None if absent.

        For readers that go by path, not by name (`diff`, `check`): a hand-edited folder need
        not be the one its model's name maps to. Parsed once per blob, like every read here.
        """
        parsers = {"model": _parse_model, "aliases": manifest.parse_aliases}
        return _parse_cached(kind, self.files, path, parsers.get(kind, _parse_version))

    def model_names(self) -> list[str]:
        """Every registered model's name (reads each `model.yaml`: use the index at scale)."""
        names = []
        for dirname in self.model_dirs():
            model = self.model_at_dir(dirname)
            if model is not None:
                names.append(model.name)
        return sorted(names)

    def find_case_insensitive(self, name: str) -> str | None:
        """An existing model whose name equals `name` but for case (DESIGN §1).

        Folder names are compared first (decoded, case-folded), so only a likely clash is
        parsed: a create at 10,000 models reads one listing, not 10,000 manifests.
        """
        from urllib.parse import unquote

        folded = name.casefold()
        for dirname in self.model_dirs():
            if unquote(dirname).casefold() != folded and "~" not in dirname:
                continue
            model = self.model_at_dir(dirname)
            if model is not None and model.name.casefold() == folded and model.name != name:
                return model.name
        return None

    def latest_in_stage(self, name: str, stage: Stage) -> ModelVersion | None:
        table = self.alias_table(name)
        if stage is Stage.NONE:
            staged = {v for vs in table.stages.values() for v in vs}
            candidates = [n for n in self.version_numbers(name) if n not in staged]
        else:
            candidates = list(table.stages.get(stage, ()))
        for number in sorted(candidates, reverse=True):
            mv = self.version(name, number)
            if mv is not None:
                return mv
        return None


def _parse_model(data: bytes, path: str) -> RegisteredModel:
    return manifest.parse_model(data, path)


def _parse_version(data: bytes, path: str) -> ModelVersion:
    return manifest.parse_version(data, path)


__all__ = [
    "Files",
    "ManifestError",
    "MemoryFiles",
    "OverlayFiles",
    "Snapshot",
    "content_id",
]
