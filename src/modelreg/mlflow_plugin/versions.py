"""The store's model-version calls: create, read, edit, stages, aliases, tags, copy, delete."""

from __future__ import annotations

from typing import Any

from modelreg import Registry
from modelreg.mlflow_plugin import compat, entities, errors
from modelreg.mlflow_plugin.core import StoreCore


class VersionsMixin(StoreCore):
    def create_model_version(
        self, name: str, source: str, run_id: str | None = None, tags: Any = None,
        run_link: str | None = None, description: str | None = None,
        local_model_path: str | None = None, model_id: str | None = None,
    ) -> compat.ModelVersion:
        """The next version of `name` (numbers are never reused). The source is resolved
        now (`runs:/`, `models:/`) and its files referenced or copied (see `artifacts`)."""
        from modelreg.mlflow_plugin import artifacts

        compat.validate_model_name(name)
        for tag in tags or []:
            compat.validate_version_tag(tag.key, tag.value)
        request = artifacts.VersionRequest(
            run_id=run_id, tags=entities.tag_dict(tags), run_link=run_link,
            description=description, local_model_path=local_model_path, model_id=model_id)
        with self.calling(name) as reg:
            if reg.snapshot().model(name) is None:  # before any byte of the source is read
                raise errors.model_not_found(name)
            mv = artifacts.create_model_version(
                reg, name, source, request=request, tracking_uri=self.tracking_uri,
                transfer=artifacts.transfer_mode(self.store_uri))
            return entities.model_version(mv)

    def _await_model_version_creation(self, mv: Any, await_creation_for: Any) -> None:
        """A version is READY when its commit lands (DESIGN §1): nothing to wait for."""

    def get_model_version(self, name: str, version: Any) -> compat.ModelVersion:
        compat.validate_model_name(name)
        number = compat.validate_version(version)
        with self.calling(name, number, read=True) as reg:
            return entities.model_version(reg.get_model_version(name, number))

    def get_model_version_download_uri(self, name: str, version: Any) -> str:
        """A `modelreg-artifacts://` URI: MLflow downloads through modelreg's artifact
        repository, which verifies every file's sha256."""
        from modelreg.mlflow_plugin import artifacts

        compat.validate_model_name(name)
        number = compat.validate_version(version)
        with self.calling(name, number, read=True) as reg:
            reg.get_model_version(name, number)
            return artifacts.download_uri(self.download_registry_uri(reg), name, number)

    def download_registry_uri(self, reg: Registry) -> str:
        """The registry URI a download URI carries: this store's, with `?at=` pinned to the
        commit it was resolved to (a download must read what this store reads)."""
        if not self.uri.at:
            return self.store_uri
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        parts = urlsplit(self.store_uri)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "at"]
        query.append(("at", reg.head() or ""))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def update_model_version(
        self, name: str, version: Any, description: str | None = None
    ) -> compat.ModelVersion:
        compat.validate_model_name(name)
        number = compat.validate_version(version)
        with self.calling(name, number) as reg:
            return entities.model_version(reg.update_model_version(name, number, description))

    def transition_model_version_stage(
        self, name: str, version: Any, stage: str, archive_existing_versions: bool = False
    ) -> compat.ModelVersion:
        """As MLflow: archiving the others is refused unless the stage is an active one."""
        target = compat.canonical_stage(stage)
        if archive_existing_versions and target not in compat.ACTIVE_STAGES:
            raise compat.error(  # the SQL store's words and code (INTERNAL_ERROR)
                "Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage. Valid stages are {list(compat.ACTIVE_STAGES)}")
        compat.validate_model_name(name)
        number = compat.validate_version(version)
        with self.calling(name, number) as reg:
            mv = reg.transition_model_version_stage(
                name, number, target, archive_existing_versions=bool(archive_existing_versions))
            return entities.model_version(mv)

    def delete_model_version(self, name: str, version: Any) -> None:
        """A tombstone: the number is never given again; aliases to it are removed."""
        compat.validate_model_name(name)
        number = compat.validate_version(version)
        with self.calling(name, number) as reg:
            reg.delete_model_version(name, number)

    def set_model_version_tag(self, name: str, version: Any, tag: Any) -> None:
        compat.validate_model_name(name)
        number = compat.validate_version(version)
        compat.validate_version_tag(tag.key, tag.value)
        with self.calling(name, number) as reg:
            reg.set_model_version_tag(name, number, tag.key, tag.value)

    def delete_model_version_tag(self, name: str, version: Any, key: str) -> None:
        """As MLflow's SQL store: deleting a tag the version does not have changes nothing."""
        compat.validate_model_name(name)
        number = compat.validate_version(version)
        compat.validate_tag_key(key)
        with self.calling(name, number) as reg:
            if key in reg.get_model_version(name, number).tags:
                reg.delete_model_version_tag(name, number, key)

    def set_registered_model_alias(self, name: str, alias: str, version: Any) -> None:
        compat.validate_model_name(name)
        compat.validate_alias(alias, reserved=True)
        number = compat.validate_version(version)
        with self.calling(name, number) as reg:
            reg.set_registered_model_alias(name, alias, number)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """As MLflow's SQL store: deleting an alias the model does not have changes nothing."""
        compat.validate_model_name(name)
        compat.validate_alias(alias, reserved=False)
        with self.calling(name) as reg:
            if alias in reg.snapshot().require_model(name).aliases:
                reg.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> compat.ModelVersion:
        """`latest` is the highest live version, as in MLflow."""
        compat.validate_model_name(name)
        compat.validate_alias(alias, reserved=False)
        with self.calling(name, read=True) as reg:
            model = reg.snapshot().require_model(name)
            if alias.lower() == "latest":
                latest = reg.get_latest_versions(name)
                if not latest:
                    raise errors.latest_not_found(name)
                return entities.model_version(max(latest, key=lambda mv: mv.version))
            if alias not in model.aliases:
                raise errors.alias_not_found(alias)
            return entities.model_version(reg.get_model_version(name, model.aliases[alias]))

    def copy_model_version(self, src_mv: Any, dst_name: str) -> compat.ModelVersion:
        """A new version of `dst_name` (created when missing) with the source's files (no
        bytes move), description and tags; its source is `models:/<src>/<version>` and its
        lineage names the source and the registry commit it was copied at."""
        compat.validate_model_name(dst_name)
        number = compat.validate_version(src_mv.version)
        with self.calling(src_mv.name, number) as reg:
            mv = reg.copy_model_version(f"models:/{src_mv.name}/{number}", dst_name)
            return entities.model_version(mv)
