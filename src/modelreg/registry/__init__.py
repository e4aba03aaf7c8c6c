"""`modelreg.Registry`: MlflowClient's registry methods over a Git-backed registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelreg.registry.reads import ReadMixin
from modelreg.registry.upkeep import UpkeepMixin
from modelreg.registry.writes import RegisterOptions, WriteMixin


class Registry(ReadMixin, WriteMixin, UpkeepMixin):
    """A registry folder in a Git repository (DESIGN §7).

    Method names, positional parameters and meanings mirror `mlflow.MlflowClient`; results
    are frozen dataclasses. `Registry.at(rev_or_date)` gives a read-only view of the past.
    A remote URI (`modelreg+https://host/org/repo.git?ref=main&path=ml/registry`) is read,
    never written, through a cached clone that reads fetch again when their last fetch is
    older than `max_age` seconds (default `?max_age=`, `$MODELREG_MAX_AGE`, else 60) as
    `clock` tells the time (`time.time`; tests inject one).
    """

    @classmethod
    def init(
        cls, path: str | os.PathLike[str] = ".", *, store: str = "artifacts", branch: str = "",
        **kwargs: Any,
    ) -> Registry:
        """Make `path` (a folder of a Git work tree) a registry, as one commit."""
        from modelreg.registry.init import init_registry

        folder = init_registry(
            Path(path), store=store, branch=branch,
            storage_options=kwargs.get("storage_options"),
        )
        return cls(folder, **kwargs)


__all__ = ["RegisterOptions", "Registry"]
