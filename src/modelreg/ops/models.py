"""Operations on registered models: create, update, rename, delete, tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from modelreg import layout, manifest, names
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import AlreadyExists, NotFound
from modelreg.model import AliasTable, RegisteredModel
from modelreg.ops._common import (
    Writes,
    aliases_write,
    listing,
    model_write,
    named,
    new_model,
    only_changed,
    refuse_new_name,
    require_model,
    walk,
)
from modelreg.snapshot import Snapshot


def create_registered_model(
    name: str, *, tags: Mapping[str, str] | None = None, description: str | None = None
) -> Operation:
    """MlflowClient.create_registered_model: `model.yaml` and an empty `aliases.yaml`."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        names.check_model_name(name)
        checked_tags = names.check_tags(tags)
        text = names.check_description(description)
        if snapshot.model(name) is not None:
            raise AlreadyExists(f"registered model {name!r} already exists")
        model = new_model(snapshot, ctx, name, tags=checked_tags, description=text)
        return Change(
            writes={**model_write(model), **aliases_write(name, AliasTable())},
            op="model-create",
            summary=f"Create registered model {name}",
            trailers=(("Model", name),),
            result=model,
        )

    return run


def update_registered_model(name: str, *, description: str = "") -> Operation:
    """MlflowClient.update_registered_model: replaces the description."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        text = names.check_description(description)
        model = replace(require_model(snapshot, name), description=text)
        return Change(
            writes=only_changed(snapshot, model_write(model)),
            op="model-update",
            summary=f"Update description of registered model {name}",
            trailers=(("Model", name),),
            result=model,
        )

    return run


def rename_registered_model(name: str, new_name: str) -> Operation:
    """MlflowClient.rename_registered_model: every file of the model's folder moves to the
    new name's folder, and every manifest in it says the new name. Aliases, stages, tags and
    tombstones move with it. Renaming to the current name changes nothing."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        model = require_model(snapshot, name)
        names.check_model_name(new_name)
        if new_name != name:
            if snapshot.model(new_name) is not None:
                raise AlreadyExists(f"registered model {new_name!r} already exists")
            refuse_new_name(snapshot, new_name, renaming=name)
        renamed = replace(model, name=new_name)
        writes = _moved_files(snapshot, model, new_name) if new_name != name else {}
        return Change(
            writes=writes,
            op="model-rename",
            summary=f"Rename registered model {name} to {new_name}",
            trailers=(("Model", new_name), ("Old-Name", name)),
            result=renamed,
        )

    return run


def _moved_files(snapshot: Snapshot, model: RegisteredModel, new_name: str) -> Writes:
    """Deletions of every old file, then the new folder: manifests re-written under the new
    name, any other file (a README kept beside the manifests) moved as it is."""
    old_dir, new_dir = layout.model_path(model.name), layout.model_path(new_name)
    writes: Writes = {path: None for path in walk(snapshot.files, old_dir)}
    for path in list(writes):
        data = snapshot.files.read(path)
        if data is not None:
            writes[new_dir + path[len(old_dir) :]] = data
    writes.update(model_write(replace(model, name=new_name)))
    writes.update(aliases_write(new_name, snapshot.alias_table(model.name)))
    for number in snapshot.version_numbers(model.name):
        mv = snapshot.raw_version(model.name, number)
        if mv is not None:
            moved = named(mv, new_name)
            writes[layout.version_file(new_name, number)] = manifest.dump_version(moved)
    return writes


def delete_registered_model(name: str) -> Operation:
    """MlflowClient.delete_registered_model: the model's whole folder is removed."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        require_model(snapshot, name)
        files = walk(snapshot.files, layout.model_path(name))
        return Change(
            writes={path: None for path in files},
            op="model-delete",
            summary=f"Delete registered model {name}",
            trailers=(("Model", name),),
        )

    return run


def set_registered_model_tag(name: str, key: str, value: str) -> Operation:
    """MlflowClient.set_registered_model_tag."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        checked_key, checked_value = names.check_tag(key, value)
        model = require_model(snapshot, name)
        model = replace(model, tags={**model.tags, checked_key: checked_value})
        return Change(
            writes=only_changed(snapshot, model_write(model)),
            op="model-tag-set",
            summary=f"Set tag {checked_key} on registered model {name}",
            trailers=(("Model", name), ("Tag", checked_key)),
            result=model,
        )

    return run


def delete_registered_model_tag(name: str, key: str) -> Operation:
    """MlflowClient.delete_registered_model_tag: the tag must exist."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        model = require_model(snapshot, name)
        if key not in model.tags:
            raise NotFound(
                f"registered model {name!r} has no tag {key!r} (tags: {listing(model.tags)})"
            )
        model = replace(model, tags={k: v for k, v in model.tags.items() if k != key})
        return Change(
            writes=model_write(model),
            op="model-tag-delete",
            summary=f"Delete tag {key} from registered model {name}",
            trailers=(("Model", name), ("Tag", key)),
            result=model,
        )

    return run
