"""`ModelregStore`: MLflow's model-registry store over a modelreg registry (issue #4).

MLflow finds it through the entry point `modelreg` of `mlflow.model_registry_store`, so
`MlflowClient(registry_uri="modelreg:///srv/registry")`, `mlflow.set_registry_uri(...)`,
`MLFLOW_REGISTRY_URI` and `mlflow server --registry-store-uri modelreg:...` all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelreg import Registry
from modelreg.errors import AlreadyExists
from modelreg.mlflow_plugin import compat, entities, errors
from modelreg.mlflow_plugin.searching import SearchMixin
from modelreg.mlflow_plugin.versions import VersionsMixin


class ModelregStore(VersionsMixin, SearchMixin):
    """MLflow's `AbstractStore` over `modelreg.Registry`: one registry, two front doors.

    Every method keeps MLflow's signature and meaning and answers from the committed state
    (the registry branch's tip, re-read on every call). Every write is one commit, judged by
    the registry's policy (a refusal is PERMISSION_DENIED). Input is checked by MLflow's own
    validators first, and a missing model or version is MLflow's SQL store's error, word for
    word. Where modelreg differs on purpose: a model name that differs from another only by
    case is refused (INVALID_PARAMETER_VALUE); `last_updated_timestamp` of a model is its
    creation time and of a version its last description or tag edit (aliases and stages live
    in `aliases.yaml`, DESIGN §1); page tokens are modelreg's.

    **Where writes land.** In a checkout (`modelreg:///srv/ml/registry`): a commit on the
    checked-out branch, as `modelreg` does by default. In a bare repository
    (`modelreg:///srv/git/ml.git?path=registry&ref=main`), the service mode of DESIGN §4:
    when the repository has the remote (`origin`, or `?remote=NAME`), it is a clone of the
    shared registry, so every write is pushed to the registry branch there (fetch, apply on
    the tip, push; re-applied with the next free version number when the branch moved) and
    the clone's branch follows; a write fetches first (what it checks is what it lands on),
    and a read fetches when the last fetch is older than `?refresh=` seconds (default 5), so
    what others merged shows up without a write here (an unreachable remote leaves reads
    answering from the clone). When it has no such
    remote, it is the origin itself (people push to it): writes commit directly on its
    branch, under the writer's lock, so any number of `mlflow server` workers on the machine
    never share a version number. `?push=true|false` overrides the choice. Writes are
    authored as `$MODELREG_ACTOR` or Git's identity; under `mlflow server` with basic auth,
    the authenticated user is the actor (`created_by`, policy `allow_direct`).

    `?at=REV` reads the registry as of a revision or a date and refuses writes.
    """

    # -- registered models --------------------------------------------------------------

    def create_registered_model(
        self, name: str, tags: Any = None, description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> compat.RegisteredModel:
        compat.validate_model_name(name)
        wanted = _checked_model_tags(tags)
        with self.calling(name) as reg:
            if reg.snapshot().model(name) is not None:
                raise self._taken(reg, name, wanted)
            try:
                created = reg.create_registered_model(name, tags=wanted, description=description)
            except AlreadyExists:
                raise self._taken(reg, name, wanted) from None
            return entities.registered_model(created, latest=())

    def _taken(self, reg: Registry, name: str, tags: Mapping[str, str]) -> compat.MlflowException:
        existing = reg.snapshot().model(name)
        return compat.already_exists(
            name, existing_is_prompt=existing is not None and entities.is_prompt(existing.tags),
            new_is_prompt=entities.is_prompt(tags))

    def update_registered_model(
        self, name: str, description: str | None, deployment_job_id: str | None = None
    ) -> compat.RegisteredModel:
        compat.validate_model_name(name)
        with self.calling(name) as reg:
            reg.update_registered_model(name, description)
            return self.model_entity(reg, name)

    def rename_registered_model(self, name: str, new_name: str) -> compat.RegisteredModel:
        compat.validate_new_name(new_name)
        compat.validate_model_name(name)
        with self.calling(name) as reg:
            if new_name != name and reg.snapshot().model(new_name) is not None:
                raise compat.error(f"Registered Model (name={new_name}) already exists.",
                                   "RESOURCE_ALREADY_EXISTS")
            reg.rename_registered_model(name, new_name)
            return self.model_entity(reg, new_name)

    def delete_registered_model(self, name: str) -> None:
        compat.validate_model_name(name)
        with self.calling(name) as reg:
            reg.delete_registered_model(name)

    def get_registered_model(self, name: str) -> compat.RegisteredModel:
        compat.validate_model_name(name)
        with self.calling(name, read=True) as reg:
            return self.model_entity(reg, name)

    def get_latest_versions(
        self, name: str, stages: list[str] | None = None
    ) -> list[compat.ModelVersion]:
        compat.validate_model_name(name)
        wanted = [compat.canonical_stage(s) for s in stages or []]
        with self.calling(name, read=True) as reg:
            found = reg.get_latest_versions(name, wanted or None)
            return [entities.model_version(mv) for mv in found]

    def set_registered_model_tag(self, name: str, tag: Any) -> None:
        compat.validate_model_name(name)
        compat.validate_model_tag(tag.key, tag.value)
        with self.calling(name) as reg:
            reg.set_registered_model_tag(name, tag.key, tag.value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """As MLflow's SQL store: deleting a tag the model does not have changes nothing."""
        compat.validate_model_name(name)
        compat.validate_tag_key(key)
        with self.calling(name) as reg:
            if key in reg.snapshot().require_model(name).tags:
                reg.delete_registered_model_tag(name, key)

    # -- webhooks: none in a Git registry -----------------------------------------------

    def list_webhooks(self, max_results: int | None = None,
                      page_token: str | None = None) -> compat.PagedList[Any]:
        """No webhooks (MLflow's server asks on every registry event): an empty page."""
        return compat.PagedList([], None)

    def list_webhooks_by_event(self, event: Any, max_results: int | None = None,
                               page_token: str | None = None) -> compat.PagedList[Any]:
        return compat.PagedList([], None)

    def create_webhook(self, *args: Any, **kwargs: Any) -> Any:
        raise errors.unsupported("webhooks (a Git registry notifies through its forge's "
                                 "webhooks and `modelreg diff --json`)")

    get_webhook = update_webhook = delete_webhook = test_webhook = create_webhook


def _checked_model_tags(tags: Any) -> dict[str, str]:
    for tag in tags or []:
        if not isinstance(tags, Mapping):
            compat.validate_model_tag(tag.key, tag.value)
    return entities.tag_dict(tags)
