"""The registry's values: registered models, model versions, aliases, stages, configuration.

These are what every read returns and every operation consumes. They are frozen: a change is
a new value (`dataclasses.replace`), which is what lets an operation be re-run on a moved head
without side effects. Mappings inside them are plain dicts by convention never mutated.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1


class Stage(str, enum.Enum):
    """MLflow's model version stages. `NONE` is "in no stage" and is never written to disk."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, text: str) -> Stage:
        """Accepts any case, as MLflow's `get_canonical_stage` does."""
        for stage in cls:
            if stage.value.lower() == text.strip().lower():
                return stage
        from modelreg.errors import InvalidParameter

        allowed = ", ".join(s.value for s in cls)
        raise InvalidParameter(f"invalid stage {text!r} (stages: {allowed})")


class ArtifactMode(str, enum.Enum):
    """How a version's artifacts are held.

    STORED: uploaded into the registry's content-addressed store.
    REFERENCE: left where they were (e.g. an MLflow run's artifacts), digests recorded.
    UNVERIFIED: a source whose bytes could not be read at registration; nothing recorded.
    """

    STORED = "stored"
    REFERENCE = "reference"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifacts:
    """Where a version's bytes are and what they must hash to (DESIGN §2).

    `uri` is `sha256/<digest>` relative to the registry's store for STORED artifacts, the
    absolute URI otherwise. `files` is empty when the list lives in the store (`files_uri`).
    """

    mode: ArtifactMode
    uri: str
    digest: str = ""
    size: int = 0
    file_count: int = 0
    files: tuple[FileEntry, ...] = ()
    files_uri: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CopiedFrom:
    uri: str
    registry_commit: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Lineage:
    code_commit: str = ""
    data: tuple[str, ...] = ()
    copied_from: CopiedFrom | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Deletion:
    at: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelVersion:
    """A model version as MLflow knows it, plus what modelreg records about its bytes.

    `aliases` and `current_stage` are not in the version's file: they are read from the
    model's `aliases.yaml` and filled in by the reader.
    """

    name: str
    version: int
    description: str = ""
    source: str = ""
    run_id: str = ""
    run_link: str = ""
    artifacts: Artifacts | None = None
    model_type: str = ""
    flavors: tuple[str, ...] = ()
    signature: Mapping[str, Any] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    lineage: Lineage = field(default_factory=Lineage)
    created_at: str = ""
    created_by: str = ""
    updated_at: str = ""
    deleted: Deletion | None = None
    aliases: tuple[str, ...] = ()
    current_stage: Stage = Stage.NONE

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AliasTable:
    """The content of `aliases.yaml`: everything a promotion changes."""

    aliases: Mapping[str, int] = field(default_factory=dict)
    stages: Mapping[Stage, tuple[int, ...]] = field(default_factory=dict)

    def stage_of(self, version: int) -> Stage:
        for stage, versions in self.stages.items():
            if version in versions:
                return stage
        return Stage.NONE

    def aliases_of(self, version: int) -> tuple[str, ...]:
        return tuple(sorted(a for a, v in self.aliases.items() if v == version))


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredModel:
    """A registered model. `aliases` comes from `aliases.yaml`; `latest_versions` (MLflow's
    latest version per stage) is filled in by the reader when asked for."""

    name: str
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    last_version: int = 0
    created_at: str = ""
    created_by: str = ""
    aliases: Mapping[str, int] = field(default_factory=dict)
    latest_versions: tuple[ModelVersion, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryConfig:
    """`registry.yaml`. `store` is an fsspec URL or a path relative to the registry folder."""

    format: int = FORMAT_VERSION
    id: str = ""
    store: str = "artifacts"
    branch: str = ""
    policy: Mapping[str, Any] = field(default_factory=dict)
