"""The one module that touches MLflow's internals (issue #4).

Everything the plugin needs from MLflow beyond its public entities comes through here: the
store base class, the validators whose messages MLflow's SQL store gives, the stage rules,
the filter and order_by parsers and the prompt tag. When a name moves between MLflow releases,
this module follows it (with a fallback that says the same words), and the rest of the plugin
does not change. Tested against the MLflow the `test` extra pins; the `mlflow` extra accepts
the 3.x line.
"""

from __future__ import annotations

from typing import Any

import mlflow.entities.model_registry as _entities
import mlflow.entities.model_registry.model_version_stages as _stages
import mlflow.utils.search_utils as _search
import mlflow.utils.validation as _validation_module
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ErrorCode
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.model_registry.abstract_store import AbstractStore

# MLflow's untyped names, reached through Any (mypy strict calls no untyped function).
_validation: Any = _validation_module
_S: Any = _stages
_SEARCH: Any = _search
ModelVersionTag: Any = _entities.ModelVersionTag
RegisteredModelTag: Any = _entities.RegisteredModelTag
RegisteredModelAlias: Any = _entities.RegisteredModelAlias

try:
    from mlflow.prompt.constants import IS_PROMPT_TAG_KEY
except ImportError:  # pragma: no cover - before the prompt registry moved
    IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"

try:
    import mlflow.store.model_registry as _limits

    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT: int = _limits.SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD: int = (
        _limits.SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD)
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT: int = (
        _limits.SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT)
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD: int = (
        _limits.SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD)
except AttributeError:  # pragma: no cover
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10_000
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD = 200_000
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD = 1_000

# MLflow's SQL store orders versions this way when no order_by is given.
DEFAULT_VERSION_ORDER = ("last_updated_timestamp DESC", "name ASC", "version_number DESC")
ACTIVE_STAGES: tuple[str, ...] = tuple(_S.DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS)
STAGES: tuple[str, ...] = tuple(_S.ALL_STAGES)

__all__ = [
    "IS_PROMPT_TAG_KEY",
    "SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT",
    "SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD",
    "SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT",
    "SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD",
    "AbstractStore",
    "MlflowException",
    "ModelVersion",
    "ModelVersionTag",
    "PagedList",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
]


def error(message: str, code: str = "INTERNAL_ERROR") -> MlflowException:
    """An MlflowException with the error code named `code` (`RESOURCE_DOES_NOT_EXIST`, ...)."""
    try:
        number = ErrorCode.Value(code)
    except ValueError:
        number = ErrorCode.Value("INTERNAL_ERROR")
    return MlflowException(message, error_code=number)


def code_of(exc: MlflowException) -> str:
    return str(exc.error_code)


# ---------------------------------------------------------------- MLflow's validators


def validate_model_name(name: Any) -> None:
    _validation._validate_model_name(name)


def validate_new_name(new_name: Any) -> None:
    _validation._validate_model_renaming(new_name)


def validate_version(version: Any) -> int:
    number: int = _validation._validate_model_version(version)
    return number


def validate_alias(alias: Any, *, reserved: bool) -> None:
    _validation._validate_model_alias_name(alias)
    if reserved:
        _validation._validate_model_alias_name_reserved(alias)


def validate_model_tag(key: Any, value: Any) -> None:
    _validation._validate_registered_model_tag(key, value)


def validate_version_tag(key: Any, value: Any) -> None:
    _validation._validate_model_version_tag(key, value)


def validate_tag_key(key: Any) -> None:
    _validation._validate_tag_name(key)


def canonical_stage(stage: Any) -> str:
    """`production` -> `Production`; MLflow's error for a stage it does not know."""
    if not isinstance(stage, str):
        raise error(f"Invalid Model Version stage: {stage}. Value must be one of "
                    f"{', '.join(STAGES)}.", "INVALID_PARAMETER_VALUE")
    canonical: str = _S.get_canonical_stage(stage)
    return canonical


def already_exists(name: str, *, existing_is_prompt: bool, new_is_prompt: bool) -> MlflowException:
    """The SQL store's words for a taken name (a model, a prompt, or one of each)."""
    old = "Prompt" if existing_is_prompt else "Registered Model"
    new = "Prompt" if new_is_prompt else "Registered Model"
    if old != new:
        return error(
            f"Tried to create a {new.lower()} with name {name!r}, but the name is already "
            f"taken by a {old.lower()}. MLflow does not allow creating a model and a prompt "
            "with the same name.", "RESOURCE_ALREADY_EXISTS")
    return error(f"{new} (name={name}) already exists.", "RESOURCE_ALREADY_EXISTS")


# ---------------------------------------------------------------- search grammar


def parse_version_filter(filter_string: str | None) -> list[dict[str, Any]]:
    """MLflow's parse of a model-version filter (its own errors for bad syntax)."""
    utils = _SEARCH.SearchModelVersionUtils
    parsed: list[dict[str, Any]] = utils.parse_search_filter(filter_string)
    return parsed


def parse_model_filter(filter_string: str | None) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = _SEARCH.SearchModelUtils.parse_search_filter(filter_string)
    return parsed


_TAG_COMPARATORS = ("=", "!=", "LIKE", "ILIKE")
_MODEL_NAME_COMPARATORS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")


def check_version_filter(parsed: list[dict[str, Any]]) -> None:
    """The checks MLflow's SQL store makes after parsing a version filter (its parser lets
    `name ~ 'x'` or `version_number = 'abc'` through), with its words."""
    utils = _SEARCH.SearchModelVersionUtils
    for clause in parsed:
        key, comparator, value = clause["key"], clause["comparator"], clause["value"]
        if clause["type"] == "tag":
            _check_tag_comparator(comparator)
        elif key not in utils.VALID_SEARCH_ATTRIBUTE_KEYS:
            raise error(f"Invalid attribute name: {key}", "INVALID_PARAMETER_VALUE")
        elif key in utils.NUMERIC_ATTRIBUTES:
            if comparator not in utils.VALID_NUMERIC_ATTRIBUTE_COMPARATORS:
                raise error(f"Invalid comparator for attribute {key}: {comparator}",
                            "INVALID_PARAMETER_VALUE")
            _check_whole_number(key, value)
        elif comparator not in utils.VALID_STRING_ATTRIBUTE_COMPARATORS or (
                comparator in ("IN", "NOT IN") and key not in ("run_id", "name")):
            raise error(f"Invalid comparator for attribute: {comparator}",
                        "INVALID_PARAMETER_VALUE")


def check_model_filter(parsed: list[dict[str, Any]]) -> None:
    """The same for a registered-model filter: `name` and tags only."""
    for clause in parsed:
        key, comparator = clause["key"], clause["comparator"]
        if clause["type"] == "tag":
            _check_tag_comparator(comparator)
        elif key != "name":
            raise error(f"Invalid attribute name: {key}", "INVALID_PARAMETER_VALUE")
        elif comparator not in _MODEL_NAME_COMPARATORS:
            raise error(f"Invalid comparator for attribute: {comparator}",
                        "INVALID_PARAMETER_VALUE")


def _check_tag_comparator(comparator: str) -> None:
    if comparator not in _TAG_COMPARATORS:
        raise error(f"Invalid comparator for tag: {comparator}", "INVALID_PARAMETER_VALUE")


def _check_whole_number(key: str, value: Any) -> None:
    try:
        if isinstance(value, float):
            raise ValueError(value)
        int(value)
    except (TypeError, ValueError):
        raise error(f"Invalid value for numeric attribute '{key}': {value!r}",
                    "INVALID_PARAMETER_VALUE") from None


def version_order_key(clause: str) -> tuple[str, bool]:
    """(key, ascending) of one order_by clause of a version search, MLflow's parse."""
    utils = _SEARCH.SearchModelVersionUtils
    _, key, ascending = utils.parse_order_by_for_search_model_versions(clause)
    return str(key), bool(ascending)


def model_order_key(clause: str) -> tuple[str, bool]:
    key, ascending = _SEARCH.SearchUtils.parse_order_by_for_search_registered_models(clause)
    return str(key), bool(ascending)


VERSION_ORDER_KEYS: frozenset[str] = frozenset(
    _SEARCH.SearchModelVersionUtils.VALID_ORDER_BY_ATTRIBUTE_KEYS)
MODEL_TIMESTAMP_KEYS: frozenset[str] = frozenset(
    _SEARCH.SearchUtils.VALID_TIMESTAMP_ORDER_BY_KEYS)
MODEL_ORDER_HINT = str(_SEARCH.SearchUtils.RECOMMENDED_ORDER_BY_KEYS_REGISTERED_MODELS)


# ---------------------------------------------------------------- the server's request


def server_tracking_uri() -> str | None:
    """Inside `mlflow server`: its backend store, which is the tracking store sources
    (`runs:/`, `models:/m-...`) are resolved in. MLflow passes it to its workers in an
    environment variable; elsewhere None."""
    import os

    try:
        from mlflow.server.constants import BACKEND_STORE_URI_ENV_VAR
    except ImportError:  # pragma: no cover
        BACKEND_STORE_URI_ENV_VAR = "_MLFLOW_SERVER_FILE_STORE"
    return os.environ.get(BACKEND_STORE_URI_ENV_VAR) or None


def request_user() -> str | None:
    """The authenticated user of the `mlflow server` request being answered, if any (basic
    auth, as MLflow's auth app checks it); None outside a request or without credentials."""
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover - mlflow always brings flask
        return None
    if not has_request_context():
        return None
    auth = request.authorization
    name = getattr(auth, "username", None) if auth is not None else None
    return str(name) if name else None
