"""modelreg: a model registry in Git, with artifacts in any fsspec store.

Only public names live here, imported lazily so that `import modelreg` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from modelreg.model import ModelVersion, RegisteredModel, Stage
    from modelreg.registry import RegisterOptions, Registry

_LAZY = {
    "Registry": "modelreg.registry",
    "RegisterOptions": "modelreg.registry",
    "ModelVersion": "modelreg.model",
    "RegisteredModel": "modelreg.model",
    "Stage": "modelreg.model",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'modelreg' has no attribute {name!r}")


__all__ = ["ModelVersion", "RegisterOptions", "RegisteredModel", "Registry", "Stage"]
