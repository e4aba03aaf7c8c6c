"""MLflow loads modelreg versions through a modelreg artifact repository, and MLflow sources are
resolved when a version is created (issue #4).

Download URIs, agreed with the registry store (`ModelregStore.get_model_version_download_uri`
returns `download_uri(registry_uri, name, version)`):

    modelreg-artifacts://<registry URI, percent-encoded whole>/<name, percent-encoded>/<version>

e.g. `modelreg-artifacts://modelreg%3A%2F%2F%2Fsrv%2Fregistry/fraud/3`. The registry URI inside
is the store's own, made absolute (`modelreg:///srv/registry`,
`modelreg:///srv/ml.git?path=reg&ref=main`), so any process that can read that registry opens
the URI, whatever its own registry URI. MLflow appends artifact paths to it (`.../3/MLmodel`)
or splits the last segment off as the path (`.../fraud` + `3`): both name the same files.
`ModelregArtifactRepository` (entry point group `mlflow.artifact_repository`, scheme
`modelreg-artifacts`) reads the version's manifest and downloads through `modelreg.store`, so
every file's sha256 is verified and a changed byte fails inside MLflow. Artifacts recorded as
unverified (nothing could be read at the source when the version was created, e.g. a
`mlflow-artifacts:/...` location) are fetched by MLflow's own repository for their URI: there
is no digest to check (copy them, below, to have one).

Sources (`create_model_version`): `models:/<model id>` becomes the logged model's artifact
location (and its run, when none is given); `runs:/<run>/<path>` the run's artifacts at
`<path>` or, as MLflow 3 logs models, the artifacts of that run's logged model named by the
path; `models:/<name>/<version|stage|latest>` and `models:/<name>@<alias>` the files of that
version of this registry. The files are then referenced where they are (MLflow's default,
their sha256s recorded) or copied into the modelreg store. The option: `artifacts=copy` in the
registry URI's query (`modelreg:///srv/registry?artifacts=copy`), else
`MODELREG_MLFLOW_ARTIFACTS=copy` in the environment; `reference` is the default.

The entry point is `artifacts.entry:repository`, a factory that imports nothing at module
level: MLflow loads artifact-repository entry points while `import mlflow` is still running,
and the plugin's own modules may be the ones importing MLflow at that moment. Only MLflow's
public client, entities, `get_artifact_repository` and repository base class are used here.
"""

from __future__ import annotations

from modelreg.mlflow_plugin.artifacts.repository import ModelregArtifactRepository
from modelreg.mlflow_plugin.artifacts.sources import (
    ARTIFACTS_ENV,
    Resolved,
    Transfer,
    VersionRequest,
    create_model_version,
    resolve_source,
    transfer_mode,
)
from modelreg.mlflow_plugin.artifacts.uri import (
    SCHEME,
    Target,
    absolute,
    download_uri,
    parse_download_uri,
)

__all__ = [
    "ARTIFACTS_ENV",
    "SCHEME",
    "ModelregArtifactRepository",
    "Resolved",
    "Target",
    "Transfer",
    "VersionRequest",
    "absolute",
    "create_model_version",
    "download_uri",
    "parse_download_uri",
    "resolve_source",
    "transfer_mode",
]
