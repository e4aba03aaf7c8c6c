"""Parsed manifests <-> the index's rows, and the in-process memo of built values.

A row keeps the columns a search pushes down to SQL (name, version, run_id, ...), the tags,
and the manifest's own bytes, which are what a value is built from when a later process needs
it: the same parser on the same bytes, so a row can never read back other than the manifest
(issue #5: encoding each value as JSON, and checking the JSON read back equal, cost a first
build of 100,000 versions ~1 s of CPU; building from YAML instead costs a new process ~10 us
more a version it loads, which `yamlfast` keeps small).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from modelreg import __version__, manifest
from modelreg.errors import ManifestError
from modelreg.model import (
    AliasTable,
    Artifacts,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    Stage,
)

MODEL, ALIASES, VERSION = "model", "aliases", "version"
KINDS = (MODEL, ALIASES, VERSION)


ENCODING = 3  # bump when what `encode` writes changes (3: the manifest's bytes, not JSON)


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


def _aliases(data: bytes, path: str) -> Aliases:
    return Aliases.of(manifest.parse_aliases(data, path))


_PARSERS: dict[str, Any] = {
    MODEL: manifest.parse_model,
    ALIASES: _aliases,
    VERSION: manifest.parse_version,
}


def parse(kind: str, blob: str, data: bytes) -> Any:
    """The value of a manifest's bytes, or None when they do not parse (`validate` says why)."""
    try:
        return _PARSERS[kind](data, f"{kind} manifest {blob[:12]}")
    except (ManifestError, ValueError, TypeError, RecursionError):
        return None


class Row(NamedTuple):
    """A parsed manifest ready to insert: `ok` False when it does not parse."""

    kind: str
    blob: str
    ok: bool
    columns: tuple[Any, ...]
    data: bytes | None
    tags: tuple[tuple[str, Any], ...]


def _tag_value(value: Any) -> Any:
    """A tag's value as its row holds it: a boolean, null, list or mapping as JSON text."""
    if isinstance(value, (str, int, float)):
        return value
    import json  # only for a hand-written tag that is no string (the schema refuses it)

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode(kind: str, blob: str, value: Any, data: bytes) -> Row:
    """The row of a manifest's bytes `data` parsed as `value` (`None`: it did not parse)."""
    if value is None:
        return Row(kind, blob, False, (), None, ())
    tags = tuple([(k if type(k) is str else str(k), v if type(v) is str else _tag_value(v))
                  for k, v in getattr(value, "tags", {}).items()])
    if kind == VERSION:
        mv: ModelVersion = value
        columns: tuple[Any, ...] = (mv.name, mv.version, mv.run_id, mv.source, mv.created_at,
                                    mv.updated_at, int(mv.deleted is not None))
    elif kind == MODEL:
        columns = (value.name, value.created_at)
    else:
        columns, tags = (), ()
    return Row(kind, blob, True, columns, data, tags)


class Undecodable(Exception):
    """A stored row does not decode: the file is damaged (its bytes parsed when stored)."""


def decode(kind: str, blob: str, data: bytes) -> Any:
    value = parse(kind, blob, data) if isinstance(data, bytes) else None
    if value is None:
        raise Undecodable(f"a stored {kind} does not decode")
    return value


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
