"""MLflow's model workflows over a modelreg registry (issue #4), as MLflow's registry
documentation writes them, with only the registry URI changed: a real scikit-learn model
logged into a real tracking store in a temporary folder, registered from its run, loaded
through `models:/` URIs and served by `mlflow models serve`; every download verified, so a
changed byte fails inside MLflow.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import init_registry
from mlflow_support import MLFLOW, commits, registry_uri, tracking_uri, validate
from modelreg import Registry
from modelreg.model import ArtifactMode

pytestmark = [
    *MLFLOW,
    # Importing MLflow's pyfunc warns about MLflow's own type hints (mlflow/types/responses.py).
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

BIN = Path(sys.executable).parent


@dataclass
class World:
    """A tracking store, a registry MLflow is pointed at, and a fitted model."""

    repo: Path
    folder: Path  # the registry folder
    uri: str  # the registry URI MLflow is given
    tracking: str
    model: Any  # the fitted scikit-learn estimator
    inputs: Any  # rows to predict

    @property
    def registry(self) -> Registry:
        return Registry(self.folder)

    def expected(self) -> list[Any]:
        return list(self.model.predict(self.inputs))

    def log(self, **kwargs: Any) -> tuple[Any, Any]:
        """Log the model in a new run (MLflow's `log_model`); the run and the model info."""
        import mlflow
        import mlflow.sklearn

        with mlflow.start_run() as run:
            info = mlflow.sklearn.log_model(self.model, name="model", pip_requirements=[],
                                            **kwargs)
        return run, info


def _world(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch, **query: str) -> World:
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    monkeypatch.chdir(tmp_path)  # MLflow's default artifact root, ./mlruns, lands here
    folder = init_registry(repo).location.path
    uri = registry_uri(folder, **query)
    tracking = tracking_uri(tmp_path / "tracking")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(uri)
    inputs = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [3.0, 0.0], [4.0, 3.0]])
    model = LogisticRegression().fit(inputs, np.array([0, 0, 1, 0, 1]))
    return World(repo=repo, folder=folder, uri=uri, tracking=tracking, model=model,
                 inputs=inputs)


@pytest.fixture
def world(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield _world(tmp_path, repo, monkeypatch)
    _forget_uris()


@pytest.fixture
def copying(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A registry whose URI asks for copies of the sources' files in the modelreg store."""
    yield _world(tmp_path, repo, monkeypatch, artifacts="copy")
    _forget_uris()


def _forget_uris() -> None:
    import mlflow

    mlflow.set_registry_uri(None)  # type: ignore[arg-type]  # None: back to the environment
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


def predictions(uri: str, inputs: Any) -> list[Any]:
    import mlflow.pyfunc

    return list(mlflow.pyfunc.load_model(uri).predict(inputs))


# ---------------------------------------------------------------- download URIs


@pytest.mark.parametrize("name", ["iris", "sklearn Trained Model", "a@b", "100% fraud?#x",
                                  "modèle-ü", "x+y=z&w"])
def test_download_uris_name_the_registry_model_and_version_exactly(name: str) -> None:
    from modelreg.mlflow_plugin.artifacts import Target, download_uri, parse_download_uri

    registry = "modelreg:///srv/git/ml.git?path=reg&ref=main"
    uri = download_uri(registry, name, "7")
    assert uri.startswith("modelreg-artifacts://modelreg%3A%2F%2F%2Fsrv%2Fgit%2Fml.git%3F")
    assert parse_download_uri(uri) == Target(registry, name, 7, "")
    # MLflow appends artifact paths unquoted, or splits the version off as the path.
    assert parse_download_uri(f"{uri}/sub dir/a#1.txt") == Target(registry, name, 7,
                                                                  "sub dir/a#1.txt")
    assert parse_download_uri(uri.rsplit("/", 1)[0]) == Target(registry, name, None, "")


def test_a_relative_registry_uri_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelreg.mlflow_plugin.artifacts import download_uri, parse_download_uri

    monkeypatch.chdir(tmp_path)
    target = parse_download_uri(download_uri("modelreg:ml/registry?at=HEAD", "m", 1))
    assert target.registry_uri == f"modelreg://{tmp_path.resolve()}/ml/registry?at=HEAD"


@pytest.mark.parametrize("uri", ["modelreg-artifacts://", "modelreg-artifacts://reg",
                                 "modelreg-artifacts://reg/m/0", "modelreg-artifacts://reg/m/x",
                                 "s3://bucket/m/1"])
def test_a_malformed_download_uri_is_refused(uri: str) -> None:
    from modelreg.errors import InvalidParameter
    from modelreg.mlflow_plugin.artifacts import parse_download_uri

    with pytest.raises(InvalidParameter, match="invalid modelreg artifact URI"):
        parse_download_uri(uri)


def test_the_artifacts_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelreg.errors import InvalidParameter
    from modelreg.mlflow_plugin.artifacts import ARTIFACTS_ENV, Transfer, transfer_mode

    monkeypatch.delenv(ARTIFACTS_ENV, raising=False)
    assert transfer_mode("modelreg:///srv/reg") is Transfer.REFERENCE
    assert transfer_mode("modelreg:///srv/reg?artifacts=copy") is Transfer.COPY
    monkeypatch.setenv(ARTIFACTS_ENV, "copy")
    assert transfer_mode("modelreg:///srv/reg") is Transfer.COPY
    assert transfer_mode("modelreg:///srv/reg?artifacts=reference") is Transfer.REFERENCE
    with pytest.raises(InvalidParameter, match="artifacts='both' is not an option"):
        transfer_mode("modelreg:///srv/reg?artifacts=both")


# ---------------------------------------------------------------- logging and loading


def test_log_model_registers_and_loads_through_every_models_uri(world: World) -> None:
    from mlflow import MlflowClient

    from modelreg.mlflow_plugin.artifacts import download_uri

    before = commits(world.repo)
    run, info = world.log(registered_model_name="iris")
    client = MlflowClient()
    mv = client.get_model_version("iris", "1")
    assert (mv.source, mv.run_id, mv.status) == (info.model_uri, run.info.run_id, "READY")
    client.set_registered_model_alias("iris", "champion", "1")
    client.transition_model_version_stage("iris", "1", "Production")

    for uri in ("models:/iris@champion", "models:/iris/1", "models:/iris/Production",
                "models:/iris/latest"):
        assert predictions(uri, world.inputs) == world.expected(), uri
    assert client.get_model_version_download_uri("iris", "1") == download_uri(
        world.uri, "iris", 1)

    # The manifest references the logged model's files where MLflow put them (MLflow's
    # default), with every sha256 recorded; model, version, alias, stage: one commit each.
    recorded = world.registry.get_model_version("iris", 1)
    assert recorded.artifacts is not None
    assert recorded.artifacts.mode is ArtifactMode.REFERENCE
    logged = MlflowClient().get_logged_model(info.model_id)
    assert Path(recorded.artifacts.uri.removeprefix("file://")) == Path(
        logged.artifact_location.removeprefix("file://"))
    assert {f.path for f in recorded.artifacts.files} >= {"MLmodel", "model.skops"}
    assert (recorded.run_id, recorded.model_type) == (run.info.run_id, "mlflow")
    assert commits(world.repo) == before + 4
    assert validate(world.folder).returncode == 0


def test_mlflow_downloads_and_lists_a_version_like_any_artifacts(
    world: World, tmp_path: Path
) -> None:
    """`mlflow.artifacts` on a download URI and on `models:/`: MLflow's paths and layout."""
    import mlflow.artifacts
    from mlflow import MlflowClient

    world.log(registered_model_name="iris")
    uri = MlflowClient().get_model_version_download_uri("iris", "1")
    whole, one = tmp_path / "whole", tmp_path / "one"
    whole.mkdir()
    one.mkdir()
    # MLflow splits the last segment off as the artifact path: the version's files land in
    # `<dst>/1`, as a directory URI's last folder would.
    got = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(whole))
    assert Path(got) == whole / "1" and (whole / "1" / "model.skops").is_file()
    got = mlflow.artifacts.download_artifacts(artifact_uri=f"{uri}/MLmodel", dst_path=str(one))
    assert Path(got) == one / "MLmodel" and [p.name for p in one.iterdir()] == ["MLmodel"]
    listed = mlflow.artifacts.list_artifacts(artifact_uri="models:/iris/1")
    assert {(f.path, f.is_dir) for f in listed} >= {("MLmodel", False), ("model.skops", False)}


def test_register_model_and_create_model_version_from_a_run(world: World) -> None:
    import mlflow
    from mlflow import MlflowClient

    run, info = world.log()
    first = mlflow.register_model(f"runs:/{run.info.run_id}/model", "iris")
    client = MlflowClient()
    second = client.create_model_version("iris", f"runs:/{run.info.run_id}/model",
                                         run.info.run_id)
    assert (int(first.version), int(second.version)) == (1, 2)
    # MLflow 3 keeps a logged model outside its run's artifacts: `runs:/<run>/model` is
    # resolved now, to that model's files, and recorded as given.
    assert first.source == info.model_uri
    assert second.source == f"runs:/{run.info.run_id}/model"
    one, two = (world.registry.get_model_version("iris", n).artifacts for n in (1, 2))
    assert one is not None and two is not None
    assert (two.mode, two.uri, two.digest) == (ArtifactMode.REFERENCE, one.uri, one.digest)
    assert predictions("models:/iris/2", world.inputs) == world.expected()
    assert validate(world.folder).returncode == 0


def test_copy_option_puts_the_files_in_the_modelreg_store(copying: World) -> None:
    import shutil

    from mlflow import MlflowClient

    run, info = copying.log(registered_model_name="iris")
    client = MlflowClient()
    client.create_model_version("iris", f"runs:/{run.info.run_id}/model", run.info.run_id)
    client.set_registered_model_alias("iris", "champion", "2")
    stored = copying.registry.get_model_version("iris", 2).artifacts
    assert stored is not None and stored.mode is ArtifactMode.STORED
    # The tracking store's copy can go: the registry holds its own, content-addressed.
    shutil.rmtree(MlflowClient().get_logged_model(info.model_id).artifact_location
                  .removeprefix("file://"))
    assert predictions("models:/iris@champion", copying.inputs) == copying.expected()
    first = copying.registry.get_model_version("iris", 1).artifacts
    assert first is not None and first.mode is ArtifactMode.STORED


def test_copy_option_from_the_environment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelreg.mlflow_plugin.artifacts import ARTIFACTS_ENV

    monkeypatch.setenv(ARTIFACTS_ENV, "copy")
    world.log(registered_model_name="iris")
    stored = world.registry.get_model_version("iris", 1).artifacts
    assert stored is not None and stored.mode is ArtifactMode.STORED


def test_a_run_that_holds_the_model_in_its_artifacts(world: World, tmp_path: Path) -> None:
    """MLflow 2's way, still MLflow's: the model's files logged as the run's artifacts."""
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    mlflow.sklearn.save_model(world.model, tmp_path / "saved", pip_requirements=[])
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "saved"), "packaged")
    client = MlflowClient()
    client.create_registered_model("iris")
    client.create_model_version("iris", f"runs:/{run.info.run_id}/packaged", run.info.run_id)
    recorded = world.registry.get_model_version("iris", 1).artifacts
    assert recorded is not None and recorded.mode is ArtifactMode.REFERENCE
    assert recorded.uri.endswith(f"/{run.info.run_id}/artifacts/packaged")
    assert predictions("models:/iris/1", world.inputs) == world.expected()


def test_a_version_of_the_registry_as_a_source(world: World) -> None:
    from mlflow import MlflowClient

    world.log(registered_model_name="iris")
    client = MlflowClient()
    client.create_registered_model("iris-eu")
    mv = client.create_model_version("iris-eu", "models:/iris/1")
    assert (int(mv.version), mv.source) == (1, "models:/iris/1")
    one, copy = (world.registry.get_model_version(n, 1).artifacts for n in ("iris", "iris-eu"))
    assert one is not None and copy is not None and copy.digest == one.digest
    assert predictions("models:/iris-eu/1", world.inputs) == world.expected()


def test_an_unreadable_source_is_recorded_unverified_and_loaded_by_mlflow(
    world: World, tmp_path: Path
) -> None:
    """MLflow accepts any source; with nothing to hash when the version is created, there is
    no digest to check later, and MLflow's own repository for the URI fetches the files."""
    import mlflow.sklearn
    from mlflow import MlflowClient

    later = tmp_path / "later"
    client = MlflowClient()
    client.create_registered_model("iris")
    client.create_model_version("iris", later.as_uri())
    recorded = world.registry.get_model_version("iris", 1).artifacts
    assert recorded is not None and recorded.mode is ArtifactMode.UNVERIFIED
    mlflow.sklearn.save_model(world.model, later, pip_requirements=[])
    assert predictions("models:/iris/1", world.inputs) == world.expected()


def test_a_bare_repository_and_a_pinned_revision(
    world: World, bare_remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry as a service reads it (a bare clone), and as of an older commit (`?at=`,
    which the download URI carries, so the files come from the version that commit names)."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    from conftest import git

    original = world.expected()
    world.log(registered_model_name="iris")
    first = git(world.repo, "rev-parse", "HEAD").strip()
    world.model = LogisticRegression().fit(world.inputs, [1 - p for p in original])
    flipped = world.expected()
    assert flipped != original
    world.log(registered_model_name="iris")
    git(world.repo, "push", "-q", str(bare_remote), "HEAD:main")

    bare = registry_uri(bare_remote, path="registry", ref="main")
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", bare)
    mlflow.set_registry_uri(bare)
    assert predictions("models:/iris/latest", world.inputs) == flipped
    mlflow.set_registry_uri(registry_uri(bare_remote, path="registry", ref="main", at=first))
    assert predictions("models:/iris/latest", world.inputs) == original


# ---------------------------------------------------------------- a changed byte


@pytest.mark.parametrize("where", ["reference", "store"])
def test_a_tampered_artifact_fails_inside_mlflow(
    world: World, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from mlflow.exceptions import MlflowException

    from modelreg.mlflow_plugin.artifacts import ARTIFACTS_ENV

    if where == "store":
        monkeypatch.setenv(ARTIFACTS_ENV, "copy")
    world.log(registered_model_name="iris")
    artifacts = world.registry.get_model_version("iris", 1).artifacts
    assert artifacts is not None
    if where == "store":
        files = world.registry.store().path(artifacts.uri)
    else:
        files = artifacts.uri.removeprefix("file://")
    weights = Path(files) / "model.skops"
    weights.chmod(0o644)
    weights.write_bytes(weights.read_bytes()[:-1] + b"!")

    with pytest.raises(MlflowException) as caught:
        predictions("models:/iris/1", world.inputs)
    message = str(caught.value)
    assert "file 'model.skops'" in message and "does not match its sha256" in message
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"


# ---------------------------------------------------------------- mlflow models serve


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll `/ping` until the server answers 200, with a deadline; fail early if it exits."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:
            server.wait(timeout=0.5)  # the pause between two polls, and a liveness check
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"mlflow models serve exited with {server.returncode}:\n{log.read_text()}")
    pytest.fail(f"mlflow models serve did not answer {url} in time:\n{log.read_text()}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """End the server and what it started (its own process group, made for it)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.mark.slow
def test_models_serve_answers_with_the_in_process_prediction(
    world: World, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    world.log(registered_model_name="iris")
    MlflowClient().set_registered_model_alias("iris", "champion", "1")
    port = _free_port()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(BIN / "mlflow"), "models", "serve", "-m", "models:/iris@champion",
             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        _wait_until_up(server, f"http://127.0.0.1:{port}/ping", log)
        body = json.dumps({"inputs": world.inputs.tolist()}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations", data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            served = json.loads(answer.read())["predictions"]
    finally:
        _stop(server)
    assert served == [int(p) for p in world.expected()]
