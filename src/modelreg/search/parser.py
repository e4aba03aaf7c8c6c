"""MLflow's filter grammar: comparisons joined by AND.

    filter     := comparison (AND comparison)*
    comparison := target op value | target [NOT] IN '(' value (',' value)* ')'
    target     := attribute | attribute.<attribute> | attributes.<attribute>
                | tags.<key> | tag.<key>
    op         := = | != | < | <= | > | >= | LIKE | ILIKE

Keywords are case-insensitive; attribute names and prefixes are not (as in MLflow).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelreg.errors import InvalidParameter
from modelreg.search.fields import ATTRIBUTE_PREFIXES, TAG_PREFIXES, Schema, Value
from modelreg.search.lexer import Token, fragment, invalid, tokenize

_EXAMPLE = "name = 'fraud'"
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """One comparison. `field` is an attribute name, or None with `tag` set. IN lists are
    sorted tuples, so a condition's repr is the same in every process (page tokens)."""

    field: str | None
    tag: str | None
    op: str
    value: Value | tuple[Value, ...]

    def canonical(self) -> str:
        target = f"tags.{self.tag}" if self.field is None else self.field
        return f"{target} {self.op} {self.value!r}"


def parse(text: str | None, schema: Schema) -> tuple[Condition, ...]:
    if text is None or not text.strip():
        return ()
    return _Parser(text, tokenize(text), schema).conditions()


class _Parser:
    def __init__(self, text: str, tokens: list[Token], schema: Schema) -> None:
        self.text, self.tokens, self.schema, self.i = text, tokens, schema, 0

    def conditions(self) -> tuple[Condition, ...]:
        out = [self.comparison()]
        while (tok := self.next()) is not None:
            if tok.kind == "kw" and tok.value == "OR":
                raise self.error("OR is not supported: join conditions with AND, or run one "
                                 "search per alternative")
            if not (tok.kind == "kw" and tok.value == "AND"):
                raise self.error(f"expected AND or the end, found {fragment(self.text, tok.pos)}")
            out.append(self.comparison())
        return tuple(out)

    def comparison(self) -> Condition:
        tok = self.next()
        if tok is not None and tok.kind == "punct" and tok.value == "(":
            raise self.error("parentheses are not supported: join comparisons with AND")
        if tok is None or tok.kind != "ident":
            raise self.error(f"expected a comparison like {_EXAMPLE}, found {self.at(tok)} "
                             f"({self.schema.attributes_hint()})")
        field, tag = self.target(tok)
        target = f"tags.{tag}" if field is None else field
        op = self.operator(field, target)
        if op in ("IN", "NOT IN"):
            items = self.value_list(field, target, op)
            return Condition(field=field, tag=tag, op=op, value=items)
        return Condition(field=field, tag=tag, op=op, value=self.value(field, target, op))

    def target(self, tok: Token) -> tuple[str | None, str | None]:
        if tok.tail is None:
            return self.attribute(tok.value), None
        if tok.value in TAG_PREFIXES:
            return None, tok.tail
        if tok.value in ATTRIBUTE_PREFIXES:
            return self.attribute(tok.tail), None
        raise self.error(f"unknown prefix {tok.value!r} in {tok.value}.{tok.tail} "
                         f"(prefixes: tags., attribute.; {self.schema.attributes_hint()})")

    def attribute(self, name: str) -> str:
        if name in self.schema.fields:
            return name
        from difflib import get_close_matches

        close = get_close_matches(name, list(self.schema.fields), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise self.error(f"unknown attribute {name!r} ({self.schema.attributes_hint()}{hint})")

    def operator(self, field: str | None, target: str) -> str:
        allowed = self.schema.ops(field)
        tok = self.next()
        op = None
        if tok is not None and (tok.kind == "op" or tok.kind == "kw"):
            op = tok.value
            if op == "NOT" and self.peek("kw", "IN"):
                self.i += 1
                op = "NOT IN"
        if op not in allowed:
            what = f"{op!r} is not an operator for {target}" if op else (
                f"expected an operator after {target}, found {self.at(tok)}")
            raise self.error(f"{what} (operators: {', '.join(allowed)})")
        return op

    def value(self, field: str | None, target: str, op: str) -> Value:
        tok = self.next()
        numeric = field is not None and self.schema.fields[field].numeric
        if tok is not None and tok.kind == "str" and not numeric:
            return tok.value
        if tok is not None and numeric and tok.kind in ("str", "num") and _INTEGER.fullmatch(
                tok.value):
            return int(tok.value)
        wanted, example = ("an integer", f"{target} {op} 3") if numeric else (
            "a quoted string", f"{target} {op} 'fraud'")
        raise self.error(f"expected {wanted} after {target} {op}, found {self.at(tok)} "
                         f"(e.g. {example})")

    def value_list(self, field: str | None, target: str, op: str) -> tuple[Value, ...]:
        if not self.peek("punct", "(") or self.peek_at(1, "punct", ")"):
            example = "(1, 2)" if field and self.schema.fields[field].numeric else "('a', 'b')"
            raise self.error(f"{op} needs a non-empty list like {target} {op} {example}, "
                             f"found {self.at(self.current())}")
        self.i += 1
        items = [self.value(field, target, op)]
        while self.peek("punct", ","):
            self.i += 1
            items.append(self.value(field, target, op))
        if not self.peek("punct", ")"):
            raise self.error(f"expected ',' or ')' in the {op} list, found "
                             f"{self.at(self.current())}")
        self.i += 1
        return tuple(sorted(set(items), key=repr))

    # -- tokens ----------------------------------------------------------------------------

    def next(self) -> Token | None:
        tok = self.current()
        self.i += 1
        return tok

    def current(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def peek(self, kind: str, value: str) -> bool:
        return self.peek_at(0, kind, value)

    def peek_at(self, ahead: int, kind: str, value: str) -> bool:
        i = self.i + ahead
        tok = self.tokens[i] if i < len(self.tokens) else None
        return tok is not None and tok.kind == kind and tok.value == value

    def at(self, tok: Token | None) -> str:
        return fragment(self.text, tok.pos) if tok is not None else "the end"

    def error(self, detail: str) -> InvalidParameter:
        return invalid(self.text, detail)
