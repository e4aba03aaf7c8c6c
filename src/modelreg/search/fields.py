"""What can be searched and ordered: MLflow's attributes for model versions and models.

A `Schema` is the table the parser, the evaluator and the sorter read, so the grammar for
versions and for models is one piece of code with two tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from modelreg.model import ModelVersion, RegisteredModel

# MLflow's limits (mlflow/store/model_registry/__init__.py).
SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10_000
SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD = 200_000
SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD = 1_000

STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN")
TAG_PREFIXES = ("tags", "tag")
ATTRIBUTE_PREFIXES = ("attribute", "attributes")

Value = str | int
Getter = Callable[[Any], Any]


class Field(NamedTuple):
    """A filterable attribute: how to read it from a record, and whether it is a number."""

    get: Getter
    numeric: bool = False


class OrderKey(NamedTuple):
    key: str
    ascending: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    kind: str
    fields: Mapping[str, Field]
    order_keys: Mapping[str, Getter]
    default_order: tuple[OrderKey, ...]
    tiebreak: tuple[OrderKey, ...]
    max_results_default: int
    max_results_threshold: int

    def ops(self, field: str | None) -> tuple[str, ...]:
        """The operators a field takes (`None` is a tag)."""
        return NUMBER_OPS if field is not None and self.fields[field].numeric else STRING_OPS

    def attributes_hint(self) -> str:
        return f"attributes: {', '.join(self.fields)}, tags.<key>"

    def order_hint(self) -> str:
        return f"keys: {', '.join(self.order_keys)}, each optionally followed by ASC or DESC"


def _run_id(mv: ModelVersion) -> str | None:
    return mv.run_id or None  # "" is "no run": like MLflow's NULL, it matches no comparison


def _version_updated(mv: ModelVersion) -> str:
    return mv.updated_at or mv.created_at


VERSIONS = Schema(
    kind="versions",
    fields={
        "name": Field(attrgetter("name")),
        "run_id": Field(_run_id),
        "version_number": Field(attrgetter("version"), numeric=True),
        "source_path": Field(attrgetter("source")),
    },
    order_keys={
        "name": attrgetter("name"),
        "version_number": attrgetter("version"),
        "creation_timestamp": attrgetter("created_at"),
        "last_updated_timestamp": _version_updated,
    },
    default_order=(OrderKey("name", True), OrderKey("version_number", False)),
    tiebreak=(OrderKey("name", True), OrderKey("version_number", False)),
    max_results_default=SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    max_results_threshold=SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
)


def _model_created(model: RegisteredModel) -> str:
    return model.created_at


MODELS = Schema(
    kind="models",
    fields={"name": Field(attrgetter("name"))},
    order_keys={
        "name": attrgetter("name"),
        "creation_timestamp": _model_created,
        # model.yaml records no update time: a model's edits live in Git history only.
        "last_updated_timestamp": _model_created,
    },
    default_order=(OrderKey("name", True),),
    tiebreak=(OrderKey("name", True),),
    max_results_default=SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    max_results_threshold=SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)

SCHEMAS = {s.kind: s for s in (VERSIONS, MODELS)}
