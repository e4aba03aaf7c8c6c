"""Parsed manifests <-> the index's rows, and the in-process memo of built values.

A row keeps the columns a later filter push-down needs (name, version, run_id, ...) and the
whole parsed value as JSON (`manifest.model_to_dict` for models, a fixed-position list for
versions), which loads far faster than YAML. Encoding is checked at write time: a value whose
JSON would not read back equal (an exotic hand-written YAML type, NaN, a key that is not a
string) is stored without JSON and re-parsed from its blob when loaded, so the index never
changes an answer. The check compares the JSON with the lists and dicts it was made from (issue
#5: building the value again doubled the cost of a first build); that those hold every field
of the value, and read back into an equal one, is tests/test_index_bulk.py's to check.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from modelreg import __version__, manifest
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    CopiedFrom,
    Deletion,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    Stage,
)

MODEL, ALIASES, VERSION = "model", "aliases", "version"
KINDS = (MODEL, ALIASES, VERSION)


ENCODING = 2  # bump when what `encode` writes changes


def _codec_id() -> str:
    """Changes with the encoding, the package version and the values' shapes: an index
    written by another modelreg is rebuilt, never misread."""
    shapes = [
        f"{cls.__name__}:{','.join(f.name for f in fields(cls))}"
        for cls in (ModelVersion, RegisteredModel, Artifacts, FileEntry, Lineage, AliasTable)
    ]
    digest = hashlib.sha1(";".join(shapes).encode()).hexdigest()[:12]
    return f"{ENCODING}/{__version__}/{digest}"


CODEC = _codec_id()


@dataclass(frozen=True, slots=True, kw_only=True)
class Aliases:
    """An alias table with what each version wears, computed once per `aliases.yaml` blob."""

    table: AliasTable
    wear: dict[int, tuple[tuple[str, ...], Stage]]

    @classmethod
    def of(cls, table: AliasTable) -> Aliases:
        versions = set(table.aliases.values()) | {v for vs in table.stages.values() for v in vs}
        wear = {v: (table.aliases_of(v), table.stage_of(v)) for v in versions}
        return cls(table=table, wear=wear)


EMPTY_ALIASES = Aliases(table=AliasTable(), wear={})


class Row(NamedTuple):
    """A parsed manifest ready to insert: `ok` False when it does not parse."""

    kind: str
    blob: str
    ok: bool
    columns: tuple[Any, ...]
    data: str | None
    tags: tuple[tuple[str, Any], ...]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once, not per call


def _dumps(data: Any) -> str:
    return _ENCODER.encode(data)


def _checked(data: Any) -> str | None:
    """`data` as JSON, or None when the JSON does not read back exactly (JSON keeps the
    types of what modelreg reads: str, int, float, bool, None, list, dict of str)."""
    try:
        text = _dumps(data)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == data else None


def _tag_value(value: Any) -> Any:
    return value if isinstance(value, (str, int, float)) else _dumps(value)


def encode(kind: str, blob: str, value: Any) -> Row:
    """The row of a parsed value (`None`: the manifest did not parse)."""
    if value is None:
        return Row(kind, blob, False, (), None, ())
    tags = tuple((str(k), _tag_value(v)) for k, v in getattr(value, "tags", {}).items())
    if kind == VERSION:
        mv: ModelVersion = value
        data = _checked(version_to_list(mv))
        columns = (mv.name, mv.version, mv.run_id, mv.source, mv.created_at, mv.updated_at,
                   int(mv.deleted is not None))
        return Row(kind, blob, True, columns, data, tags)
    if kind == MODEL:
        model: RegisteredModel = value
        data = _checked(manifest.model_to_dict(model))
        return Row(kind, blob, True, (model.name, model.created_at), data, tags)
    table: Aliases = value
    data = _checked(aliases_to_dict(table.table))
    return Row(kind, blob, True, (), data, ())


class Undecodable(Exception):
    """A stored row does not decode: the file is damaged (the encoder checks every row)."""


def decode(kind: str, data: str) -> Any:
    try:
        return _decode(kind, data)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise Undecodable(f"a stored {kind} does not decode") from exc


def _decode(kind: str, data: str) -> Any:
    loaded = json.loads(data)
    if kind == VERSION:
        return version_from_list(loaded)
    if kind == MODEL:
        return model_from_dict(loaded)
    return aliases_from_dict(loaded)


# -- dicts -> values (the inverse of manifest.*_to_dict) ------------------------------

_NO_LINEAGE = Lineage()


def model_from_dict(d: dict[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=d["name"], description=d["description"], tags=d["tags"],
        last_version=d["last_version"], created_at=d["created_at"], created_by=d["created_by"],
    )


def aliases_to_dict(table: AliasTable) -> dict[str, Any]:
    """Unlike `manifest.aliases_to_dict`, keeps the file's stage order (`stage_of` reads it)."""
    return {
        "aliases": dict(table.aliases),
        "stages": [[stage.value, list(versions)] for stage, versions in table.stages.items()],
    }


def aliases_from_dict(d: dict[str, Any]) -> Aliases:
    stages = {Stage(name): tuple(versions) for name, versions in d["stages"]}
    return Aliases.of(AliasTable(aliases=d["aliases"], stages=stages))


# A version is stored as a list, not a dict: 10,000 of them decode in half the time, and a
# new process listing a large registry spends most of its time there. Positions are fixed by
# CODEC (a change of `ModelVersion` rebuilds every index).


def version_to_list(mv: ModelVersion) -> list[Any]:
    art, lineage, deleted = mv.artifacts, mv.lineage, mv.deleted
    return [
        mv.name, mv.version, mv.description, mv.source, mv.run_id, mv.run_link,
        None if art is None else [
            art.mode.value, art.uri, art.digest, art.size, art.file_count,
            [[f.path, f.size, f.sha256] for f in art.files], art.files_uri,
        ],
        mv.model_type, list(mv.flavors), mv.signature, mv.tags, mv.metrics,
        None if lineage == _NO_LINEAGE else [
            lineage.code_commit, list(lineage.data),
            None if lineage.copied_from is None
            else [lineage.copied_from.uri, lineage.copied_from.registry_commit],
        ],
        mv.created_at, mv.created_by, mv.updated_at,
        None if deleted is None else [deleted.at, deleted.by],
    ]


def version_from_list(x: list[Any]) -> ModelVersion:
    art, lineage, deleted = x[6], x[12], x[16]
    return ModelVersion(
        name=x[0], version=x[1], description=x[2], source=x[3], run_id=x[4], run_link=x[5],
        artifacts=None if art is None else Artifacts(
            mode=ArtifactMode(art[0]), uri=art[1], digest=art[2], size=art[3],
            file_count=art[4], files=tuple([FileEntry(path=p, size=n, sha256=h)
                                            for p, n, h in art[5]]),
            files_uri=art[6],
        ),
        model_type=x[7], flavors=tuple(x[8]), signature=x[9], tags=x[10], metrics=x[11],
        lineage=_NO_LINEAGE if lineage is None else Lineage(
            code_commit=lineage[0], data=tuple(lineage[1]),
            copied_from=None if lineage[2] is None
            else CopiedFrom(uri=lineage[2][0], registry_commit=lineage[2][1]),
        ),
        created_at=x[13], created_by=x[14], updated_at=x[15],
        deleted=None if deleted is None else Deletion(at=deleted[0], by=deleted[1]),
    )


# -- the memo: built values by (kind, blob id), shared by every index in the process ----

_MEMO: dict[tuple[str, str], Any] = {}
MEMO_MAX = 250_000


def remembered(kind: str, blob: str) -> Any:
    return _MEMO.get((kind, blob))


def remember(kind: str, blob: str, value: Any) -> None:
    if len(_MEMO) >= MEMO_MAX:
        _MEMO.clear()
    _MEMO[(kind, blob)] = value


def forget_all() -> None:
    """For benchmarks and tests that measure a process's first call."""
    _MEMO.clear()
