"""The registry's policy (`registry.yaml` `policy:`): protected aliases and stages, and who may
change them or register versions without review (DESIGN §4–§5).

Pure: `parse_policy` turns the mapping into a `Policy`; `judge` turns a change (two snapshots
and their registry diff) into `Problem`s. Every write judges its change directly
(`direct=True`), `modelreg check` judges a pull request (`direct=False`), both by the policy
as it is on the base.
"""

from __future__ import annotations

from modelreg.policy.judge import (
    POLICY_CHANGED,
    POLICY_METRIC,
    POLICY_REVIEW_REQUIRED,
    POLICY_TAG_MISSING,
    POLICY_TAG_NOT_ON_BASE,
    POLICY_UNVERIFIED_ARTIFACTS,
    judge,
)
from modelreg.policy.rules import Policy, Registrations, Rule, Threshold, allowed, parse_policy

CODES = (
    POLICY_TAG_MISSING, POLICY_TAG_NOT_ON_BASE, POLICY_METRIC, POLICY_UNVERIFIED_ARTIFACTS,
    POLICY_REVIEW_REQUIRED, POLICY_CHANGED,
)

__all__ = [
    "CODES",
    "POLICY_CHANGED",
    "POLICY_METRIC",
    "POLICY_REVIEW_REQUIRED",
    "POLICY_TAG_MISSING",
    "POLICY_TAG_NOT_ON_BASE",
    "POLICY_UNVERIFIED_ARTIFACTS",
    "Policy",
    "Registrations",
    "Rule",
    "Threshold",
    "allowed",
    "judge",
    "parse_policy",
]
