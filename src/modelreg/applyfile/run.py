"""Running checked steps in one `Registry.transaction`: one commit, or none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from modelreg.applyfile.steps import STEP_REF, Step, StepFailed, StepRef
from modelreg.errors import ModelregError
from modelreg.model import ModelVersion

if TYPE_CHECKING:
    from modelreg.registry import Registry

def apply(
    registry: Registry, steps: Sequence[Step], *, message: str = "", callback: Any = None
) -> list[Any]:
    """Run the steps in one transaction (one commit); each step's result, in order."""
    results: list[Any] = []
    with registry.transaction(message):
        for step in steps:
            try:
                results.append(_run(registry, step, results, callback))
            except StepFailed:
                raise
            except ModelregError as exc:
                raise StepFailed(step, exc) from exc
    return results


def _run(registry: Registry, step: Step, results: list[Any], callback: Any) -> Any:
    args = dict(step.args)
    for key in ("version", "src"):
        if key in args:
            args[key] = _substitute(args[key], results)
    return RUNNERS[step.op](registry, args, callback)


def _substitute(value: Any, results: list[Any]) -> Any:
    if isinstance(value, StepRef):
        return _version_of(results[value.step - 1])
    if isinstance(value, str):
        return STEP_REF.sub(lambda m: str(_version_of(results[int(m.group(1)) - 1])), value)
    return value


def _version_of(result: Any) -> int:
    assert isinstance(result, ModelVersion)  # checked when parsing: register and copy make one
    return result.version


def _register(reg: Registry, a: dict[str, Any], callback: Any) -> Any:
    from modelreg.registry import RegisterOptions

    options = RegisterOptions(
        description=a.get("description", ""), tags=a.get("tags", {}),
        metrics=a.get("metrics", {}), run_id=a.get("run_id", ""),
        run_link=a.get("run_link", ""), source=a.get("source", ""),
        code_commit=a.get("code_commit", ""), data=a.get("data", ()),
    )
    return reg.register(
        a["name"], a["path"], reference=a.get("reference", False), options=options,
        callback=callback,
    )


def _tag(reg: Registry, a: dict[str, Any], _cb: Any) -> Any:
    if "version" in a:
        return reg.set_model_version_tag(a["name"], a["version"], a["key"], a["value"])
    return reg.set_registered_model_tag(a["name"], a["key"], a["value"])


def _untag(reg: Registry, a: dict[str, Any], _cb: Any) -> Any:
    if "version" in a:
        return reg.delete_model_version_tag(a["name"], a["version"], a["key"])
    return reg.delete_registered_model_tag(a["name"], a["key"])


def _describe(reg: Registry, a: dict[str, Any], _cb: Any) -> Any:
    if "version" in a:
        return reg.update_model_version(a["name"], a["version"], description=a["description"])
    return reg.update_registered_model(a["name"], description=a["description"])


def _delete(reg: Registry, a: dict[str, Any], _cb: Any) -> Any:
    if "version" in a:
        return reg.delete_model_version(a["name"], a["version"])
    return reg.delete_registered_model(a["name"])


Runner = Callable[["Registry", dict[str, Any], Any], Any]

RUNNERS: dict[str, Runner] = {
    "register": _register,
    "create": lambda reg, a, _cb: reg.create_registered_model(
        a["name"], tags=a.get("tags"), description=a.get("description")
    ),
    "alias": lambda reg, a, _cb: reg.set_registered_model_alias(
        a["name"], a["alias"], a["version"]
    ),
    "unalias": lambda reg, a, _cb: reg.delete_registered_model_alias(a["name"], a["alias"]),
    "stage": lambda reg, a, _cb: reg.transition_model_version_stage(
        a["name"], a["version"], a["stage"],
        archive_existing_versions=a.get("archive_existing", False),
    ),
    "tag": _tag,
    "untag": _untag,
    "describe": _describe,
    "copy": lambda reg, a, _cb: reg.copy_model_version(a["src"], a["dst"]),
    "rename": lambda reg, a, _cb: reg.rename_registered_model(a["name"], a["new_name"]),
    "delete": _delete,
}
