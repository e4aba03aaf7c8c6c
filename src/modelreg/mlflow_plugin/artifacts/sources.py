"""Resolving an MLflow source when a version is created, then referencing or copying its files.

MLflow's SQL store turns `models:/<model id>` into the logged model's artifact location and
`models:/<name>/<version>` into that version's download URI; MLflow's `register_model` turns
`runs:/<run>/<path>` into the run's artifacts or the run's logged model. This does the same
with MLflow's public client, so the manifest records where the files are (and their sha256s),
not a URI only a tracking server can answer later.
"""

from __future__ import annotations

import enum
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import url2pathname

from mlflow.exceptions import MlflowException

from modelreg.errors import InvalidParameter, ModelregError

if TYPE_CHECKING:
    from modelreg.model import ModelVersion
    from modelreg.registry import Registry

ARTIFACTS_ENV = "MODELREG_MLFLOW_ARTIFACTS"


class Transfer(str, enum.Enum):
    """What `create_model_version` does with a source's files."""

    REFERENCE = "reference"  # record their sha256s where they are (MLflow's default)
    COPY = "copy"  # upload them into the modelreg store


def transfer_mode(registry_uri: str | None = None) -> Transfer:
    """`?artifacts=` in the registry URI, else $MODELREG_MLFLOW_ARTIFACTS, else reference."""
    query = parse_qs(urlsplit(registry_uri or "").query).get("artifacts", [""])[0]
    value = (query or os.environ.get(ARTIFACTS_ENV) or Transfer.REFERENCE.value).lower()
    try:
        return Transfer(value)
    except ValueError:
        raise InvalidParameter(
            f"artifacts={value!r} is not an option (expected 'reference' or 'copy', in the "
            f"registry URI's ?artifacts= or ${ARTIFACTS_ENV})"
        ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """A source as given (`source`, what the manifest records), where its files are
    (`location`, a URI fsspec or MLflow reads) and the run they came from, when known."""

    source: str
    location: str
    run_id: str = ""


def resolve_source(
    source: str, *, run_id: str | None = None, tracking_uri: str | None = None,
    registry: Registry | None = None,
) -> Resolved:
    """Where the files of `source` are. `runs:/` and `models:/<model id>` ask the tracking
    server at `tracking_uri` (MLflow's default when None); `models:/<name>/...` asks
    `registry`; any other source is its own location."""
    scheme = urlsplit(source).scheme
    if scheme == "runs":
        return _resolve_run(source, run_id or "", _client(tracking_uri))
    if scheme != "models":
        return Resolved(source=source, location=source, run_id=run_id or "")
    rest = source.split(":", 1)[1].strip("/")
    if rest and "/" not in rest and "@" not in rest:  # models:/<model id>, as MLflow parses it
        model = logged_model(source, rest, tracking_uri)
        return Resolved(source=source, location=str(model.artifact_location),
                        run_id=run_id or str(model.source_run_id or ""))
    if registry is None:
        raise InvalidParameter(f"source {source!r} names a registered model: give the registry")
    try:
        location = registry.artifact_location(registry.resolve(source))
    except ModelregError as exc:
        raise _unfetchable(source, str(exc), "INVALID_PARAMETER_VALUE") from exc
    return Resolved(source=source, location=location or source, run_id=run_id or "")


def logged_model(source: str, model_id: str, tracking_uri: str | None) -> Any:
    """MLflow's LoggedModel `model_id`, or the SQL store's error for `source`."""
    try:
        return _client(tracking_uri).get_logged_model(model_id)
    except MlflowException as exc:
        raise _unfetchable(source, exc.message, exc.error_code) from exc


def _unfetchable(source: str, why: str, code: str) -> MlflowException:
    from modelreg.mlflow_plugin import compat

    # The SQL store's words, missing space included.
    return compat.error(
        f"Unable to fetch model from model URI source artifact location '{source}'.Error: {why}",
        code,
    )


def _client(tracking_uri: str | None) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def _resolve_run(source: str, run_id: str, client: Any) -> Resolved:
    """`runs:/<run>/<path>`: the run's artifacts there, else the run's logged model named by
    the path's first segment (MLflow 3 keeps models outside the run's artifacts). A run this
    tracking server does not know leaves the source as it is (an unverified reference)."""
    run_part, _, path = source.split(":", 1)[1].lstrip("/").partition("/")
    path = path.strip("/")
    try:
        run = client.get_run(run_part)
    except MlflowException:
        return Resolved(source=source, location=source, run_id=run_id)
    base = str(run.info.artifact_uri).rstrip("/")
    location = f"{base}/{path}" if path else base
    if not path or _has_files(location, client.tracking_uri):
        return Resolved(source=source, location=location, run_id=run_id)
    first, _, inner = path.partition("/")
    found = [m for m in _logged_models_of(client, run) if m.name == first]
    if not found:
        return Resolved(source=source, location=location, run_id=run_id)
    latest = max(found, key=lambda m: (m.creation_timestamp or 0, m.model_id))
    root = str(latest.artifact_location).rstrip("/")
    return Resolved(source=source, location=f"{root}/{inner}" if inner else root, run_id=run_id)


def _has_files(location: str, tracking_uri: str | None) -> bool:
    import mlflow.artifacts

    try:
        listed = mlflow.artifacts.list_artifacts(artifact_uri=location, tracking_uri=tracking_uri)
    except Exception:  # each backend raises its own error for a path that is not there
        return False
    return bool(listed)


def _logged_models_of(client: Any, run: Any) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run.info.run_id}'", page_token=token,
        )
        yield from page
        token = page.token
        if not token:
            return


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRequest:
    """MLflow's `create_model_version` arguments besides name and source (tags as a map)."""

    run_id: str | None = None
    tags: Mapping[str, str] | None = None
    run_link: str | None = None
    description: str | None = None
    local_model_path: str | None = None
    model_id: str | None = None


def create_model_version(
    registry: Registry, name: str, source: str, *, request: VersionRequest | None = None,
    tracking_uri: str | None = None, transfer: Transfer = Transfer.REFERENCE,
) -> ModelVersion:
    """MLflow's `create_model_version` on a modelreg registry: the model must exist; the
    source is resolved now; its files are referenced where they are or copied into the store
    (`transfer`). A copy is uploaded from `local_model_path` when MLflow gives one (`log_model`
    passes the folder it saved the model in); a reference ignores it, as MLflow's SQL store
    does. The manifest records `source` as given, as MLflow does."""
    from modelreg.registry import RegisterOptions

    request = request or VersionRequest()
    registry.get_registered_model(name)  # as in MLflow, the registered model must exist
    run_id = request.run_id
    if not run_id and request.model_id:
        run_id = str(logged_model(source, request.model_id, tracking_uri).source_run_id or "")
    resolved = resolve_source(source, run_id=run_id, tracking_uri=tracking_uri, registry=registry)
    options = RegisterOptions(
        description=request.description or "", tags=dict(request.tags or {}),
        run_id=resolved.run_id, run_link=request.run_link or "", source=source,
    )
    if transfer is Transfer.REFERENCE:
        return registry.register(name, resolved.location, reference=True, options=options)
    if request.local_model_path:  # the files `log_model` just uploaded: no download needed
        return registry.register(name, request.local_model_path, options=options)
    with fetched(resolved.location, tracking_uri) as local:
        return registry.register(name, local, options=options)


@contextmanager
def fetched(location: str, tracking_uri: str | None = None) -> Iterator[Path]:
    """The files at `location` on this machine: where they are when local, else downloaded
    by MLflow's artifact repository for that URI into a temporary folder."""
    parts = urlsplit(location)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        yield Path(url2pathname(parts.path))
        return
    if not parts.scheme and Path(location).exists():
        yield Path(location)
        return
    import mlflow.artifacts

    with tempfile.TemporaryDirectory(prefix="modelreg-mlflow-") as tmp:
        yield Path(mlflow.artifacts.download_artifacts(
            artifact_uri=location, dst_path=tmp, tracking_uri=tracking_uri))
