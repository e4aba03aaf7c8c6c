"""example-registry/ stays a valid, realistic registry (issue #2).

It is validated as it is on disk, then read through the library from a Git repository of its
own (as the demo does): models, aliases, stages, the MLmodel signature, and a verified download.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import git
from modelreg import Registry
from modelreg.gitrepo.worktree import WorktreeFiles
from modelreg.model import ArtifactMode, Stage
from modelreg.validate import validate_registry

EXAMPLE = Path(__file__).resolve().parent.parent / "example-registry"


def test_example_registry_validates() -> None:
    problems = validate_registry(WorktreeFiles(EXAMPLE))
    assert [str(p) for p in problems] == []


@pytest.fixture
def example(tmp_path: Path) -> Registry:
    repo = tmp_path / "demo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(EXAMPLE, repo / "registry")
    (repo / "registry" / ".gitignore").write_text("/artifacts/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Import the example registry")
    return Registry(repo / "registry")


def test_example_registry_reads_as_documented(example: Registry, tmp_path: Path) -> None:
    names = [m.name for m in example.search_registered_models()]
    assert names == ["churn-model", "fraud-detector"]
    fraud = example.get_registered_model("fraud-detector")
    assert fraud.aliases == {"champion": 2, "challenger": 3}
    latest = example.get_latest_versions("fraud-detector")
    assert {(v.version, v.current_stage) for v in latest} == {
        (1, Stage.ARCHIVED), (2, Stage.PRODUCTION), (3, Stage.STAGING)}
    churn = example.resolve("models:/churn-model@champion")
    assert churn.model_type == "mlflow" and "sklearn" in churn.flavors
    assert churn.signature is not None and "tenure_months" in churn.signature["inputs"]
    champion = example.resolve("models:/fraud-detector@champion")
    assert champion.metrics["auc"] == 0.934
    assert champion.artifacts is not None and champion.artifacts.mode is ArtifactMode.STORED
    out = example.download("models:/fraud-detector@champion", tmp_path / "out")
    assert (out / "model.bin").read_text() == "fraud weights v2\n"
