"""`mlflow server --registry-store-uri modelreg:...` over a bare clone, as a service runs it
(DESIGN §4): remote MlflowClients register, alias and search through MLflow's REST API; each
change is one commit pushed to the registry branch of the shared remote; four workers answering
four clients at once give versions exactly 1..100 and a valid registry (issue #4)."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import git_out, init_registry, make_model
from mlflow_support import MLFLOW, commits, registry_uri, tracking_uri, validate
from modelreg import Registry, history

pytestmark = [*MLFLOW, pytest.mark.slow]

WORKERS = 4  # server workers, and client processes
EACH = 25  # creates per client
STARTUP = 120.0  # seconds the server may take to answer /health


class Service:
    """The server's URL, the shared remote, the served clone, and a run whose artifacts hold a
    model (`source`: `runs:/<run>/model`, as MLflow's registry documentation registers)."""

    def __init__(self, url: str, remote: Path, service: Path, run_id: str) -> None:
        self.url, self.remote, self.service, self.run_id = url, remote, service, run_id
        self.source = f"runs:/{run_id}/model"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mlflow server exited {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling a health endpoint, with a deadline
    raise AssertionError(f"mlflow server did not answer within {STARTUP}s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """The server and its workers (its own process group, started by this test)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def start_server(root: Path, service: Path, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    """`mlflow server` over the registry in the bare clone `service`, answering /health."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
           "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = root / "server.log"
    command = [str(bindir / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--backend-store-uri", tracking_uri(root / "tracking"),
               "--registry-store-uri", registry_uri(service, path="registry", ref="main")]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_healthy(url, proc, log)
    except BaseException:
        stop(proc)
        raise
    return url, proc


def publish(root: Path, policy: str = "") -> tuple[Path, Path]:
    """A registry (with `policy`, YAML appended to registry.yaml, committed) pushed to a bare
    remote, and a bare clone of that remote to serve."""
    remote, work, service = root / "remote.git", root / "work", root / "service.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    git_out(work, "commit", "-q", "--allow-empty", "-m", "initial commit")
    init_registry(work, store=str(root / "store"))
    if policy:
        config = work / "registry" / "registry.yaml"
        config.write_text(config.read_text() + policy)
        git_out(work, "commit", "-qam", "Policy")
    git_out(work, "remote", "add", "origin", str(remote))
    git_out(work, "push", "-q", "origin", "main")
    git_out(root, "clone", "-q", "--bare", str(remote), str(service))
    return remote, service


def model_run(url: str, root: Path) -> str:
    """A run on the server's tracking store whose artifacts hold a model."""
    mc = remote_client(url)
    run = str(mc.create_run(mc.create_experiment("training")).info.run_id)
    mc.log_artifacts(run, str(make_model(root / "model", "weights\n")), "model")
    return run


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A registry pushed to a bare remote; a bare clone of it served by `mlflow server`."""
    root = tmp_path_factory.mktemp("served")
    remote, service = publish(root)
    url, proc = start_server(root, service, WORKERS)
    try:
        yield Service(url, remote, service, model_run(url, root))
    finally:
        stop(proc)


def remote_client(url: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=url, registry_uri=url)


def test_a_remote_client_registers_aliases_and_searches_each_a_commit(served: Service) -> None:
    mc = remote_client(served.url)
    before = commits(served.remote, "main")
    mc.create_registered_model("churn", tags={"team": "growth"})
    mv = mc.create_model_version("churn", served.source, run_id=served.run_id)
    mc.set_registered_model_alias("churn", "champion", mv.version)
    mc.set_model_version_tag("churn", mv.version, "approved", "yes")
    assert commits(served.remote, "main") == before + 4
    # Through REST, MLflow's client gets versions as strings (the proto's type).
    assert mc.get_model_version_by_alias("churn", "champion").version == "1"
    found = mc.search_model_versions("name = 'churn' AND tags.approved = 'yes'")
    assert [(v.name, v.version) for v in found] == [("churn", "1")]
    assert [m.name for m in mc.search_registered_models("tags.team = 'growth'")] == ["churn"]
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException, match=r"Registered Model with name=nope not found"):
        mc.get_registered_model("nope")
    shared = Registry(registry_uri(served.remote, path="registry", ref="main"))
    assert shared.get_registered_model("churn").aliases == {"champion": 1}


def _client(url: str, run_id: str, index: int, barrier: Any, out: Any) -> None:
    mc = remote_client(url)
    made, failed = [], []
    barrier.wait()
    for _ in range(EACH):
        mv = mc.create_model_version("fraud", f"runs:/{run_id}/model", run_id=run_id,
                                     tags={"client": str(index)})
        try:  # right after the create, whichever worker answers a new connection
            query = f"name=fraud&version={mv.version}"
            with urllib.request.urlopen(f"{url}/api/2.0/mlflow/model-versions/get?{query}",
                                        timeout=30) as answer:
                got = json.load(answer)["model_version"]
            assert got["version"] == str(mv.version), got
            assert got["tags"] == [{"key": "client", "value": str(index)}], got
        except Exception as exc:
            failed.append(f"{mv.version}: {exc}")
        made.append(int(mv.version))
    out.put((index, made, failed))


def test_four_workers_four_clients_versions_exactly_1_to_100(
    served: Service, tmp_path: Path
) -> None:
    mc = remote_client(served.url)
    mc.create_registered_model("fraud")
    start = git_out(served.remote, "rev-parse", "main").strip()
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(served.url, served.run_id, i, barrier, out))
             for i in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert [f for _, _, failed in results for f in failed] == []
    numbers = sorted(v for _, made, _ in results for v in made)
    assert numbers == list(range(1, WORKERS * EACH + 1))

    new = git_out(served.remote, "rev-list", "--first-parent", f"{start}..main").split()
    assert len(new) == WORKERS * EACH  # one commit each, nothing else
    shared = Registry(registry_uri(served.remote, path="registry", ref="main"))
    entries = [e for e in history.log(shared.repo, shared.prefix, rev="main")
               if e.commit in set(new)]
    assert [e.op for e in entries] == ["version-create"] * (WORKERS * EACH)
    live = shared.search_model_versions("name = 'fraud'", max_results=1000)
    assert sorted(mv.version for mv in live) == numbers
    listed = mc.search_model_versions("name = 'fraud'", max_results=1000)
    assert sorted(int(mv.version) for mv in listed) == numbers

    clone = tmp_path / "clone"
    git_out(tmp_path, "clone", "-q", str(served.remote), str(clone))
    checked = validate(clone / "registry")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_policy_refusal_is_permission_denied_through_rest_and_commits_nothing(
    tmp_path: Path,
) -> None:
    """The module's server has no policy, so a second one, one worker, over a registry whose
    committed policy protects `champion`: the test's actor may set it directly (without
    `allow_direct` nobody may), but only on a version tagged approved."""
    from mlflow.exceptions import MlflowException

    policy = ("policy:\n  aliases:\n    champion:\n"
              "      require_tags: {validation_status: approved}\n"
              "      allow_direct: ['test@example.com']\n")
    remote, service = publish(tmp_path, policy)
    url, proc = start_server(tmp_path, service, 1)
    try:
        mc = remote_client(url)
        run = model_run(url, tmp_path)
        mc.create_registered_model("churn")
        assert mc.create_model_version("churn", f"runs:/{run}/model", run_id=run).version == "1"
        before = commits(remote, "main")
        with pytest.raises(MlflowException) as refused:
            mc.set_registered_model_alias("churn", "champion", 1)
        assert refused.value.error_code == "PERMISSION_DENIED", refused.value
        assert "validation_status" in refused.value.message, refused.value.message
        assert "without review" not in refused.value.message, refused.value.message
        assert commits(remote, "main") == before
        mc.set_model_version_tag("churn", "1", "validation_status", "approved")
        mc.set_registered_model_alias("churn", "champion", 1)
        assert commits(remote, "main") == before + 2
        assert mc.get_model_version_by_alias("churn", "champion").version == "1"
    finally:
        stop(proc)
