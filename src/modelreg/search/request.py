"""One search, checked and ready to answer by whoever holds the records.

`prepare` does everything that needs no record: max_results, the filter, order_by, the query's
fingerprint and the page token's offset, in that order, so a bad search is refused before any
record is read. A `Request` is then answered either here, over records in memory (`run`), or
by the read index, which translates it into SQL (`modelreg.index.query`). Both hand `page` the
matches from `offset` on in the request's order: at most `limit` + 1 of them, the extra one only
saying that a next page exists. So the two give the same page and the same token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from modelreg.search.evaluate import Predicate, compile_conditions, kind_predicate, select
from modelreg.search.fields import SCHEMAS, OrderKey, Schema
from modelreg.search.order import parse_order_by, sort
from modelreg.search.paging import Page, check_max_results, fingerprint, make_token, read_token
from modelreg.search.parser import Condition, parse

R = TypeVar("R")


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What to match (`conditions`, all of them), in which order (`keys`, a total order: the
    schema's tie-breakers are appended), and which slice: `limit` matches from `offset`.
    `prompts` is MLflow's split of models and versions into prompts and the rest (True: only
    prompts, False: none; see `evaluate.is_prompt`); modelreg's own searches leave it None."""

    schema: Schema
    conditions: tuple[Condition, ...]
    keys: tuple[OrderKey, ...]
    offset: int
    limit: int
    query: str  # the fingerprint page tokens carry
    prompts: bool | None = None

    def predicate(self) -> Predicate | None:
        """What a record must pass to match (None: every record matches), in both engines."""
        conditions = compile_conditions(self.conditions, self.schema) if self.conditions else None
        return conditions if self.prompts is None else kind_predicate(self.prompts, conditions)

    def run(self, records: Iterable[R]) -> Page[R]:
        """The page over records in memory (in any order: the order is total)."""
        matches = select(records, self.predicate())
        sort(matches, self.keys, self.schema)
        return self.page(matches[self.offset : self.offset + self.limit + 1])

    def page(self, found: Sequence[R]) -> Page[R]:
        """The page of `found`: the matches from `offset` on, in order, up to `limit` + 1."""
        more = len(found) > self.limit
        end = self.offset + self.limit
        return Page(found[: self.limit], make_token(end, self.query) if more else None)


def prepare(
    schema: Schema,
    filter_string: str | None,
    *,
    order_by: Sequence[str] | None = None,
    max_results: int | None = None,
    page_token: str | None = None,
    prompts: bool | None = None,
) -> Request:
    """The checked request; raises InvalidParameter naming the bad part. `prompts`: see
    `Request` (the MLflow plugin's searches set it)."""
    limit = check_max_results(max_results, schema)
    conditions = parse_conditions(filter_string or "", schema.kind)
    keys = parse_order_by(order_by, schema)
    query = fingerprint(schema, conditions, keys, prompts=prompts)
    offset = read_token(page_token, query)
    return Request(schema=schema, conditions=conditions, keys=keys, offset=offset,
                   limit=limit, query=query, prompts=prompts)


@lru_cache(maxsize=256)
def parse_conditions(filter_string: str, kind: str) -> tuple[Condition, ...]:
    """Parsed once per process and filter (a service answers the same searches again)."""
    return parse(filter_string, SCHEMAS[kind])
