"""MLflow's prompt registry, which MLflow builds on registered models and tags, works over a
modelreg registry (issue #4): register, load by version and alias, search; prompts stay out
of model searches, and what MLflow wrote is a valid registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import init_registry
from mlflow_support import MLFLOW, registry_uri, settled, tracking_uri, validate

pytestmark = MLFLOW


@pytest.fixture
def uris(tmp_path: Path, repo: Path) -> Iterator[str]:
    import mlflow

    folder = init_registry(repo).location.path
    mlflow.set_tracking_uri(tracking_uri(tmp_path / "tracking"))
    mlflow.set_registry_uri(registry_uri(folder))
    yield str(folder)
    mlflow.set_registry_uri(None)  # type: ignore[arg-type]  # None: back to the environment
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


def test_prompts_register_load_alias_and_search(uris: str) -> None:
    import mlflow.genai
    from mlflow import MlflowClient

    first = mlflow.genai.register_prompt(name="greeting", template="Hello {{name}}!",
                                         commit_message="first")
    second = mlflow.genai.register_prompt(name="greeting", template="Hi {{name}}!")
    assert (first.version, second.version) == (1, 2)
    assert mlflow.genai.load_prompt("prompts:/greeting/1").template == "Hello {{name}}!"
    assert mlflow.genai.load_prompt("prompts:/greeting/2").format(name="Ana") == "Hi Ana!"
    mlflow.genai.set_prompt_alias("greeting", alias="production", version=1)
    assert mlflow.genai.load_prompt("prompts:/greeting@production").template == (
        "Hello {{name}}!")
    assert [p.name for p in mlflow.genai.search_prompts()] == ["greeting"]
    assert [m.name for m in MlflowClient().search_registered_models()] == []
    settled()  # MLflow's thread tags the prompt: that commit is validated too
    checked = validate(uris)
    assert checked.returncode == 0, checked.stdout + checked.stderr
