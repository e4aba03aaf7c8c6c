"""Operations on model versions: register, copy, edit description and tags, delete.

A version file is written once; later only its description, tags and `updated_at` change,
and the tombstone when it is deleted (DESIGN §1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from modelreg import layout, names
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import NotFound
from modelreg.model import (
    AliasTable,
    Artifacts,
    CopiedFrom,
    Deletion,
    Lineage,
    ModelVersion,
    Stage,
)
from modelreg.ops._common import (
    Writes,
    aliases_write,
    listing,
    model_write,
    new_model,
    next_number,
    only_changed,
    require_version,
    version_write,
    without_version,
)
from modelreg.snapshot import Snapshot


def create_model_version(
    name: str,
    *,
    artifacts: Artifacts | None,
    source: str = "",
    run_id: str = "",
    run_link: str = "",
    description: str = "",
    tags: Mapping[str, str] | None = None,
    metrics: Mapping[str, float] | None = None,
    model_type: str = "custom",
    flavors: Sequence[str] = (),
    signature: Mapping[str, Any] | None = None,
    lineage: Lineage | None = None,
    create_model: bool = False,
) -> Operation:
    """MlflowClient.create_model_version (and `register`): the next number of the model.

    The number is past `last_version` and every existing version file, so it is never given
    twice, even after deletes. With `create_model` a missing model is created first (its
    `model.yaml` and an empty `aliases.yaml`); without it a missing model is NotFound, as in
    MLflow. Re-run on a moved head, it takes the number that is next there.
    """

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        draft = ModelVersion(
            name=names.check_model_name(name), version=1,
            description=names.check_description(description), source=source, run_id=run_id,
            run_link=run_link, artifacts=artifacts, model_type=model_type,
            flavors=tuple(flavors), signature=dict(signature) if signature else None,
            tags=names.check_tags(tags), metrics=names.check_metrics(metrics),
            lineage=lineage or Lineage(),
        )
        writes, mv = _register(snapshot, ctx, draft, create_model=create_model)
        return Change(
            writes=writes,
            op="version-create",
            summary=f"Register {name} version {mv.version}",
            trailers=(("Model", name), ("Version", str(mv.version))),
            result=mv,
        )

    return run


def _register(
    snapshot: Snapshot, ctx: OpContext, draft: ModelVersion, *, create_model: bool
) -> tuple[Writes, ModelVersion]:
    """The files of a new version numbered after the model's last, creating the model when
    asked; and the version as reads will show it."""
    name = draft.name
    model = snapshot.model(name)
    writes: Writes = {}
    if model is None:
        if not create_model:
            raise NotFound(f"registered model {name!r} does not exist")
        model = new_model(snapshot, ctx, name)
    if snapshot.files.blob_id(layout.aliases_file(name)) is None:
        writes.update(aliases_write(name, AliasTable()))
    number = next_number(snapshot, model)
    mv = replace(draft, version=number, created_at=ctx.now, created_by=ctx.actor)
    writes.update(version_write(mv))
    writes.update(model_write(replace(model, last_version=number)))
    return writes, Snapshot.decorate(mv, snapshot.alias_table(name))


def copy_model_version(
    src: ModelVersion, dst_name: str, *, src_registry_commit: str = ""
) -> Operation:
    """MlflowClient.copy_model_version: a new version of `dst_name` (created when missing, as
    in MLflow) with the source's artifacts (no bytes move), description, tags, metrics, run
    and MLmodel facts; `source` is the source's `models:/` URI and `lineage.copied_from`
    names it with the source registry's commit."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        copied = CopiedFrom(uri=src.uri, registry_commit=src_registry_commit)
        draft = replace(
            src, name=names.check_model_name(dst_name), source=src.uri,
            lineage=replace(src.lineage, copied_from=copied), updated_at="", deleted=None,
        )
        writes, mv = _register(snapshot, ctx, draft, create_model=True)
        return Change(
            writes=writes,
            op="version-copy",
            summary=f"Copy {src.name} version {src.version} to {dst_name} version {mv.version}",
            trailers=(("Model", dst_name), ("Version", str(mv.version)), ("Copied-From", src.uri)),
            result=mv,
        )

    return run


def update_model_version(name: str, version: int, *, description: str | None = None) -> Operation:
    """MlflowClient.update_model_version: sets the description (None empties it, as MLflow's
    stores do) and `updated_at`."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        text = names.check_description(description)
        mv = require_version(snapshot, name, version)
        mv = replace(mv, description=text, updated_at=ctx.now)
        return Change(
            writes=version_write(mv),
            op="version-update",
            summary=f"Update description of {name} version {mv.version}",
            trailers=(("Model", name), ("Version", str(mv.version))),
            result=mv,
        )

    return run


def set_model_version_tag(name: str, version: int, key: str | None, value: str) -> Operation:
    """MlflowClient.set_model_version_tag (sets `updated_at`)."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        checked_key, checked_value = names.check_tag(key, value)
        mv = require_version(snapshot, name, version)
        mv = replace(mv, tags={**mv.tags, checked_key: checked_value}, updated_at=ctx.now)
        return Change(
            writes=version_write(mv),
            op="version-tag-set",
            summary=f"Set tag {checked_key} on {name} version {mv.version}",
            trailers=(("Model", name), ("Version", str(mv.version)), ("Tag", checked_key)),
            result=mv,
        )

    return run


def delete_model_version_tag(name: str, version: int, key: str | None) -> Operation:
    """MlflowClient.delete_model_version_tag: the tag must exist (sets `updated_at`)."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        mv = require_version(snapshot, name, version)
        if key is None or key not in mv.tags:
            raise NotFound(
                f"model {name!r} version {mv.version} has no tag {key!r} "
                f"(tags: {listing(mv.tags)})"
            )
        tags = {k: v for k, v in mv.tags.items() if k != key}
        mv = replace(mv, tags=tags, updated_at=ctx.now)
        return Change(
            writes=version_write(mv),
            op="version-tag-delete",
            summary=f"Delete tag {key} from {name} version {mv.version}",
            trailers=(("Model", name), ("Version", str(mv.version)), ("Tag", key)),
            result=mv,
        )

    return run


def delete_model_version(name: str, version: int) -> Operation:
    """MlflowClient.delete_model_version: writes the tombstone (`deleted`, with source and
    run emptied as MLflow does; the number stays taken) and, in the same change, removes the
    aliases that point at the version and its stage."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        mv = require_version(snapshot, name, version)
        tomb = replace(
            mv, source="", run_id="", run_link="", deleted=Deletion(at=ctx.now, by=ctx.actor)
        )
        table = without_version(snapshot.alias_table(name), mv.version)
        writes = version_write(tomb)
        writes.update(only_changed(snapshot, aliases_write(name, table)))
        return Change(
            writes=writes,
            op="version-delete",
            summary=f"Delete {name} version {mv.version}",
            body=_deletion_body(mv),
            trailers=(("Model", name), ("Version", str(mv.version))),
        )

    return run


def _deletion_body(mv: ModelVersion) -> str:
    """What else went with the version, in words for `git log`."""
    gone = [f"alias {a}" for a in mv.aliases]
    if mv.current_stage is not Stage.NONE:
        gone.append(f"stage {mv.current_stage.value}")
    return f"Also removes its {' and '.join(gone)}." if gone else ""
