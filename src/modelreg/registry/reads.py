"""Reads of `Registry`: MlflowClient's getters and searches, plus resolve and download."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg import names, uris
from modelreg.errors import NotFound
from modelreg.model import ModelVersion, RegisteredModel, Stage
from modelreg.registry.core import RegistryCore
from modelreg.snapshot import Snapshot

if TYPE_CHECKING:
    from modelreg.search import Page, Request


class ReadMixin(RegistryCore):
    def get_registered_model(self, name: str) -> RegisteredModel:
        """MlflowClient.get_registered_model; `latest_versions` holds the latest per stage."""
        snap = self.snapshot()
        model = snap.require_model(names.check_model_name(name))
        from dataclasses import replace

        return replace(model, latest_versions=tuple(_latest_per_stage(snap, name)))

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """MlflowClient.get_model_version. Deleted versions are not found, as in MLflow."""
        ref = uris.ModelRef(name=names.check_model_name(name), version=names.check_version(version))
        return uris.resolve(self.snapshot(), ref)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """MlflowClient.get_model_version_by_alias."""
        ref = uris.ModelRef(name=names.check_model_name(name), alias=names.check_alias(alias))
        return uris.resolve(self.snapshot(), ref)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """MlflowClient.get_latest_versions: the latest version in each stage asked for
        (every stage, `None` included, when `stages` is empty)."""
        snap = self.snapshot()
        snap.require_model(names.check_model_name(name))
        wanted = [Stage.parse(s) for s in stages] if stages else None
        latest = _latest_per_stage(snap, name)
        return [mv for mv in latest if wanted is None or mv.current_stage in wanted]

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """MlflowClient.get_model_version_download_uri: where the version's files are."""
        location = self.artifact_location(self.get_model_version(name, version))
        if location is None:
            raise NotFound(f"model {name!r} version {version} has no artifacts")
        return location

    def resolve(self, uri: str) -> ModelVersion:
        """The version a `models:/` URI names (`/3`, `@champion`, `/Production`, `/latest`)."""
        return uris.resolve(self.snapshot(), uri)

    def download(self, uri: str, dest: str | Path, *, callback: Any = None) -> Path:
        """Fetch a version's files into `dest` (created), verifying every sha256."""
        mv = self.resolve(uri)
        if mv.artifacts is None:
            raise NotFound(f"{mv.uri} has no artifacts")
        return self.store().download(mv.artifacts, Path(dest), callback=callback)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        """MlflowClient.search_model_versions: MLflow's filter grammar, order and paging."""
        from modelreg import search

        request = search.prepare(search.VERSIONS, filter_string, order_by=order_by,
                                 max_results=max_results, page_token=page_token)
        return self.versions_page(request)

    def versions_page(self, request: Request) -> Page[ModelVersion]:
        """The page of a version search checked by `search.prepare` (the MLflow plugin's are
        prepared with MLflow's defaults and its prompts split)."""
        if self._tx is not None:  # pending writes: no commit for the index to read
            return request.run(self.all_versions())
        from modelreg.index import Index

        # The index filters, orders and pages in SQL, building only the candidates (DESIGN §6).
        with Index.open(self.repo, self.prefix) as index:
            return request.page(index.search_versions(self.head(), request))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        """MlflowClient.search_registered_models; as in MLflow, each model comes with its
        latest version per stage (read for the models of this page only)."""
        from modelreg import search

        request = search.prepare(search.MODELS, filter_string, order_by=order_by,
                                 max_results=max_results, page_token=page_token)
        return self.models_page(request)

    def models_page(self, request: Request) -> Page[RegisteredModel]:
        """The page of a model search checked by `search.prepare`, latest versions filled."""
        from modelreg import search

        if self._tx is None:  # the index fills latest versions from its own rows
            from modelreg.index import Index

            with Index.open(self.repo, self.prefix) as index:
                return request.page(index.search_models(self.head(), request))
        from dataclasses import replace

        page = request.run(self.all_models())
        snap = self.snapshot()
        filled = [replace(m, latest_versions=tuple(_latest_per_stage(snap, m.name))) for m in page]
        return search.Page(filled, page.token)

    def all_models(self) -> list[RegisteredModel]:
        if self._tx is None:  # a commit: the index answers (DESIGN §6)
            from modelreg.index import Index

            with Index.open(self.repo, self.prefix) as index:
                return index.models(self.head())
        snap = self.snapshot()
        return [snap.require_model(n) for n in snap.model_names()]

    def all_versions(self) -> Iterator[ModelVersion]:
        if self._tx is None:  # a commit: the index answers (DESIGN §6)
            from modelreg.index import Index

            with Index.open(self.repo, self.prefix) as index:
                versions = index.versions(self.head())
            yield from versions
            return
        snap = self.snapshot()
        for name in snap.model_names():
            yield from snap.versions(name)


def _latest_per_stage(snap: Snapshot, name: str) -> Iterator[ModelVersion]:
    for stage in Stage:
        mv = snap.latest_in_stage(name, stage)
        if mv is not None:
            yield mv
