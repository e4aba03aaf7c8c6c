"""What the MLflow tests share: the skip when MLflow is missing, MLflow's own warnings, a
tracking store in a temporary folder, a registry and an MlflowClient over it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HAVE_MLFLOW = importlib.util.find_spec("mlflow") is not None

# Every MLflow test module: `pytestmark = MLFLOW`. MLflow's own deprecations (its SQLite
# tracking store on SQLAlchemy 2.1, the stage API it keeps) are MLflow's, not ours.
MLFLOW = [
    pytest.mark.mlflow,
    pytest.mark.skipif(not HAVE_MLFLOW, reason="MLflow is not installed "
                       "(pip install -e '.[mlflow]'; CI installs it with the test extra)"),
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning"),
]


def settled() -> None:
    """Wait for the writes MLflow makes from threads of its own: `register_prompt` tags the
    prompt with the active experiment from one, a commit that can land after it returned
    (a test's own `git commit` meeting its `index.lock` failed 1 run in 4)."""
    import threading

    for thread in threading.enumerate():
        if thread.name.startswith("link_prompt_to_experiment_thread"):
            thread.join()


def registry_uri(folder: Path, **query: str) -> str:
    """`modelreg:///abs/folder?k=v` for a registry folder or a bare repository."""
    from urllib.parse import urlencode

    text = f"modelreg://{Path(folder).resolve()}"
    return f"{text}?{urlencode(query)}" if query else text


def tracking_uri(folder: Path) -> str:
    """A SQLite tracking store in `folder` (MLflow refuses a new file store by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def client(registry: str, tracking: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking, registry_uri=registry)


def commits(repo: Path, ref: str = "HEAD") -> int:
    out = subprocess.run(["git", "rev-list", "--count", ref], cwd=repo, check=True,
                         capture_output=True, text=True)
    return int(out.stdout)


def validate(registry: str | Path) -> subprocess.CompletedProcess[str]:
    """`modelreg validate` as a user runs it, on a registry folder or URI."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("modelreg")), "--registry", str(registry),
         "validate"],
        capture_output=True, text=True, env=os.environ.copy(),
    )
