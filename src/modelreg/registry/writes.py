"""Writes of `Registry`: MlflowClient's mutating methods and `register`. One commit each.

Each method checks its inputs before anything moves (bad input changes nothing, not even the
store), uploads or hashes artifacts when it has any, then hands one operation to the writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg import names, uris
from modelreg.errors import AlreadyExists, ArtifactError, InvalidParameter, NotFound
from modelreg.model import Artifacts, Lineage, ModelVersion, RegisteredModel
from modelreg.registry.core import RegistryCore

if TYPE_CHECKING:
    from modelreg.store import Store


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterOptions:
    """What `register` records besides the artifacts (one value instead of 12 parameters)."""

    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    run_id: str = ""
    run_link: str = ""
    source: str = ""
    code_commit: str = ""
    data: tuple[str, ...] = ()


class WriteMixin(RegistryCore):
    # -- registered models -----------------------------------------------------------

    def create_registered_model(
        self, name: str, tags: Mapping[str, str] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """MlflowClient.create_registered_model."""
        result: RegisteredModel = self._write(
            _ops().create_registered_model(name, tags=tags, description=description)
        )
        return result

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        """MlflowClient.update_registered_model."""
        result: RegisteredModel = self._write(
            _ops().update_registered_model(name, description=description or "")
        )
        return result

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """MlflowClient.rename_registered_model: versions, tags and aliases move with it."""
        result: RegisteredModel = self._write(_ops().rename_registered_model(name, new_name))
        return result

    def delete_registered_model(self, name: str) -> None:
        """MlflowClient.delete_registered_model: the model's folder is removed."""
        self._write(_ops().delete_registered_model(name))

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """MlflowClient.set_registered_model_tag (values are stored as strings, as MLflow)."""
        self._write(_ops().set_registered_model_tag(name, key, str(value)))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """MlflowClient.delete_registered_model_tag."""
        self._write(_ops().delete_registered_model_tag(name, key))

    # -- aliases and stages -----------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """MlflowClient.set_registered_model_alias: moving an alias is a one-line diff."""
        self._write(_ops().set_registered_model_alias(name, alias, names.check_version(version)))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """MlflowClient.delete_registered_model_alias."""
        self._write(_ops().delete_registered_model_alias(name, alias))

    def transition_model_version_stage(
        self, name: str, version: int | str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """MlflowClient.transition_model_version_stage."""
        result: ModelVersion = self._write(
            _ops().transition_model_version_stage(
                name, names.check_version(version), stage,
                archive_existing_versions=archive_existing_versions,
            )
        )
        return result

    # -- model versions ---------------------------------------------------------------

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        """MlflowClient.update_model_version."""
        result: ModelVersion = self._write(
            _ops().update_model_version(name, names.check_version(version), description=description)
        )
        return result

    def set_model_version_tag(
        self, name: str, version: int | str | None = None, key: str | None = None,
        value: Any = None, stage: str | None = None,
    ) -> None:
        """MlflowClient.set_model_version_tag (`stage` picks the latest version in a stage)."""
        number = self._version_or_stage(name, version, stage)
        self._write(_ops().set_model_version_tag(name, number, key, str(value)))

    def delete_model_version_tag(
        self, name: str, version: int | str | None = None, key: str | None = None,
        stage: str | None = None,
    ) -> None:
        """MlflowClient.delete_model_version_tag."""
        number = self._version_or_stage(name, version, stage)
        self._write(_ops().delete_model_version_tag(name, number, key))

    def delete_model_version(self, name: str, version: int | str) -> None:
        """MlflowClient.delete_model_version: a tombstone; the number is never given again."""
        self._write(_ops().delete_model_version(name, names.check_version(version)))

    def _version_or_stage(self, name: str, version: int | str | None, stage: str | None) -> int:
        if (version is None) == (stage is None):
            raise InvalidParameter("give exactly one of version and stage")
        if version is not None:
            return names.check_version(version)
        return uris.resolve(self.snapshot(), f"models:/{name}/{stage}").version

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """MlflowClient.copy_model_version: a new version of `dst_name` with the same
        artifacts (no bytes move) and `lineage.copied_from` naming the source."""
        src = uris.resolve(self.snapshot(), src_model_uri)
        commit = self.head() or ""
        result: ModelVersion = self._write(
            _ops().copy_model_version(src, dst_name, src_registry_commit=commit)
        )
        return result

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        tags: Mapping[str, str] | None = None, run_link: str | None = None,
        description: str | None = None, await_creation_for: int = 300,
        local_model_path: str | None = None,
    ) -> ModelVersion:
        """MlflowClient.create_model_version: the model must exist. The artifacts at `source`
        are referenced where they are (MLflow's behaviour) and their digests recorded; with
        `local_model_path` the files there are uploaded into the registry's store instead."""
        del await_creation_for  # versions are complete when committed (DESIGN §1)
        self.refuse_read_only()  # before any byte is uploaded
        snap = self.snapshot()
        snap.require_model(names.check_model_name(name))
        options = RegisterOptions(
            tags=names.check_tags(tags), description=names.check_description(description),
            run_id=run_id or "", run_link=run_link or "", source=source,
        )
        _check_uris(options)
        store = self.store(snap.config())
        if local_model_path:
            artifacts = store.upload(Path(local_model_path))
        else:
            artifacts = store.reference(source)
        return self._create_version(name, artifacts, options, store=store, create_model=False)

    def register(
        self, name: str, path: str | Path, *, reference: bool = False,
        options: RegisterOptions | None = None, callback: Any = None,
    ) -> ModelVersion:
        """Register a local file or folder (uploaded into the store) or, with `reference`,
        the files at a URI where they already are. Creates the model on first use."""
        options = options or RegisterOptions()
        _precheck(self, name, options)
        store = self.store()
        if reference:
            artifacts = store.reference(str(path), callback=callback)
            options = _with_source(options, str(path))
        else:
            local = Path(path)
            if not local.exists():
                raise ArtifactError(f"cannot register {str(path)!r}: no such file or folder")
            artifacts = store.upload(local, callback=callback)
            options = _with_source(options, local.resolve().as_uri())
        return self._create_version(name, artifacts, options, store=store, create_model=True)

    def _create_version(
        self, name: str, artifacts: Artifacts, options: RegisterOptions, *, store: Store,
        create_model: bool,
    ) -> ModelVersion:
        info = _read_mlmodel(store, artifacts)
        operation = _ops().create_model_version(
            name, artifacts=artifacts, source=options.source, run_id=options.run_id,
            run_link=options.run_link, description=options.description, tags=options.tags,
            metrics=options.metrics, model_type=info.model_type if info else "custom",
            flavors=info.flavors if info else (), signature=info.signature if info else None,
            lineage=Lineage(code_commit=options.code_commit, data=options.data),
            create_model=create_model,
        )
        result: ModelVersion = self._write(operation)
        return result


def _ops() -> Any:
    """The operations, imported when a write runs: a read-only command never loads them."""
    from modelreg import ops

    return ops


def _with_source(options: RegisterOptions, source: str) -> RegisterOptions:
    from dataclasses import replace

    return options if options.source else replace(options, source=source)


def _precheck(registry: RegistryCore, name: str, options: RegisterOptions) -> None:
    """Everything that can refuse a registration, checked before any byte is uploaded."""
    registry.refuse_read_only()
    _check_uris(options)  # first: no other refusal may echo a secret
    names.check_model_name(name)
    names.check_tags(options.tags)
    names.check_metrics(options.metrics)
    names.check_description(options.description)
    snap = registry.snapshot()
    if snap.model(name) is None:
        other = snap.find_case_insensitive(name)
        if other is not None:
            raise InvalidParameter(
                f"registered model name {name!r} differs only by case from {other!r}"
            )


def _check_uris(options: RegisterOptions) -> None:
    from dataclasses import fields

    from modelreg.registry.guards import refuse_credentials

    # issue #6: every field, before any byte is uploaded
    given = {f.name: getattr(options, f.name) for f in fields(options)}
    for key, value in given.items():
        if isinstance(value, str):
            names.check_text(key, value)
    refuse_credentials(given)


def _read_mlmodel(store: Store, artifacts: Artifacts) -> Any:
    from modelreg.mlmodel import read_mlmodel
    from modelreg.model import ArtifactMode

    if artifacts.mode is ArtifactMode.UNVERIFIED:
        return None
    paths = {f.path for f in store.files(artifacts)}
    if "MLmodel" not in paths:
        return None
    data = store.read_file(artifacts, "MLmodel")
    return read_mlmodel(data) if data is not None else None


__all__ = ["AlreadyExists", "NotFound", "RegisterOptions", "WriteMixin", "uris"]
