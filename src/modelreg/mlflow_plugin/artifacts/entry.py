"""The entry point MLflow loads for the `modelreg-artifacts` scheme (`mlflow.artifact_repository`).

MLflow loads artifact-repository entry points while `import mlflow` is still running (at the
end of its artifact repository registry). When modelreg's plugin is what imports MLflow first,
the plugin's modules are half-imported at that moment, so the entry point is this factory,
which imports nothing at module level: the repository class is imported when MLflow first
opens a `modelreg-artifacts://` URI. (MLflow registers factories the same way for `dbfs`.)
"""

from __future__ import annotations

from typing import Any


def repository(
    artifact_uri: str, tracking_uri: str | None = None, registry_uri: str | None = None
) -> Any:
    """A `ModelregArtifactRepository` for `artifact_uri`."""
    from modelreg.mlflow_plugin.artifacts.repository import ModelregArtifactRepository

    return ModelregArtifactRepository(artifact_uri, tracking_uri, registry_uri)
