"""What a version's `MLmodel` file says: that it is an MLflow model, its flavors, its signature.

MLflow writes `MLmodel` with `yaml.safe_dump`: plain YAML with no anchors, timestamps quoted,
and the signature's `inputs`/`outputs`/`params` as JSON strings. It is read with our one YAML
module (STYLE §11), whose refusals (duplicate keys, anchors) MLflow's own files never meet.
The signature is kept exactly as MLflow wrote it, JSON strings and all, so MLflow can read it
back from the manifest unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelreg import yamlio
from modelreg.errors import ArtifactError, ManifestError

MODEL_TYPE = "mlflow"


@dataclass(frozen=True, slots=True, kw_only=True)
class MlModelInfo:
    """The facts a manifest records from an `MLmodel` file."""

    model_type: str = MODEL_TYPE
    flavors: tuple[str, ...] = ()
    signature: dict[str, Any] | None = None


def read_mlmodel(data: bytes) -> MlModelInfo | None:
    """The flavors (in file order) and signature of an `MLmodel` file.

    An empty file says nothing (None: the version is then a `custom` model). A file that is
    not YAML, or not an MLmodel's shape (a mapping with a `flavors` mapping), raises
    ArtifactError, so a registration refuses it rather than recording garbage.
    """
    try:
        loaded = yamlio.load(data)
    except ManifestError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        reason = exc.message.removeprefix("invalid YAML: ")
        raise ArtifactError(f"MLmodel is not valid YAML: {where}{reason}") from exc
    if loaded.data is None:
        return None
    if not isinstance(loaded.data, dict):
        raise ArtifactError("MLmodel is not an MLflow model file: expected a mapping")
    flavors = loaded.data.get("flavors")
    if not isinstance(flavors, dict) or not flavors:
        raise ArtifactError("MLmodel is not an MLflow model file: it has no `flavors` mapping")
    signature = loaded.data.get("signature")
    if signature is not None and not isinstance(signature, dict):
        raise ArtifactError("MLmodel's `signature` is not a mapping")
    return MlModelInfo(flavors=tuple(flavors), signature=signature)
