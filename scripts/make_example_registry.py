"""Rebuild example-registry/ with the library itself: `python scripts/make_example_registry.py`.

Two models with versions, aliases, stages, tags and metrics; `churn-model` carries an MLflow
`MLmodel` file with a signature. The registry is built in a temporary Git repository and its
folder (manifests and local artifact store) copied into the project.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from modelreg import Registry, RegisterOptions

PROJECT = Path(__file__).resolve().parent.parent
TARGET = PROJECT / "example-registry"

MLMODEL = """artifact_path: model
flavors:
  python_function:
    env:
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.0
mlflow_version: 3.17.0
model_size_bytes: 1024
model_uuid: {uuid}
run_id: {run_id}
signature:
  inputs: '{inputs}'
  outputs: '[{{"type": "long", "name": "churn", "required": true}}]'
  params: null
utc_time_created: '2026-10-0{day} 09:00:00.000000'
"""

INPUTS = json.dumps(
    [
        {"type": "double", "name": "tenure_months", "required": True},
        {"type": "double", "name": "monthly_charges", "required": True},
        {"type": "string", "name": "contract", "required": True},
    ]
)


def model_folder(root: Path, name: str, files: dict[str, str]) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


def build(work: Path) -> Path:
    repo = work / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    reg = Registry.init(repo / "example-registry", actor="alice@example.com")
    fraud = "fraud-detector"
    reg.create_registered_model(
        fraud, tags={"team": "risk", "domain": "payments"},
        description="Scores card transactions for fraud.\n\nOwned by the risk team.",
    )
    for n, auc in ((1, 0.912), (2, 0.934), (3, 0.941)):
        folder = model_folder(work, f"fraud-v{n}", {
            "model.bin": f"fraud weights v{n}\n",
            "requirements.txt": "scikit-learn==1.5.0\n",
        })
        reg.register(fraud, folder, options=RegisterOptions(
            metrics={"auc": auc, "precision_at_1pct": round(auc - 0.1, 3)},
            tags={"validation_status": "approved" if n < 3 else "pending"},
            run_id=f"{n:032x}", description=f"Gradient boosting, training window {n}",
            source=f"runs:/{n:032x}/model",
            code_commit=f"{n * 1111111:07x}",
        ))
    reg.transition_model_version_stage(fraud, 1, "Archived")
    reg.transition_model_version_stage(fraud, 2, "Production")
    reg.transition_model_version_stage(fraud, 3, "Staging")
    reg.set_registered_model_alias(fraud, "champion", 2)
    reg.set_registered_model_alias(fraud, "challenger", 3)

    churn = "churn-model"
    for n in (1, 2):
        folder = model_folder(work, f"churn-v{n}", {
            "MLmodel": MLMODEL.format(uuid=f"{n:032x}", run_id=f"{n + 10:032x}",
                                      inputs=INPUTS, day=n),
            "model.pkl": f"pickled churn model v{n}\n",
            "python_env.yaml": "python: 3.11.7\ndependencies:\n- -r requirements.txt\n",
            "requirements.txt": "mlflow==3.17.0\nscikit-learn==1.5.0\n",
        })
        reg.register(churn, folder, options=RegisterOptions(
            metrics={"accuracy": round(0.81 + n / 100, 3)}, run_id=f"{n + 10:032x}",
            source=f"runs:/{n + 10:032x}/model",
            tags={"framework": "sklearn"},
        ))
    reg.set_registered_model_alias(churn, "champion", 2)
    reg.transition_model_version_stage(churn, 2, "Production")
    return repo / "example-registry"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        built = build(Path(tmp))
        (built / ".gitignore").unlink(missing_ok=True)
        shutil.rmtree(TARGET, ignore_errors=True)
        shutil.copytree(built, TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
