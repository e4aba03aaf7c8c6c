"""`modelreg check`: what CI runs on a pull request (DESIGN §5).

The change judged is merge-base(BASE, HEAD)..HEAD; numbers, alias targets and the policy are
judged against BASE's tip. `check(repo, prefix, base, head, options)` returns a `CheckResult`
whose `problems` carry a code, a severity, a file and a line. The judging itself
(`judge_change` over a `ChangeView`) is pure; only `run` reads Git and the store.

Codes, besides `validate`'s (SCHEMA, ALIAS_TARGET_MISSING, ...) and the policy's
(`modelreg.policy.CODES`): see `modelreg.check.codes`.
"""

from __future__ import annotations

from modelreg.check.codes import (
    ARTIFACT_MISMATCH,
    ARTIFACT_MISSING,
    BASE_NO_REGISTRY,
    BASE_UNREADABLE,
    IMMUTABLE_FIELD,
    LAST_VERSION_DECREASED,
    NOTICE,
    REGISTRATION_REVERTED,
    STORE_CHANGED,
    SUBMODULE,
    SYMLINK,
    UNKNOWN_STAGE,
    VERSION_FILE_REMOVED,
    VERSION_TAKEN,
)
from modelreg.check.judging import judge_change
from modelreg.check.run import (
    CheckOptions,
    CheckResult,
    check,
    diff_first_parent,
    diff_revisions,
)
from modelreg.check.view import ChangeView

__all__ = [
    "ARTIFACT_MISMATCH",
    "ARTIFACT_MISSING",
    "BASE_NO_REGISTRY",
    "BASE_UNREADABLE",
    "IMMUTABLE_FIELD",
    "LAST_VERSION_DECREASED",
    "NOTICE",
    "REGISTRATION_REVERTED",
    "STORE_CHANGED",
    "SUBMODULE",
    "SYMLINK",
    "UNKNOWN_STAGE",
    "VERSION_FILE_REMOVED",
    "VERSION_TAKEN",
    "ChangeView",
    "CheckOptions",
    "CheckResult",
    "check",
    "diff_first_parent",
    "diff_revisions",
    "judge_change",
]
