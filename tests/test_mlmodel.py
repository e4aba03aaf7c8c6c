"""Reading MLflow's `MLmodel` files: flavors in order, the signature as MLflow wrote it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from modelreg import layout, manifest, ops, schema
from modelreg.change import OpContext
from modelreg.errors import ArtifactError
from modelreg.mlmodel import MlModelInfo, read_mlmodel
from modelreg.model import ArtifactMode, Artifacts, RegistryConfig
from modelreg.snapshot import MemoryFiles, Snapshot

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_example_registry.py"


def example_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_example_registry", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> tuple[bytes, str]:
    """The MLmodel text the example registry ships (as MLflow 3.17 writes it), and its inputs."""
    script = example_script()
    text = script.MLMODEL.format(uuid="1" * 32, run_id="2" * 32, inputs=script.INPUTS, day=1)
    return text.encode(), script.INPUTS


def test_example_mlmodel(example: tuple[bytes, str]) -> None:
    data, inputs = example
    info = read_mlmodel(data)
    assert info == MlModelInfo(
        model_type="mlflow",
        flavors=("python_function", "sklearn"),
        signature={
            "inputs": inputs,
            "outputs": '[{"type": "long", "name": "churn", "required": true}]',
            "params": None,
        },
    )
    assert info.signature is not None
    assert json.loads(info.signature["inputs"])[0]["name"] == "tenure_months"


def test_flavors_keep_file_order_and_no_signature_is_none() -> None:
    data = b"flavors:\n  sklearn: {pickled_model: model.pkl}\n  python_function: {}\n"
    assert read_mlmodel(data) == MlModelInfo(flavors=("sklearn", "python_function"))


def test_an_empty_file_says_nothing() -> None:
    assert read_mlmodel(b"") is None


BAD = [
    ("not-yaml", b"flavors: [\n", "MLmodel is not valid YAML: line"),
    ("not-utf8", b"flavors:\n  \xff\xfe: {}\n", "MLmodel is not valid YAML"),
    ("duplicate-key", b"flavors: {a: {}}\nflavors: {b: {}}\n", "duplicate key 'flavors'"),
    ("a-list", b"- sklearn\n", "expected a mapping"),
    ("no-flavors", b"artifact_path: model\n", "has no `flavors` mapping"),
    ("flavors-a-list", b"flavors: [sklearn]\n", "has no `flavors` mapping"),
    ("signature-a-string", b"flavors: {sklearn: {}}\nsignature: x\n",
     "`signature` is not a mapping"),
]


@pytest.mark.parametrize(("data", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_garbage_is_refused(data: bytes, fragment: str) -> None:
    with pytest.raises(ArtifactError) as raised:
        read_mlmodel(data)
    assert fragment in str(raised.value)
    assert str(raised.value).startswith("MLmodel")


def test_registering_an_mlflow_model_records_flavors_and_signature(
    example: tuple[bytes, str],
) -> None:
    info = read_mlmodel(example[0])
    assert info is not None
    files = MemoryFiles({layout.REGISTRY_FILE: manifest.dump_registry(RegistryConfig(id="x"))})
    hex_ = "ef" * 32
    artifacts = Artifacts(mode=ArtifactMode.REFERENCE, uri="s3://runs/1/model",
                          digest=f"sha256:{hex_}", size=0, file_count=0)
    ctx = OpContext(now="2026-01-31T09:30:00.000Z", actor="alice@example.com", op_id="x")
    change = ops.create_model_version(
        "churn", artifacts=artifacts, source="s3://runs/1/model", model_type=info.model_type,
        flavors=info.flavors, signature=info.signature, create_model=True,
    )(Snapshot(files), ctx)
    path = layout.version_file("churn", 1)
    data = change.writes[path]
    assert data is not None
    assert schema.validate_bytes("model-version", data, path=path) == []
    mv = manifest.parse_version(data, path)
    assert (mv.model_type, mv.flavors, mv.signature) == ("mlflow", info.flavors, info.signature)
