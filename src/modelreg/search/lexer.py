"""Tokens of MLflow's filter strings.

Strings are in single or double quotes; inside them a quote is written twice (`'it''s'`, as in
SQL) or escaped (`'it\\'s'`), and `\\\\` is one backslash. Any other backslash is kept as is,
so `'a\\_b'` reaches LIKE as `a\\_b` (a literal underscore). An identifier is a word, or
`prefix.key` where the key is bare (`tags.team`, `tags.a.b-c`), backquoted
(``tags.`my key` ``, a backquote doubled inside) or double-quoted (`tags."my key"`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from modelreg.errors import InvalidParameter

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE"})

_SQ = r"'(?:[^'\\]|\\.|'')*'"
_DQ = r'"(?:[^"\\]|\\.|"")*"'
_BQ = r"`(?:[^`]|``)*`"
_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
    |(?P<str>{_SQ}|{_DQ})
    |(?P<num>[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
    |(?P<ident>(?P<head>[A-Za-z_]\w*|{_BQ})(?:\.(?P<tail>{_BQ}|{_DQ}|[\w.\-]+))?)
    |(?P<op>==|!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = {"'": re.compile(r"\\([\\'\"])|''"), '"': re.compile(r"\\([\\'\"])|\"\"")}


class Token(NamedTuple):
    """`kind` is str, num, ident, kw, op or punct. `value` is the unquoted string, the number's
    text, the keyword in upper case, or an identifier's head; `tail` its key after the dot."""

    kind: str
    value: str
    pos: int
    tail: str | None = None


def invalid(text: str, detail: str) -> InvalidParameter:
    return InvalidParameter(f"invalid filter {text!r}: {detail}")


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise invalid(text, _unreadable(text, pos))
        if m.group("ident") is not None:
            out.append(_identifier(m, pos))
        elif m.group("str") is not None:
            out.append(Token("str", unquote(m.group("str")), pos))
        elif m.group("ws") is None:
            kind = next(k for k in ("num", "op", "punct") if m.group(k) is not None)
            out.append(Token(kind, m.group(kind), pos))
        pos = m.end()
    return out


def _identifier(m: re.Match[str], pos: int) -> Token:
    head, tail = m.group("head"), m.group("tail")
    if tail is None and not head.startswith("`") and head.upper() in KEYWORDS:
        return Token("kw", head.upper(), pos)
    return Token("ident", unquote(head), pos, None if tail is None else unquote(tail))


def unquote(raw: str) -> str:
    """The text inside quotes or backquotes; a bare word unchanged."""
    quote = raw[:1]
    if quote == "`":
        return raw[1:-1].replace("``", "`")
    if quote in _ESCAPE:
        return _ESCAPE[quote].sub(lambda m: m.group(1) or quote, raw[1:-1])
    return raw


def _unreadable(text: str, pos: int) -> str:
    char = text[pos]
    if char in "'\"`":
        return f"unterminated {char}...{char} starting at {fragment(text, pos)}"
    return f"unexpected {char!r} at {fragment(text, pos)}"


def fragment(text: str, pos: int) -> str:
    """The text from `pos`, shortened, for naming the bad part in a message."""
    rest = text[pos:].strip()
    if not rest:
        return "the end"
    return repr(rest if len(rest) <= 24 else rest[:23] + "…")
