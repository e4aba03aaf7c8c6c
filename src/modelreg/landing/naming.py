"""The name of a proposal's branch, from what the change does: `modelreg/fraud-champion-v7`."""

from __future__ import annotations

import re

from modelreg.change import Change

PREFIX = "modelreg/"
MAX_STEM = 60

_WHAT = {
    "alias-set": "{Alias}-v{Version}",
    "alias-delete": "unset-{Alias}",
    "stage-transition": "v{Version}-{Stage}",
    "version-create": "register-v{Version}",
    "version-copy": "copy-v{Version}",
    "version-delete": "delete-v{Version}",
    "version-update": "v{Version}-description",
    "version-tag-set": "v{Version}-tag-{Tag}",
    "version-tag-delete": "v{Version}-untag-{Tag}",
    "model-create": "create",
    "model-update": "description",
    "model-rename": "rename-from-{Old-Name}",
    "model-delete": "delete",
    "model-tag-set": "tag-{Tag}",
    "model-tag-delete": "untag-{Tag}",
}


def branch_stem(change: Change) -> str:
    """`modelreg/<model>-<what>`; a transaction joins what its steps do."""
    parts = change.parts or (change,)
    models = [v for p in parts for k, v in p.trailers if k == "Model"]
    model = models[0] if models else "registry"
    whats = [_what(p) for p in parts]
    stem = slug("-".join([model, *whats]))[:MAX_STEM].rstrip("-.")
    return PREFIX + (stem or "change")


def numbered(stem: str, n: int) -> str:
    """The n-th candidate name: the stem, then `<stem>-2`, `<stem>-3`, ..."""
    return stem if n <= 1 else f"{stem}-{n}"


def _what(change: Change) -> str:
    fields = dict(change.trailers)
    pattern = _WHAT.get(change.op, change.op)
    return re.sub(r"\{([A-Za-z-]+)\}", lambda m: fields.get(m.group(1), ""), pattern)


def slug(text: str) -> str:
    """Lower case, `[a-z0-9._-]` only, no `..`, no leading or trailing `-` or `.`."""
    out = re.sub(r"[^a-z0-9._-]+", "-", text.lower())
    out = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", out))
    out = out.strip("-.")
    return out.removesuffix(".lock")
