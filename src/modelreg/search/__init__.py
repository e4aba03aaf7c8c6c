"""MLflow's Model Registry search over modelreg's records: filter strings, order_by, paging.

Mirrors `MlflowClient.search_model_versions` and `search_registered_models` (MLflow's
`SearchModelVersionUtils` / `SearchModelUtils` grammar). What we accept:

- Versions: `name`, `run_id`, `source_path` (=, !=, LIKE, ILIKE, IN, NOT IN),
  `version_number` (=, !=, <, <=, >, >=, IN, NOT IN; an integer, quoted or not), and
  `tags.<key>` (=, !=, LIKE, ILIKE, IN, NOT IN). Models: `name` and `tags.<key>`.
- `attribute.`/`attributes.` before an attribute, `tag.` for `tags.`; tag keys bare, in
  backquotes or in double quotes. Comparisons are joined by AND (any case); OR and
  parentheses for grouping are refused with a message saying so.

Where we differ from MLflow, on purpose:

- A superset of operators: MLflow takes IN only on `run_id`, none on tags, and ranges on
  `version_number` only; we take IN/NOT IN on every attribute and tag, which is never ambiguous.
- LIKE patterns are SQL's: regex metacharacters are literal (MLflow's file store leaks them
  into a regex), and a backslash escapes `%`, `_` or itself.
- Default order of versions: `name ASC, version_number DESC` (each model's newest version
  first), which is MLflow's file store order and the tie-breaker of its SQL store. The SQL
  store puts `last_updated_timestamp DESC` first; we do not, because `updated_at` moves on
  every tag or description edit (reshuffling pages between calls), comes from whichever
  machine's clock made the commit, and aliases and stages (kept in `aliases.yaml`) do not touch
  it at all. Ask for it explicitly: `order_by=["last_updated_timestamp DESC"]`.
- Registered models have no update time in `model.yaml`: their `last_updated_timestamp` is
  their creation time.

Defaults and limits are MLflow's: max_results 10,000 versions (at most 200,000) and 100 models
(at most 1,000). Ties are always broken by name, then version number (descending), so pages
never overlap or skip. A filter is parsed and validated before any record is read.

`prepare` checks a search into a `Request`; `Request.run` answers it over records in memory,
and the read index answers the same request in SQL (`modelreg.index.query`), building only
the candidates and checking each with the predicate compiled here: one meaning, two engines.
The MLflow plugin prepares its requests with `prompts=` (MLflow keeps prompts out of searches
that do not ask for them); both engines apply that split too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from modelreg.model import ModelVersion, RegisteredModel
from modelreg.search.evaluate import like_regex
from modelreg.search.fields import (
    MODELS,
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
    VERSIONS,
)
from modelreg.search.paging import Page
from modelreg.search.parser import Condition
from modelreg.search.request import Request, parse_conditions, prepare

__all__ = [
    "MODELS",
    "SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT",
    "SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD",
    "SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT",
    "SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD",
    "VERSIONS",
    "Condition",
    "Page",
    "Request",
    "like_regex",
    "parse_filter",
    "prepare",
    "search_models",
    "search_versions",
]


def search_versions(
    records: Iterable[ModelVersion],
    filter_string: str | None,
    *,
    order_by: Sequence[str] | None = None,
    max_results: int | None = None,
    page_token: str | None = None,
) -> Page[ModelVersion]:
    """MlflowClient.search_model_versions over `records` (live versions; may be lazy)."""
    request = prepare(VERSIONS, filter_string, order_by=order_by, max_results=max_results,
                      page_token=page_token)
    return request.run(records)


def search_models(
    models: Iterable[RegisteredModel],
    filter_string: str | None,
    *,
    order_by: Sequence[str] | None = None,
    max_results: int | None = None,
    page_token: str | None = None,
) -> Page[RegisteredModel]:
    """MlflowClient.search_registered_models over `models` (may be lazy)."""
    request = prepare(MODELS, filter_string, order_by=order_by, max_results=max_results,
                      page_token=page_token)
    return request.run(models)


def parse_filter(filter_string: str | None, kind: str = "versions") -> tuple[Condition, ...]:
    """The conditions of a filter string (`kind` is "versions" or "models"); raises
    InvalidParameter naming the bad part. Useful to validate a filter before searching."""
    return parse_conditions(filter_string or "", kind)
