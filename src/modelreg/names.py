"""Rules for names, aliases, tags and metrics (DESIGN §1).

The limits follow MLflow so that anything in a modelreg registry can be copied into MLflow.
Each rule raises `InvalidParameter` with a message that names the bad value and the rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from modelreg.errors import InvalidParameter

MAX_NAME = 256
MAX_ALIAS = 255
MAX_TAG_KEY = 250
MAX_TAG_VALUE = 100_000
MAX_DESCRIPTION = 100_000
# A manifest's file, whatever it holds: ten ASCII tag values at their limit fit, a billion laughs
# spelled out (or any file a pull request makes huge to stall CI) does not.
MAX_MANIFEST_BYTES = 1 << 20

# Spelled out rather than `\w` so that Python, JSON Schema and editors agree (DESIGN §1).
ALIAS_RE = re.compile(r"^[A-Za-z0-9_-]+$")
RESERVED_ALIAS_RE = re.compile(r"^(latest|v[0-9]+)$", re.IGNORECASE)
# MLflow's tag-name rule: word characters, '.', '-', ' ', '/' and ':'.
TAG_KEY_RE = re.compile(r"^[\w./ :-]+$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# A lone surrogate (what `surrogateescape` makes of bytes that are no UTF-8) has no UTF-8 form:
# no manifest can hold it.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Where a long file list is kept: beside the artifacts in the store, nowhere else.
FILES_URI_RE = re.compile(r"^sha256/[0-9a-f]{64}\.files\.json$")


def check_model_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidParameter("registered model name must be a non-empty string")
    if len(name) > MAX_NAME:
        raise InvalidParameter(
            f"registered model name is {len(name)} characters long (at most {MAX_NAME})"
        )
    if _CONTROL_RE.search(name):
        raise InvalidParameter(f"registered model name {name!r} contains a control character")
    check_text("registered model name", name)
    if "/" in name or ":" in name:
        raise InvalidParameter(f"registered model name {name!r} may not contain '/' or ':'")
    if name in (".", "..") or name.strip() == "":
        raise InvalidParameter(f"registered model name {name!r} is not allowed")
    return name


def check_version(version: Any) -> int:
    """Versions arrive as ints or digit strings (MLflow passes strings around)."""
    if isinstance(version, bool):
        raise InvalidParameter(f"version {version!r} is not a positive whole number")
    if isinstance(version, int):
        number = version
    elif isinstance(version, str) and version.strip().isdigit():
        number = int(version.strip())
    else:
        raise InvalidParameter(f"version {version!r} is not a positive whole number")
    if number < 1:
        raise InvalidParameter(f"version {version!r} is not a positive whole number")
    return number


def check_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not alias:
        raise InvalidParameter("alias must be a non-empty string")
    if len(alias) > MAX_ALIAS:
        raise InvalidParameter(f"alias is {len(alias)} characters long (at most {MAX_ALIAS})")
    if not ALIAS_RE.match(alias):
        raise InvalidParameter(
            f"alias {alias!r} may contain only letters, digits, '_' and '-'"
        )
    if RESERVED_ALIAS_RE.match(alias):
        raise InvalidParameter(
            f"alias {alias!r} is reserved ('latest' and 'v<number>' name versions already)"
        )
    return alias


def check_tag(key: Any, value: Any) -> tuple[str, str]:
    key = check_tag_key(key)
    if not isinstance(value, str):
        raise InvalidParameter(f"tag {key!r}: value must be a string, not {type(value).__name__}")
    if len(value) > MAX_TAG_VALUE:
        raise InvalidParameter(
            f"tag {key!r}: value is {len(value)} characters long (at most {MAX_TAG_VALUE})"
        )
    check_text(f"tag {key!r}: value", value)
    return key, value


def check_text(what: str, text: str) -> None:
    """Refuse text no manifest can hold (every string a write puts in one passes here)."""
    if _SURROGATE_RE.search(text):
        raise InvalidParameter(f"{what} {text!r} is not valid Unicode text (a lone surrogate)")


def check_tag_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidParameter("tag key must be a non-empty string")
    if len(key) > MAX_TAG_KEY:
        raise InvalidParameter(f"tag key is {len(key)} characters long (at most {MAX_TAG_KEY})")
    if not TAG_KEY_RE.match(key) or key.startswith("/") or ".." in key.split("/"):
        raise InvalidParameter(
            f"tag key {key!r} may contain only letters, digits and '_', '-', '.', ' ', '/', ':'"
        )
    return key


def check_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    return dict(check_tag(k, v) for k, v in (tags or {}).items())


def check_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        key = check_tag_key(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidParameter(f"metric {key!r}: {value!r} is not a number")
        if not math.isfinite(value):
            raise InvalidParameter(f"metric {key!r}: {value!r} is not a finite number")
        out[key] = value
    return out


def check_description(description: Any) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidParameter("description must be a string")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidParameter(
            f"description is {len(description)} characters long (at most {MAX_DESCRIPTION})"
        )
    check_text("description", description)
    return description


def check_files_uri(uri: Any) -> str:
    """`files_uri` names a file of the store's `sha256/` folder (a crafted `../../x` would make
    a reader fetch a file list from anywhere)."""
    if not isinstance(uri, str) or not FILES_URI_RE.match(uri):
        raise InvalidParameter(
            f"files_uri {uri!r:.80} is not 'sha256/<64 hexadecimal digits>.files.json' (the "
            "store's own record of the file list)")
    return uri
