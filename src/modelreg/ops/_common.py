"""What the operations share: finding what must exist, refusing names, writing manifests.

Every helper reads only the snapshot it is given, so an operation built from them can be run
again on a moved head (the writer does) or on top of another one (a transaction does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from modelreg import layout, manifest, names, uris
from modelreg.change import OpContext
from modelreg.errors import Conflict, InvalidParameter
from modelreg.model import AliasTable, ModelVersion, RegisteredModel, Stage
from modelreg.snapshot import Files, Snapshot

Writes = dict[str, bytes | None]


def require_model(snapshot: Snapshot, name: str) -> RegisteredModel:
    """The registered model (aliases filled in), or NotFound naming it."""
    return snapshot.require_model(names.check_model_name(name))


def require_version(snapshot: Snapshot, name: str, version: int) -> ModelVersion:
    """A live version with its aliases and stage; NotFound says whether the model, the
    version, or only its tombstone is there (one wording with `resolve`)."""
    ref = uris.ModelRef(name=names.check_model_name(name), version=names.check_version(version))
    return uris.resolve(snapshot, ref)


def refuse_new_name(snapshot: Snapshot, name: str, *, renaming: str = "") -> None:
    """A name a new (or renamed) model may not take: a case twin of another model, or a
    folder that already holds some other model (a hand edit, or a hash-shortened name)."""
    twin = snapshot.find_case_insensitive(name)
    if twin is not None and twin != renaming:
        raise InvalidParameter(
            f"registered model name {name!r} differs only by case from {twin!r}"
        )
    path = layout.model_file(name)
    if snapshot.files.blob_id(path) is not None and snapshot.model(name) is None:
        raise Conflict(
            f"{path} already holds another registered model; rename or remove it first"
        )


def new_model(
    snapshot: Snapshot,
    ctx: OpContext,
    name: str,
    *,
    tags: Mapping[str, str] | None = None,
    description: str = "",
) -> RegisteredModel:
    """A registered model about to be created (checked against the existing names)."""
    refuse_new_name(snapshot, names.check_model_name(name))
    return RegisteredModel(
        name=name,
        description=description,
        tags=dict(tags or {}),
        last_version=0,
        created_at=ctx.now,
        created_by=ctx.actor,
    )


def model_write(model: RegisteredModel) -> Writes:
    return {layout.model_file(model.name): manifest.dump_model(model)}


def aliases_write(name: str, table: AliasTable) -> Writes:
    """`aliases.yaml` is written even when empty: a later promotion is then a one-line diff."""
    return {layout.aliases_file(name): manifest.dump_aliases(table)}


def version_write(mv: ModelVersion) -> Writes:
    return {layout.version_file(mv.name, mv.version): manifest.dump_version(mv)}


def only_changed(snapshot: Snapshot, writes: Mapping[str, bytes | None]) -> Writes:
    """The writes that change something. A change left with none means "nothing to commit"
    (setting an alias where it already points, a stage a version is already in)."""
    out: Writes = {}
    for path, data in writes.items():
        if data is None:
            if snapshot.files.blob_id(path) is not None:
                out[path] = None
        elif snapshot.files.read(path) != data:
            out[path] = data
    return out


def walk(files: Files, folder: str) -> list[str]:
    """Every file under `folder`, at any depth (a Git tree has no empty folders)."""
    found: list[str] = []
    for entry in files.listdir(folder):
        path = f"{folder}/{entry}"
        if files.blob_id(path) is not None:
            found.append(path)
        else:
            found.extend(walk(files, path))
    return found


def listing(items: Iterable[str]) -> str:
    """`a, b` for an error's way out, `none` when there is nothing to list."""
    return ", ".join(sorted(items)) or "none"


def next_number(snapshot: Snapshot, model: RegisteredModel) -> int:
    """The next version number: past `last_version` and past every version file, so a number
    is never given twice, even when `last_version` was hand-edited lower."""
    return max([model.last_version, *snapshot.version_numbers(model.name)]) + 1


def without_version(table: AliasTable, version: int) -> AliasTable:
    """The table with no alias pointing at `version` and `version` in no stage."""
    return AliasTable(
        aliases={a: v for a, v in table.aliases.items() if v != version},
        stages={s: tuple(v for v in vs if v != version) for s, vs in table.stages.items()},
    )


def named(mv: ModelVersion, name: str) -> ModelVersion:
    """The version file's content under another model's name."""
    return replace(mv, name=name, aliases=(), current_stage=Stage.NONE)
