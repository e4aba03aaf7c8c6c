"""A search as SQL over the index's tables (DESIGN §6): a prefilter, never the last word.

`modelreg.search` says what a search means: its Python evaluation over built values is the
reference, and `index/pages.py` applies it to every candidate this SQL returns. So a term here
may select more rows than its condition, never fewer:

- An attribute is a plain column holding the very value Python reads (`name`, `run_id`,
  `source`, the version number), so its term is exact. LIKE and ILIKE call the same regex as
  Python through the SQL function `modelreg_like` (SQLite's LIKE folds ASCII only, its GLOB
  stops at a NUL); a LIKE with a literal prefix is also a range, which the name index serves.
- A tag term selects the blobs whose tag row matches, plus the few whose rows may misstate
  their tags (`odd_tags`, see `write.odd_tags`). Only selective tag conditions (=, IN, a LIKE
  with a prefix) become terms; the others (!=, NOT IN, ILIKE, LIKE '%x') would make SQLite
  gather most blobs of a key first, so Python alone judges them while the candidates stream.

Where the candidates come from: the blobs of a selective condition (a run through
`versions_by_run`, or a tag's value: tag rows are ordered by key and value) when there is one,
else every model in name order. In name order the default sort costs nothing and SQLite stops
after the page; when every condition is an attribute it also skips the offset (`exact`), so a
page of an unfiltered search builds only that page. A sort by a manifest column (timestamps)
of every model's versions would cost SQLite a lookup per version, so such a select is left
unordered (`ordered` False) and sorted in Python over the built values, as before the index
answered searches.

MLflow's split of prompts from the rest (`Request.prompts`, which the MLflow plugin sets) is a
term too (`kind_term`): a tag row spelling `true` marks a prompt for sure, but a value that is
no string (a hand-written YAML `true`) only Python reads, so the term is never exact, and a
search with it always lets Python count the offset off (`exact` stays False).

Order keys are compared as Python compares them: text as UTF-8 bytes (code point order),
version numbers as integers; the order is total (name, then version).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import product
from typing import Any, NamedTuple

from modelreg.search import Request
from modelreg.search.evaluate import PROMPT_TAG, like_prefix
from modelreg.search.parser import Condition

_IN_MAX = 500  # longer IN lists are left to Python (SQLite caps a statement's parameters)

# Where each attribute and order key of `search.fields` lives (a test checks they all do).
VERSION_COLUMNS = {"name": "d.name", "run_id": "v.run_id", "source_path": "v.source",
                   "version_number": "f.version"}
VERSION_ORDER = {"name": "d.name", "version_number": "f.version",
                 "creation_timestamp": "v.created_at",
                 "last_updated_timestamp": "coalesce(nullif(v.updated_at, ''), v.created_at)"}
MODEL_COLUMNS = {"name": "d.name"}
MODEL_ORDER = {"name": "d.name", "creation_timestamp": "m.created_at",
               "last_updated_timestamp": "m.created_at"}


class Term(NamedTuple):
    """A SQL condition with its parameters; `exact` when it selects just the matches."""

    sql: str
    params: tuple[Any, ...]
    exact: bool


class Select(NamedTuple):
    """Candidates' rows, each starting with its blob."""

    sql: str
    params: tuple[Any, ...]
    exact: bool  # SQLite selects just the matches and applies offset and limit itself
    ordered: bool  # rows come in the request's order (else they are sorted in Python)


# -- one condition ------------------------------------------------------------------------

def value_term(column: str, op: str, value: Any) -> Term | None:
    """`column op value` in SQL; None when SQL cannot say it (Python alone decides)."""
    values = value if isinstance(value, tuple) else (value,)
    if len(values) > _IN_MAX or not all(map(_bindable, values)):
        return None
    if op in ("IN", "NOT IN"):
        return Term(f"{column} {op} ({', '.join('?' * len(values))})", values, True)
    if op == "LIKE":
        return _like_term(column, value)
    if op == "ILIKE":
        return Term(f"modelreg_like(?, 1, {column})", (value,), True)
    return Term(f"{column} {op} ?", (value,), True)


def _like_term(column: str, pattern: str) -> Term:
    prefix, whole = like_prefix(pattern)
    if whole:
        return Term(f"{column} = ?", (prefix,), True)
    match = f"modelreg_like(?, 0, {column})"
    if not prefix:
        return Term(match, (pattern,), True)
    upper = successor(prefix)
    if upper is None:
        return Term(f"{column} >= ? AND {match}", (prefix, pattern), True)
    return Term(f"{column} >= ? AND {column} < ? AND {match}", (prefix, upper, pattern), True)


def successor(text: str) -> str | None:
    """The least string above every string that starts with `text` (None: there is none)."""
    while text:
        code = ord(text[-1]) + 1
        if code == 0xD800:
            code = 0xE000  # surrogates are no characters of UTF-8 text
        if code <= 0x10FFFF:
            return text[:-1] + chr(code)
        text = text[:-1]
    return None


def _bindable(value: object) -> bool:
    """Whether SQLite can take the value (a lone surrogate cannot be UTF-8)."""
    if not isinstance(value, str) or value.isascii():
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def selective(condition: Condition) -> bool:
    """Whether an index finds the rows a condition on a tag or a run may select directly."""
    return condition.op in ("=", "IN") or (
        condition.op == "LIKE" and bool(like_prefix(str(condition.value))[0]))


def tag_blobs(table: str, condition: Condition) -> Term | None:
    """The blobs a selective tag condition may select: those whose row matches, and the odd
    ones. None for other conditions (Python judges them)."""
    if not selective(condition) or not _bindable(condition.tag):
        return None
    inner = value_term("value", condition.op, condition.value)
    if inner is None:
        return None
    sql = f"SELECT blob FROM {table} WHERE key = ? AND {inner.sql} UNION SELECT blob FROM odd_tags"
    return Term(sql, (condition.tag, *inner.params), False)


# Every text whose `lower()` is "true": no character but these lower-cases to t, r, u or e
# (a test checks it), so a prompt's tag row is found by primary key, not by a scan of `lower`.
_TRUE = tuple(sorted({"".join(c) for c in product(*zip("true", "TRUE", strict=True))}))


def kind_term(request: Request, table: str, blob: str) -> Term | None:
    """MLflow's split of prompts from the rest (`Request.prompts`), never exact. A tag row
    spelling `true` is a prompt for sure (a boolean is no text); a value that is no string
    (hand-written YAML `true`) only Python reads, so odd blobs stay candidates either way."""
    if request.prompts is None:
        return None
    rows = f"SELECT blob FROM {table} WHERE key = ? AND value IN ({', '.join('?' * len(_TRUE))})"
    params = (PROMPT_TAG, *_TRUE)
    if request.prompts:
        return Term(f"{blob} IN ({rows} UNION SELECT blob FROM odd_tags)", params, False)
    return Term(f"{blob} NOT IN ({rows})", params, False)


def attribute(columns: Mapping[str, str], condition: Condition) -> Term | None:
    assert condition.field is not None
    term = value_term(columns[condition.field], condition.op, condition.value)
    if term is not None and condition.field == "run_id":  # "" is no run: it matches nothing
        return Term(f"v.run_id != '' AND {term.sql}", term.params, True)
    return term


# -- a whole request ---------------------------------------------------------------------

def _terms(request: Request, conditions: list[Condition], columns: Mapping[str, str],
           table: str, blob: str) -> tuple[list[Term], bool]:
    """The WHERE terms of `conditions` (and of the prompts split), and whether they select
    just the matches."""
    kind = kind_term(request, table, blob)
    terms, exact = ([], True) if kind is None else ([kind], False)
    for condition in conditions:
        if condition.field is not None:
            term = attribute(columns, condition)
        else:
            sub = tag_blobs(table, condition)
            term = None if sub is None else Term(f"{blob} IN ({sub.sql})", sub.params, False)
        if term is not None:
            terms.append(term)
        exact = exact and term is not None and term.exact
    return terms, exact


def _order(request: Request, columns: Mapping[str, str]) -> str:
    return ", ".join(f"{columns[k.key]} {'ASC' if k.ascending else 'DESC'}" for k in request.keys)


def _finish(head: Term, terms: list[Term], order: str | None, request: Request) -> Select:
    where = "".join(f" AND ({t.sql})" for t in terms)
    params = head.params + tuple(p for t in terms for p in t.params)
    if order is None:
        return Select(f"{head.sql}{where}", params, False, False)
    sql = f"{head.sql}{where} ORDER BY {order}"
    if head.exact and all(t.exact for t in terms):
        return Select(f"{sql} LIMIT ? OFFSET ?", (*params, request.limit + 1, request.offset),
                      True, True)
    return Select(sql, params, False, True)


def _state_only(texts: list[str]) -> bool:
    """Whether SQL text reads only the state tables (`d.`, `f.`), no manifest row."""
    return not any(_MANIFEST_COLUMN.search(text) for text in texts)


_MANIFEST_COLUMN = re.compile(r"\b[vm]\.")  # `v.` version_manifests, `m.` model_manifests


_VERSION_OUT = "SELECT f.blob, d.dir, f.version, d.aliases_blob FROM "
_BY_DIRS = "dirs d CROSS JOIN files f ON f.dir = d.dir"
_WITH_MANIFEST = " CROSS JOIN version_manifests v ON v.blob = f.blob"
_BY_BLOBS = ("({}) h CROSS JOIN version_manifests v ON v.blob = h.blob"
             " CROSS JOIN dirs d ON d.name = v.name"
             " CROSS JOIN files f ON f.dir = d.dir AND f.version = v.version AND f.blob = h.blob")
_LIVE = " WHERE d.name IS NOT NULL AND f.live = 1"


def version_select(request: Request) -> Select:
    """The candidates' (blob, dir, version, aliases blob)."""
    conditions = list(request.conditions)
    driver = _version_driver(conditions)
    if driver is not None:
        conditions.remove(driver[0])
    terms, exact = _terms(request, conditions, VERSION_COLUMNS, "version_tags", "f.blob")
    order = _order(request, VERSION_ORDER)
    if driver is not None:
        blobs = driver[1]
        head = Term(_VERSION_OUT + _BY_BLOBS.format(blobs.sql) + _LIVE, blobs.params,
                    blobs.exact and exact)
        return _finish(head, terms, order, request)
    ordered = _state_only([order])
    manifest = not _state_only([t.sql for t in terms])
    head = Term(_VERSION_OUT + _BY_DIRS + (_WITH_MANIFEST if manifest else "") + _LIVE, (),
                exact)
    return _finish(head, terms, order if ordered else None, request)


def _version_driver(conditions: list[Condition]) -> tuple[Condition, Term] | None:
    """The condition to start from, and the subquery of its candidate blobs: a run (a few
    versions each), else a tag's value."""
    for condition in conditions:
        if condition.field == "run_id" and condition.op in ("=", "IN"):
            term = attribute(VERSION_COLUMNS, condition)
            if term is not None:
                sql = f"SELECT v.blob FROM version_manifests v WHERE {term.sql}"
                return condition, Term(sql, term.params, True)
    for condition in conditions:
        blobs = tag_blobs("version_tags", condition) if condition.field is None else None
        if blobs is not None:
            return condition, blobs
    return None


_MODEL_OUT = "SELECT d.model_blob, d.dir, d.aliases_blob FROM "
_MODEL_BY_BLOBS = ("({}) h CROSS JOIN model_manifests m ON m.blob = h.blob"
                   " CROSS JOIN dirs d ON d.name = m.name AND d.model_blob = h.blob")


def model_select(request: Request) -> Select:
    """The candidates' (model blob, dir, aliases blob)."""
    conditions = list(request.conditions)
    driver = next(((c, t) for c in conditions if c.field is None
                   if (t := tag_blobs("model_tags", c)) is not None), None)
    if driver is not None:
        conditions.remove(driver[0])
    terms, exact = _terms(request, conditions, MODEL_COLUMNS, "model_tags", "d.model_blob")
    order = _order(request, MODEL_ORDER)
    if driver is not None:
        source = _MODEL_BY_BLOBS.format(driver[1].sql)
        head = Term(f"{_MODEL_OUT}{source} WHERE d.name IS NOT NULL", driver[1].params, False)
        return _finish(head, terms, order, request)
    head = Term(f"{_MODEL_OUT}dirs d WHERE d.name IS NOT NULL", (), exact)
    return _finish(head, terms, order if _state_only([order]) else None, request)
