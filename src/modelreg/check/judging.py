"""Every finding of one change, from its `ChangeView`: pure, no Git, no store.

The base's `registry.yaml` is read first: its policy judges the change, and a base whose
registry cannot be read fails the check (fail closed), while a base without a registry is the
change that creates it (a notice, and nothing is protected yet).
"""

from __future__ import annotations

from modelreg import layout, problems
from modelreg.check import codes
from modelreg.check.artifacts import Verify, artifact_problems
from modelreg.check.rules import numbers_taken, store_changed, written_once
from modelreg.check.scope import changed_problems
from modelreg.check.view import ChangeView
from modelreg.errors import ModelregError
from modelreg.policy import Policy, judge, parse_policy
from modelreg.problems import Problem


def judge_change(view: ChangeView, *, verify: Verify | None = None) -> list[Problem]:
    """The change's findings, sorted by file and line; `verify` checks new versions' artifacts
    (None: not checked)."""
    policy, found = base_policy(view)
    found += changed_problems(view)
    found += written_once(view)
    found += numbers_taken(view)
    found += store_changed(view)
    found += judge(policy, view.base, view.after, view.diff.events, actor=None, direct=False)
    if verify is not None:
        found += artifact_problems(view, verify)
    return problems.sort(dict.fromkeys(found))


def base_policy(view: ChangeView) -> tuple[Policy, list[Problem]]:
    """The policy on the base branch, and what stops it from being known."""
    path = layout.REGISTRY_FILE
    short = view.base.revision[:10] or "the base"
    if view.base.files.blob_id(path) is None:
        return Policy(), [Problem(
            path=path, code=codes.BASE_NO_REGISTRY, severity=codes.NOTICE,
            message=f"the base ({short}) has no registry here: this change creates it, and "
            "nothing is protected until it has landed")]
    try:
        return parse_policy(view.base.config().policy), []
    except ModelregError as exc:
        return Policy(), [Problem(
            path=path, code=codes.BASE_UNREADABLE,
            message=f"registry.yaml on the base ({short}) cannot be read, so its policy is "
            f"unknown and the change cannot pass: {exc} (fix it on the base branch first)")]
