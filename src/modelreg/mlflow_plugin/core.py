"""The part of the store every call goes through: the registry it was made for, the lock,
the actor, fresh reads of a pushing store, and MLflow's errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from modelreg import Registry
from modelreg.errors import ModelregError
from modelreg.mlflow_plugin import compat, entities, errors, uri


class StoreCore(compat.AbstractStore):
    """The registry a store was made for and the way each call runs (see `ModelregStore`)."""

    def __init__(self, store_uri: str | None = None, tracking_uri: str | None = None) -> None:
        super().__init__(store_uri, tracking_uri)  # type: ignore[no-untyped-call]
        self.store_uri = store_uri or ""
        self.tracking_uri = compat.server_tracking_uri() or tracking_uri
        self._lock = threading.RLock()
        self._actors: dict[str, Registry] = {}
        self._fetched = 0.0
        self._target = ""
        try:
            self.uri = uri.parse(self.store_uri)
            self._registry = self._open()
        except ModelregError as exc:
            raise errors.translate(exc) from exc

    def _open(self) -> Registry:
        spec = self.uri
        base = Registry(spec.registry, remote=spec.remote)
        self.pushes = spec.push if spec.push is not None else _has_remote(base, spec.remote)
        if spec.at:
            return base.at(spec.at)  # type: ignore[no-any-return]
        return Registry(spec.registry, push=self.pushes, remote=spec.remote) if self.pushes \
            else base

    # -- pickling: MLflow may hand a store to another process -------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {"store_uri": self.store_uri, "tracking_uri": self.tracking_uri}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["store_uri"], state["tracking_uri"])  # type: ignore[misc]

    # -- one call: the lock, the actor, fresh reads, MLflow's errors --------------------

    @property
    def registry(self) -> Registry:
        """The registry this call uses: acting as the server request's user, if any."""
        user = compat.request_user()
        if user is None or self.uri.at:
            return self._registry
        if user not in self._actors:
            self._actors[user] = self._registry.as_actor(user)
        return self._actors[user]

    @contextmanager
    def calling(
        self, name: str | None = None, version: object = None, *, read: bool = False
    ) -> Iterator[Registry]:
        """Run one store call: serialised in this process (a Registry keeps one `git
        cat-file` process), on a fresh view of a pushing store's remote (a read when the last
        fetch is older than `?refresh=`, a write always: what it checks first must be what
        its push lands on), with modelreg's errors as MLflow's (a NotFound is the SQL store's
        words for the model or version named)."""
        if not read and self.uri.at:
            raise errors.read_only(self._registry.head() or self.uri.at)
        if name is not None and isinstance(version, int) and version < 1:
            raise errors.version_not_found(name, version)  # as the SQL store: no such row
        with self._lock:
            try:
                self._refresh(due_only=read)
                yield self.registry
            except ModelregError as exc:
                raise errors.translate(exc, _not_found(name, version)) from exc

    def _refresh(self, *, due_only: bool) -> None:
        if not self.pushes or self.uri.at:
            return
        if due_only and time.monotonic() - self._fetched < self.uri.refresh:
            return
        from modelreg.landing import local, pushing

        reg = self._registry
        try:
            if not self._target:  # the remote's default branch is one `ls-remote` away
                self._target = pushing.target_branch(reg.repo, reg.remote, reg.config.branch)
            target = self._target
            with local.locked(reg.repo):
                tip = pushing.fetch_tip(reg.repo, reg.remote, target)
                local.bring_along(reg.repo, target, tip, remote=reg.remote)
        except ModelregError:
            pass  # the remote is out of reach: answer from what this clone has
        self._fetched = time.monotonic()

    def model_entity(self, reg: Registry, name: str) -> compat.RegisteredModel:
        return entities.registered_model(reg.get_registered_model(name))


def _has_remote(reg: Registry, remote: str) -> bool:
    """A bare repository with the remote is a clone of the shared registry (writes push)."""
    if not reg.location.bare:
        return False
    from modelreg.errors import GitError
    from modelreg.gitrepo import remote_url

    try:
        remote_url(reg.repo, remote)
    except GitError:
        return False
    return True


def _not_found(name: str | None, version: object) -> Callable[[], compat.MlflowException | None]:
    """The SQL store's words: a call naming a version says the version is not found (even
    when the model is missing, as its query is on versions), else the model."""

    def message() -> compat.MlflowException | None:
        if name is None:
            return None
        if version is not None:
            return errors.version_not_found(name, version)
        return errors.model_not_found(name)

    return message
