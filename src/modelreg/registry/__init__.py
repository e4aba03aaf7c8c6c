"""`modelreg.Registry`: MlflowClient's registry methods over a Git-backed registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelreg.registry.reads import ReadMixin
from modelreg.registry.writes import RegisterOptions, WriteMixin


class Registry(ReadMixin, WriteMixin):
    """A registry folder in a Git repository (DESIGN §7).

    Method names, positional parameters and meanings mirror `mlflow.MlflowClient`; results
    are frozen dataclasses. `Registry.at(rev_or_date)` gives a read-only view of the past.
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
