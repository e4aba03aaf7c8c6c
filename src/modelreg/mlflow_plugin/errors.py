"""modelreg's errors -> MlflowException, with MLflow's codes and the SQL store's words.

What MLflow clients test for is the code (`RESOURCE_DOES_NOT_EXIST` is HTTP 404 through
`mlflow server`, `RESOURCE_ALREADY_EXISTS` 400, ...), and people read the message, so a
missing model or version says exactly what MLflow's SQL store says. Bad input is refused
before it reaches modelreg by MLflow's own validators (`compat`), so those messages are
MLflow's too; what only modelreg refuses (a name that differs from another only by case,
a revision that does not exist, a policy) keeps modelreg's one-line message.
"""

from __future__ import annotations

from collections.abc import Callable

from modelreg import errors as mr
from modelreg.mlflow_plugin import compat

# modelreg's codes that MLflow spells otherwise.
_CODES = {
    mr.CONFLICT: "RESOURCE_CONFLICT",  # the registry moved or holds edits in the way: 409
}


def model_not_found(name: str) -> compat.MlflowException:
    return compat.error(f"Registered Model with name={name} not found", "RESOURCE_DOES_NOT_EXIST")


def version_not_found(name: str, version: object) -> compat.MlflowException:
    return compat.error(f"Model Version (name={name}, version={version}) not found",
                        "RESOURCE_DOES_NOT_EXIST")


def alias_not_found(alias: str) -> compat.MlflowException:
    # The SQL store's code for it, INVALID_PARAMETER_VALUE (not RESOURCE_DOES_NOT_EXIST).
    return compat.error(f"Registered model alias {alias} not found.", "INVALID_PARAMETER_VALUE")


def latest_not_found(name: str) -> compat.MlflowException:
    return compat.error(f"Latest version not found for model {name}.", "RESOURCE_DOES_NOT_EXIST")


def translate(
    exc: mr.ModelregError, not_found: Callable[[], compat.MlflowException | None] | None = None
) -> compat.MlflowException:
    """The MlflowException for `exc`. `not_found` gives the SQL store's error for what the
    call names and is missing now (it is asked only when `exc` is a NotFound)."""
    if isinstance(exc, mr.NotFound) and not_found is not None:
        found = not_found()
        if found is not None:
            return found
    return compat.error(exc.message, _CODES.get(exc.code, exc.code))


def read_only(at: str) -> compat.MlflowException:
    return compat.error(
        f"this registry is read as of {at[:12]} (?at= in the registry URI): it cannot be "
        "written", "INVALID_PARAMETER_VALUE")


def unsupported(what: str) -> compat.MlflowException:
    return compat.error(f"{what} is not supported by the modelreg registry store",
                        "NOT_IMPLEMENTED")
