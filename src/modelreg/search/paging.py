"""Pages and page tokens.

A token is urlsafe base64 (unpadded) of `{"offset": n, "query": fingerprint}`. The
fingerprint hashes what was searched (kind, conditions, order), so a token handed to another
search is refused instead of silently skipping records. It does not include max_results: as in
MLflow, the page size may change from one page to the next. Offsets count matches in the
current state: a registry that changes between pages may shift what the next page holds,
exactly as with MLflow's offset tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from typing import Any, TypeVar

from modelreg.errors import InvalidParameter
from modelreg.search.fields import OrderKey, Schema
from modelreg.search.parser import Condition

T = TypeVar("T")


class Page(list[T]):
    """One page of search results and the token of the next page (`None` on the last page),
    like MLflow's `PagedList`."""

    def __init__(self, items: Iterable[T] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token

    def __repr__(self) -> str:
        return f"Page({list.__repr__(self)}, token={self.token!r})"


def check_max_results(max_results: object, schema: Schema) -> int:
    if max_results is None:
        return schema.max_results_default
    limit = schema.max_results_threshold
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise InvalidParameter(f"invalid max_results {max_results!r}: must be a positive "
                               f"integer, at most {limit}")
    if max_results > limit:
        raise InvalidParameter(f"invalid max_results {max_results}: at most {limit} "
                               f"{schema.kind} a page (page through the rest with page_token)")
    return max_results


def fingerprint(schema: Schema, conditions: tuple[Condition, ...],
                keys: tuple[OrderKey, ...], *, prompts: bool | None = None) -> str:
    """What a token is for; a search that splits prompts off says which side it is on (and
    one that does not keeps the fingerprint it always had)."""
    what: list[object] = [schema.kind, sorted(c.canonical() for c in conditions),
                          [list(k) for k in keys]]
    if prompts is not None:
        what.append({"prompts": prompts})
    text = json.dumps(what, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_token(offset: int, query: str) -> str:
    raw = json.dumps({"offset": offset, "query": query}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def read_token(token: str | None, query: str) -> int:
    """The offset a token carries; 0 without a token."""
    if not token:
        return 0
    payload = _decode(token)
    offset = payload.get("offset") if isinstance(payload, dict) else None
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise _bad(token, "not a page token modelreg issued (start again without page_token)")
    if payload.get("query") != query:
        raise _bad(token, "it was issued for a different filter or order_by (pass the token "
                          "from the previous page of this same search)")
    return offset


def _decode(token: object) -> Any:
    if not isinstance(token, str):
        raise _bad(token, "expected a string from a previous page's .token")
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        return json.loads(raw)
    except (binascii.Error, ValueError):
        raise _bad(token, "not a page token modelreg issued (start again without "
                          "page_token)") from None


def _bad(token: object, why: str) -> InvalidParameter:
    shown = token if not isinstance(token, str) or len(token) <= 40 else token[:39] + "…"
    return InvalidParameter(f"invalid page token {shown!r}: {why}")
