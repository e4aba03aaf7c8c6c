"""Manifests: YAML text <-> the values of `modelreg.model`.

The key order written here is the format's stable order (DESIGN §1). Reading checks the
structure it relies on and raises `ManifestError` naming the file; the full JSON Schema check
is `schema.validate_manifest`, run on every write and by `validate`/`check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelreg import names, yamlio
from modelreg.errors import ManifestError
from modelreg.model import (
    FORMAT_VERSION,
    AliasTable,
    ArtifactMode,
    Artifacts,
    CopiedFrom,
    Deletion,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
    Stage,
)

SCHEMA_BASE = f"https://modelreg.dev/schemas/{FORMAT_VERSION}"
KINDS = ("registry", "model", "aliases", "model-version")
MAX_BYTES = names.MAX_MANIFEST_BYTES


def schema_url(kind: str) -> str:
    return f"{SCHEMA_BASE}/{kind}.json"


def _sorted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: mapping[k] for k in sorted(mapping)}


# ---------------------------------------------------------------- writing


def registry_to_dict(config: RegistryConfig) -> dict[str, Any]:
    out: dict[str, Any] = {"modelreg": config.format, "id": config.id, "store": config.store}
    if config.branch:
        out["branch"] = config.branch
    if config.policy:
        out["policy"] = dict(config.policy)
    return out


def model_to_dict(model: RegisteredModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "description": model.description,
        "tags": _sorted(model.tags),
        "last_version": model.last_version,
        "created_at": model.created_at,
        "created_by": model.created_by,
    }


def aliases_to_dict(table: AliasTable) -> dict[str, Any]:
    stages = {
        stage.value: sorted(table.stages[stage])
        for stage in Stage
        if stage is not Stage.NONE and table.stages.get(stage)
    }
    return {"aliases": _sorted(table.aliases), "stages": stages}


def _artifacts_to_dict(art: Artifacts) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": art.mode.value, "uri": art.uri}
    if art.mode is not ArtifactMode.UNVERIFIED:
        out["digest"] = art.digest
        out["size"] = art.size
        out["file_count"] = art.file_count
        if art.files_uri:
            out["files_uri"] = art.files_uri
        else:
            out["files"] = [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in art.files]
    return out


def _lineage_to_dict(lineage: Lineage) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if lineage.code_commit:
        out["code_commit"] = lineage.code_commit
    if lineage.data:
        out["data"] = list(lineage.data)
    if lineage.copied_from:
        out["copied_from"] = {"uri": lineage.copied_from.uri}
        if lineage.copied_from.registry_commit:
            out["copied_from"]["registry_commit"] = lineage.copied_from.registry_commit
    return out


def version_to_dict(mv: ModelVersion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": mv.name,
        "version": mv.version,
        "description": mv.description,
        "source": mv.source,
        "run_id": mv.run_id,
        "run_link": mv.run_link,
    }
    if mv.artifacts is not None:
        out["artifacts"] = _artifacts_to_dict(mv.artifacts)
    if mv.model_type:
        out["model_type"] = mv.model_type
    if mv.flavors:
        out["flavors"] = list(mv.flavors)
    if mv.signature:
        out["signature"] = dict(mv.signature)
    out["tags"] = _sorted(mv.tags)
    out["metrics"] = _sorted(mv.metrics)
    lineage = _lineage_to_dict(mv.lineage)
    if lineage:
        out["lineage"] = lineage
    out["created_at"] = mv.created_at
    out["created_by"] = mv.created_by
    if mv.updated_at:
        out["updated_at"] = mv.updated_at
    if mv.deleted:
        out["deleted"] = {"at": mv.deleted.at, "by": mv.deleted.by}
    return out


def dump(kind: str, data: Mapping[str, Any]) -> bytes:
    return yamlio.dump(data, schema_url=schema_url(kind)).encode("utf-8")


def dump_registry(config: RegistryConfig) -> bytes:
    return dump("registry", registry_to_dict(config))


def dump_model(model: RegisteredModel) -> bytes:
    return dump("model", model_to_dict(model))


def dump_aliases(table: AliasTable) -> bytes:
    return dump("aliases", aliases_to_dict(table))


def dump_version(mv: ModelVersion) -> bytes:
    return dump("model-version", version_to_dict(mv))


# ---------------------------------------------------------------- reading


class _Reader:
    """Typed access to a loaded mapping that names the file and key when a value is wrong.

    Lines are only needed to word a refusal, so a top-level reader keeps the text and loads
    them then (`yamlio.load_data` skips them: issue #5, a registry is read whole at scale).
    The `type(...) is` tests are the common case, decided before the general one.
    """

    def __init__(
        self, data: Any, path: str, lines: Mapping[tuple[Any, ...], int] | None = None,
        *, text: bytes | None = None,
    ) -> None:
        if not isinstance(data, dict):
            raise ManifestError("expected a mapping at the top level", path=path, line=1)
        self.data = data
        self.path = path
        self._lines = lines
        self._text = text

    @property
    def lines(self) -> Mapping[tuple[Any, ...], int]:
        if self._lines is None:
            text = self._text
            self._lines = {} if text is None else yamlio.load(text, path=self.path).lines
        return self._lines

    def fail(self, key: str, message: str) -> ManifestError:
        return ManifestError(f"{key}: {message}", path=self.path, line=self.lines.get((key,)))

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.data.get(key, default)
        if value is None and default is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"expected {_kind_name(kind)}, got {value!r:.60}")
        return value

    def text(self, key: str) -> str:
        value = self.data.get(key, "")
        return value if type(value) is str else str(self.get(key, str, ""))

    def number(self, key: str, default: int = 0) -> int:
        value = self.data.get(key, default)
        return value if type(value) is int else int(self.get(key, int, default))

    def map(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        return dict(value) if type(value) is dict else dict(self.get(key, dict, {}))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "a whole number", dict: "a mapping", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def too_large(text: bytes) -> str | None:
    """Why a manifest's file is refused unparsed (over `names.MAX_MANIFEST_BYTES`), or None."""
    if len(text) <= MAX_BYTES:
        return None
    return (f"the file is {len(text):,} bytes, more than a manifest may be ({MAX_BYTES:,} bytes, "
            "1 MiB): long lists of files move to the store (`files_uri`), long texts belong in "
            "the artifacts")


def _load(text: bytes, path: str) -> _Reader:
    if len(text) > MAX_BYTES:
        raise ManifestError(too_large(text) or "", path=path)
    return _Reader(yamlio.load_data(text, path=path), path, text=text)


def parse_registry(text: bytes, path: str = "registry.yaml") -> RegistryConfig:
    r = _load(text, path)
    if "modelreg" not in r.data:
        raise ManifestError("not a modelreg registry file (no `modelreg:` key)", path=path)
    return RegistryConfig(
        format=r.number("modelreg"),
        id=r.text("id"),
        store=r.text("store") or "artifacts",
        branch=r.text("branch"),
        policy=r.map("policy"),
    )


def parse_model(text: bytes, path: str) -> RegisteredModel:
    r = _load(text, path)
    return RegisteredModel(
        name=r.text("name"),
        description=r.text("description"),
        tags=r.map("tags"),
        last_version=r.number("last_version"),
        created_at=r.text("created_at"),
        created_by=r.text("created_by"),
    )


def parse_aliases(text: bytes, path: str) -> AliasTable:
    r = _load(text, path)
    aliases = r.map("aliases")
    for alias, version in aliases.items():
        if not isinstance(version, int) or isinstance(version, bool):
            raise r.fail("aliases", f"alias {alias!r} must name a version number")
    stages: dict[Stage, tuple[int, ...]] = {}
    for name, versions in r.map("stages").items():
        try:
            stage = Stage(name)
        except ValueError:
            raise r.fail("stages", f"unknown stage {name!r}") from None
        if not isinstance(versions, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in versions
        ):
            raise r.fail("stages", f"stage {name!r} must list version numbers")
        stages[stage] = tuple(versions)
    return AliasTable(aliases=aliases, stages=stages)


_MODES = {mode.value: mode for mode in ArtifactMode}


def _parse_artifacts(r: _Reader) -> Artifacts | None:
    raw = r.get("artifacts", dict)
    if raw is None:
        return None
    a = _Reader(raw, r.path, {})
    given = raw.get("mode", "")
    mode = _MODES.get(given or "stored") if type(given) is str else None  # the common case
    if mode is None:
        try:
            mode = ArtifactMode(a.text("mode") or "stored")
        except ValueError:
            raise r.fail("artifacts", f"unknown mode {raw.get('mode')!r}") from None
    files = [_file_entry(item, r.path) for item in a.get("files", list, [])]
    return Artifacts(
        mode=mode,
        uri=a.text("uri"),
        digest=a.text("digest"),
        size=a.number("size"),
        file_count=a.number("file_count"),
        files=tuple(files),
        files_uri=a.text("files_uri"),
    )


def _file_entry(item: Any, path: str) -> FileEntry:
    if type(item) is dict:  # the common case: three values of the right types
        name, size, sha256 = item.get("path", ""), item.get("size", 0), item.get("sha256", "")
        if type(name) is str and type(size) is int and type(sha256) is str:
            return FileEntry(path=name, size=size, sha256=sha256)
    f = _Reader(item, path, {})
    return FileEntry(path=f.text("path"), size=f.number("size"), sha256=f.text("sha256"))


_NO_LINEAGE = Lineage()


def _parse_lineage(r: _Reader) -> Lineage:
    if "lineage" not in r.data:
        return _NO_LINEAGE  # what an empty mapping gives, shared (values are frozen)
    raw = _Reader(r.map("lineage"), r.path, {})
    copied = raw.get("copied_from", dict)
    return Lineage(
        code_commit=raw.text("code_commit"),
        data=tuple(str(d) for d in raw.get("data", list, [])),
        copied_from=CopiedFrom(
            uri=str(copied.get("uri", "")), registry_commit=str(copied.get("registry_commit", ""))
        )
        if copied
        else None,
    )


def parse_version(text: bytes, path: str) -> ModelVersion:
    r = _load(text, path)
    deleted = r.get("deleted", dict)
    return ModelVersion(
        name=r.text("name"),
        version=r.number("version"),
        description=r.text("description"),
        source=r.text("source"),
        run_id=r.text("run_id"),
        run_link=r.text("run_link"),
        artifacts=_parse_artifacts(r),
        model_type=r.text("model_type"),
        flavors=tuple(str(f) for f in r.get("flavors", list, [])),
        signature=r.get("signature", dict),
        tags=r.map("tags"),
        metrics=r.map("metrics"),
        lineage=_parse_lineage(r),
        created_at=r.text("created_at"),
        created_by=r.text("created_by"),
        updated_at=r.text("updated_at"),
        deleted=Deletion(at=str(deleted.get("at", "")), by=str(deleted.get("by", "")))
        if deleted
        else None,
    )
