"""The store's searches: MLflow's grammar, defaults, limits and words; modelreg evaluates.

A filter is parsed by MLflow first (so bad syntax is MLflow's error), then prepared by
`modelreg.search` and answered by the registry's read index, as `Registry.search_*` are: SQL
selects and orders the candidates, and only the page's hits are built (issue #5). As in
MLflow's SQL store: versions come newest-updated first unless `order_by` says otherwise,
deleted versions never match, prompts (models and versions tagged
`mlflow.prompt.is_prompt = 'true'`) match only a filter that asks for them (`Request.prompts`,
which the index's SQL knows too), and `max_results` defaults to 10,000 versions and 100 models.
"""

from __future__ import annotations

from typing import Any

from modelreg.mlflow_plugin import compat, entities
from modelreg.mlflow_plugin.core import StoreCore


class SearchMixin(StoreCore):
    def search_model_versions(
        self, filter_string: str | None = None, max_results: Any = None,
        order_by: list[str] | None = None, page_token: str | None = None,
    ) -> compat.PagedList[Any]:
        from modelreg import search

        limit = _version_limit(max_results)
        # MLflow's errors for what it cannot parse, then for what its SQL store refuses
        compat.check_version_filter(compat.parse_version_filter(filter_string))
        order = _version_order(list(order_by or compat.DEFAULT_VERSION_ORDER))
        with self.calling(read=True) as reg:  # modelreg's errors as MLflow's from here
            filter_string, prompts = _prompts_apart(filter_string, "versions")
            request = search.prepare(search.VERSIONS, filter_string, order_by=order,
                                     max_results=limit, page_token=page_token, prompts=prompts)
            page = reg.versions_page(request)
            return compat.PagedList([entities.model_version(mv) for mv in page], page.token)

    def search_registered_models(
        self, filter_string: str | None = None, max_results: Any = None,
        order_by: list[str] | None = None, page_token: str | None = None,
    ) -> compat.PagedList[Any]:
        from modelreg import search

        limit = _model_limit(max_results)
        compat.check_model_filter(compat.parse_model_filter(filter_string))
        order = _model_order(list(order_by or []))
        with self.calling(read=True) as reg:
            filter_string, prompts = _prompts_apart(filter_string, "models")
            request = search.prepare(search.MODELS, filter_string, order_by=order,
                                     max_results=limit, page_token=page_token, prompts=prompts)
            page = reg.models_page(request)  # each with its latest version per stage
            return compat.PagedList([entities.registered_model(rm) for rm in page], page.token)


def _prompts_apart(filter_string: str | None, kind: str) -> tuple[str, bool]:
    """The filter without its clauses on the prompt tag, and whether it asks for prompts.

    MLflow's client adds `tag.`mlflow.prompt.is_prompt` != 'true'` to every model search;
    as in MLflow's SQL store, a search asks for prompts with `= 'true'` (or `!= 'false'`),
    any other leaves them out, and the prompt-tag clauses themselves are then dropped (a
    model without the tag matches no comparison on it)."""
    from modelreg import search

    conditions = search.parse_filter(filter_string, kind)
    prompt = [c for c in conditions if c.field is None and c.tag == compat.IS_PROMPT_TAG_KEY]
    rest = [c for c in conditions if c not in prompt]
    asks = bool(prompt) and _asks_for_prompts(prompt[0])
    return " AND ".join(_render(c) for c in rest), asks


def _asks_for_prompts(condition: Any) -> bool:
    value = str(condition.value).lower()
    return (condition.op == "=" and value == "true") or (condition.op == "!=" and value == "false")


def _render(condition: Any) -> str:
    """A condition as filter text that modelreg parses back to the same condition."""
    if condition.field is None:
        target = "tags.`" + str(condition.tag).replace("`", "``") + "`"
    else:
        target = str(condition.field)
    value = condition.value
    if isinstance(value, tuple):
        return f"{target} {condition.op} ({', '.join(_literal(v) for v in value)})"
    return f"{target} {condition.op} {_literal(value)}"


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return repr(value)


def _version_limit(max_results: Any) -> int:
    if max_results is None:
        return compat.SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise compat.error("Invalid value for max_results. It must be a positive integer,"
                           f" but got {max_results}", "INVALID_PARAMETER_VALUE")
    return _at_most(max_results, compat.SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD)


def _model_limit(max_results: Any) -> int:
    if max_results is None:
        return compat.SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise compat.error("Invalid value for max_results. It must be a positive integer,"
                           f" but got {max_results}", "INVALID_PARAMETER_VALUE")
    return _at_most(max_results, compat.SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD)


def _at_most(max_results: int, threshold: int) -> int:
    if max_results > threshold:
        raise compat.error("Invalid value for request parameter max_results. It must be at "
                           f"most {threshold}, but got value {max_results}",
                           "INVALID_PARAMETER_VALUE")
    return max_results


def _version_order(order_by: list[str]) -> list[str]:
    """MLflow's parse and checks of a version search's order_by, in modelreg's spelling."""
    seen: set[str] = set()
    out = []
    for clause in order_by:
        key, ascending = compat.version_order_key(clause)
        if key not in compat.VERSION_ORDER_KEYS:
            raise compat.error(f"Invalid order by key '{key}' specified. Valid keys are "
                               f"{set(compat.VERSION_ORDER_KEYS)}", "INVALID_PARAMETER_VALUE")
        _once(key, seen, order_by)
        out.append(f"{key} {'ASC' if ascending else 'DESC'}")
    return out


def _model_order(order_by: list[str]) -> list[str]:
    """The same for models: `timestamp` and `last_updated_timestamp` are one key."""
    seen: set[str] = set()
    out = []
    for clause in order_by:
        key, ascending = compat.model_order_key(clause)
        if key != "name" and key not in compat.MODEL_TIMESTAMP_KEYS:
            raise compat.error(f"Invalid order by key '{key}' specified.Valid keys are "
                               f"'{compat.MODEL_ORDER_HINT}'", "INVALID_PARAMETER_VALUE")
        field = "name" if key == "name" else "last_updated_timestamp"
        _once(field, seen, order_by)
        out.append(f"{field} {'ASC' if ascending else 'DESC'}")
    return out


def _once(field: str, seen: set[str], order_by: list[str]) -> None:
    if field in seen:
        raise compat.error(f"`order_by` contains duplicate fields: {order_by}")
    seen.add(field)
