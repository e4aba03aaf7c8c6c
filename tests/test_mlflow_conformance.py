"""One registry, two front doors, the same answers (issue #4).

The command line and MLflow take turns writing one registry (registrations, aliases, stages
with `archive_existing_versions`, deletes, a rename), and after every step `models:/` URIs
(`/N`, `@alias`, `/<stage>`, `/latest`) resolve to the same version, or to nothing, through
`modelreg resolve`, `modelreg.Registry` and MLflow's own resolver over the plugin; then again
at every older revision (`--at REV` and `?at=REV` in the registry URI).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import git_out, init_registry, make_model
from mlflow_support import MLFLOW, client, registry_uri, tracking_uri, validate
from modelreg import Registry
from modelreg.cli import cli

pytestmark = MLFLOW

STAGES = ("None", "Staging", "Production", "Archived")
ALIASES = ("champion", "challenger")


class World:
    """The registry, its three readers, and the checkpoints (commit -> name) seen so far."""

    def __init__(self, folder: Path, tracking: str, model: Path) -> None:
        self.folder, self.tracking, self.model = folder, tracking, model
        self.registry = Registry(folder)
        self.mlflow = client(registry_uri(folder), tracking)
        self.checkpoints: list[tuple[str, str]] = []

    def cli(self, *args: str, at: str = "") -> Any:
        extra = ["--at", at] if at else []
        ran = CliRunner().invoke(cli, ["--registry", str(self.folder), *args, *extra],
                                 catch_exceptions=False)
        return ran

    def uris(self, name: str) -> list[str]:
        last = self.registry.at(self.head()).snapshot().model(name)
        numbers = range(1, (last.last_version if last else 0) + 2)  # one past the last too
        return [*(f"models:/{name}/{n}" for n in numbers),
                *(f"models:/{name}@{a}" for a in ALIASES),
                *(f"models:/{name}/{s}" for s in STAGES), f"models:/{name}/latest"]

    def head(self) -> str:
        return git_out(self.folder, "rev-parse", "HEAD").strip()

    def checkpoint(self, name: str) -> None:
        self.checkpoints.append((self.head(), name))
        assert_same_answers(self, name)


def by_cli(world: World, uri: str, at: str = "") -> int | None:
    ran = world.cli("resolve", uri, "--json", at=at)
    assert ran.exit_code in (0, 1), ran.output
    return int(json.loads(ran.stdout)["version"]) if ran.exit_code == 0 else None


def by_registry(world: World, uri: str, at: str = "") -> int | None:
    from modelreg.errors import NotFound

    reg = world.registry.at(at) if at else world.registry
    try:
        return reg.resolve(uri).version
    except NotFound:
        return None


def by_mlflow(world: World, uri: str, at: str = "") -> int | None:
    from mlflow.exceptions import MlflowException
    from mlflow.store.artifact.utils import models

    get_model_name_and_version: Any = models.get_model_name_and_version  # MLflow's resolver
    mc = client(registry_uri(world.folder, at=at), world.tracking) if at else world.mlflow
    try:  # as load_model does: name and version, then that version's download URI
        name, version = get_model_name_and_version(mc, uri)
        mc.get_model_version_download_uri(name, version)
        return int(version)
    except MlflowException as exc:  # MLflow's resolver says "No versions of model ..." itself
        assert exc.error_code != "INTERNAL_ERROR" or "No versions" in exc.message, exc
        return None


READERS: dict[str, Callable[..., int | None]] = {
    "cli": by_cli, "registry": by_registry, "mlflow": by_mlflow}


def answers(world: World, name: str, at: str = "") -> dict[str, dict[str, int | None]]:
    return {reader: {uri: resolve(world, uri, at) for uri in world.uris(name)}
            for reader, resolve in READERS.items()}


def assert_same_answers(world: World, name: str, at: str = "") -> dict[str, int | None]:
    got = answers(world, name, at)
    assert got["cli"] == got["registry"] == got["mlflow"], (at, got)
    return got["cli"]


@pytest.fixture
def world(repo: Path, tmp_path: Path) -> World:
    reg = init_registry(repo)
    return World(reg.location.path, tracking_uri(tmp_path / "tracking"),
                 make_model(tmp_path / "model", "weights\n"))


def test_the_cli_and_mlflow_resolve_alike_now_and_at_every_revision(world: World) -> None:
    mc, model = world.mlflow, str(world.model)
    for _ in range(3):
        assert world.cli("register", "fraud", model).exit_code == 0
    world.checkpoint("fraud")
    mc.set_registered_model_alias("fraud", "champion", 2)
    mc.transition_model_version_stage("fraud", 1, "Production")
    mc.transition_model_version_stage("fraud", 3, "Production", archive_existing_versions=True)
    now = world.checkpoint
    now("fraud")
    assert world.cli("stage", "fraud", "2", "Staging").exit_code == 0
    assert world.cli("alias", "set", "fraud", "challenger", "3").exit_code == 0
    now("fraud")
    mc.delete_model_version("fraud", 3)  # its alias and its stage go with it
    now("fraud")
    assert world.cli("register", "fraud", model).exit_code == 0
    assert mc.create_model_version("fraud", model).version == 5
    assert world.cli("versions", "delete", "fraud", "5").exit_code == 0
    now("fraud")
    mc.rename_registered_model("fraud", "fraud-detector")
    assert world.cli("alias", "set", "fraud-detector", "champion", "4").exit_code == 0
    final = assert_same_answers(world, "fraud-detector")
    world.checkpoints.append((world.head(), "fraud-detector"))
    assert final["models:/fraud-detector@champion"] == 4
    assert final["models:/fraud-detector/3"] is None and final["models:/fraud-detector/5"] is None
    assert final["models:/fraud-detector/latest"] == 4
    assert final["models:/fraud-detector/Production"] is None
    assert final["models:/fraud-detector/Archived"] == 1
    seen = {}
    for commit, name in world.checkpoints:  # the past, through --at and ?at=
        seen[commit] = assert_same_answers(world, name, at=commit)
    first = world.checkpoints[1][0]
    assert seen[first]["models:/fraud/Production"] == 3
    assert seen[first]["models:/fraud/Archived"] == 1
    assert validate(world.folder).returncode == 0
