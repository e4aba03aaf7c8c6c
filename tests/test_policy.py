"""`modelreg.policy`: the `policy:` of registry.yaml parsed (agreeing with the schema), and a
change judged by it: what it touches, what the versions it names lack, who may make it.

Pure: both states are built in memory from what the writer writes (`manifest.dump_*`), the
events come from the registry diff of the two, as every caller of `judge` gets them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from modelreg import layout, manifest, policy, schema, yamlio
from modelreg.diff import changed_paths, registry_diff
from modelreg.errors import InvalidParameter
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    Deletion,
    FileEntry,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
    Stage,
)
from modelreg.policy import Policy, Rule, Threshold, allowed, judge, parse_policy
from modelreg.problems import Problem
from modelreg.snapshot import MemoryFiles, Snapshot

T0 = "2026-01-31T09:30:00.000Z"
APPROVED = {"validation_status": "approved"}
CONTRACT: dict[str, Any] = {
    "aliases": {
        "champion": {
            "require_tags": {"validation_status": "approved"},
            "require_metrics": {"auc": ">= 0.9"},
            "require_verified_artifacts": True,
            "allow_direct": ["release-bot", "*@release.example.com"],
        },
    },
    "stages": {"Production": {"require_tags": {"validation_status": "approved"},
                              "allow_direct": ["release-bot"]}},
    "registrations": {"allow_direct": ["*"]},
}


# ---------------------------------------------------------------- parsing


def test_the_contract_example_parses() -> None:
    parsed = parse_policy(CONTRACT)
    champion = parsed.aliases["champion"]
    assert champion.require_tags == APPROVED
    assert champion.require_metrics == {"auc": Threshold(op=">=", value=0.9)}
    assert champion.require_verified_artifacts is True
    assert champion.allow_direct == ("release-bot", "*@release.example.com")
    assert parsed.stages["Production"].allow_direct == ("release-bot",)
    assert parsed.registrations.allow_direct == ("*",)
    assert parse_policy({}) == Policy() and not Policy()


def test_defaults_protect_nothing_and_let_anyone_register() -> None:
    parsed = parse_policy({"aliases": {"champion": {}}})
    assert parsed.aliases["champion"] == Rule()
    assert parsed.aliases["champion"].allow_direct == ()  # nobody moves it without review
    assert parsed.registrations.allow_direct == ("*",)


def registry_yaml(policy_text: str) -> bytes:
    head = manifest.dump_registry(RegistryConfig(id="reg-1", store="artifacts"))
    return head + b"policy:\n" + policy_text.encode()


def test_the_contract_example_is_valid_against_the_schema() -> None:
    text = manifest.dump_registry(RegistryConfig(id="reg-1", store="artifacts", policy=CONTRACT))
    assert schema.validate_bytes("registry", text, path=layout.REGISTRY_FILE) == []
    assert parse_policy(manifest.parse_registry(text).policy) == parse_policy(CONTRACT)


BAD = [
    ("unknown-key", "  alias:\n    champion: {}\n", "policy: unknown key 'alias'",
     "$.policy.alias"),
    ("rule-typo", "  aliases:\n    champion:\n      require_tag: {a: \"b\"}\n",
     "did you mean 'require_tags'", "$.policy.aliases.champion.require_tag"),
    ("bad-alias", "  aliases:\n    \"v3\": {}\n", "reserved", "$.policy.aliases.v3"),
    ("bad-stage", "  stages:\n    Prod: {}\n", "unknown stage 'Prod'", "$.policy.stages.Prod"),
    ("tag-not-string", "  aliases:\n    champion:\n      require_tags: {approved: true}\n",
     "expected a string", "$.policy.aliases.champion.require_tags.approved"),
    ("threshold", "  aliases:\n    champion:\n      require_metrics: {auc: \"at least 0.9\"}\n",
     "is not a comparison", "$.policy.aliases.champion.require_metrics.auc"),
    ("threshold-number", "  aliases:\n    champion:\n      require_metrics: {auc: 0.9}\n",
     "is not a comparison", "$.policy.aliases.champion.require_metrics.auc"),
    ("verified", "  aliases:\n    champion:\n      require_verified_artifacts: \"yes\"\n",
     "expected true or false", "$.policy.aliases.champion.require_verified_artifacts"),
    ("actors", "  registrations:\n    allow_direct: \"*\"\n", "expected a list of actor",
     "$.policy.registrations.allow_direct"),
    ("rule-list", "  aliases:\n    champion: []\n", "expected a mapping",
     "$.policy.aliases.champion"),
]


@pytest.mark.parametrize(("text", "message", "at"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_parser_and_schema_refuse_the_same_shapes(text: str, message: str, at: str) -> None:
    data = registry_yaml(text)
    found = schema.validate_bytes("registry", data, path=layout.REGISTRY_FILE)
    assert [p.json_path for p in found] == [at], found
    with pytest.raises(InvalidParameter, match=message):
        parse_policy(yamlio.load(data).data["policy"])


@pytest.mark.parametrize(("text", "value", "holds"), [
    (">= 0.9", 0.9, True), (">= 0.9", 0.89, False), ("> 0.9", 0.9, False), ("<0.2", 0.1, True),
    ("<= 1e-3", 0.001, True), ("== 1", 1, True), ("!= 1", 1, False), ("  >=  -2.5 ", -2, True),
])
def test_thresholds(text: str, value: float, holds: bool) -> None:
    rule = parse_policy({"aliases": {"a": {"require_metrics": {"m": text}}}}).aliases["a"]
    assert rule.require_metrics["m"].holds(value) is holds


@pytest.mark.parametrize(("actor", "patterns", "ok"), [
    ("release-bot", ("release-bot",), True),
    ("Release Bot <bot@release.example.com>", ("*@release.example.com",), True),
    ("Release Bot <bot@RELEASE.example.com>", ("*@release.example.com",), True),
    ("release-bot", ("Release-*",), True),
    ("Ana <ana@example.com>", ("release-bot", "*@release.example.com"), False),
    ("Ana <ana@example.com>", ("*",), True),
    (None, ("*",), True),
    (None, ("release-bot",), False),
    ("ana", (), False),
])
def test_actors_match_by_whole_name_or_email(
    actor: str | None, patterns: tuple[str, ...], ok: bool
) -> None:
    assert allowed(actor, patterns) is ok


# ---------------------------------------------------------------- judging


def version(number: int, **changes: Any) -> ModelVersion:
    art = Artifacts(mode=ArtifactMode.STORED, uri=f"sha256/{number:064x}",
                    digest=f"sha256:{number:064x}", size=3, file_count=1,
                    files=(FileEntry(path="model.bin", size=3, sha256="ab" * 32),))
    mv = ModelVersion(name="fraud", version=number, source=f"runs:/r{number}/model",
                      artifacts=art, metrics={"auc": 0.95}, created_at=T0, created_by="ana")
    return dataclasses.replace(mv, **changes)


def state(
    versions: list[ModelVersion], aliases: Mapping[str, int] | None = None,
    stages: Mapping[Stage, tuple[int, ...]] | None = None, raw_policy: Any = None,
) -> dict[str, bytes]:
    config = RegistryConfig(id="reg-1", policy=CONTRACT if raw_policy is None else raw_policy)
    files = {
        layout.REGISTRY_FILE: manifest.dump_registry(config),
        layout.model_file("fraud"): manifest.dump_model(RegisteredModel(
            name="fraud", last_version=max(v.version for v in versions), created_at=T0,
            created_by="ana")),
        layout.aliases_file("fraud"): manifest.dump_aliases(
            AliasTable(aliases=dict(aliases or {}), stages=dict(stages or {}))),
    }
    for mv in versions:
        files[layout.version_file("fraud", mv.version)] = manifest.dump_version(mv)
    return files


def judged(
    old: Mapping[str, bytes], new: Mapping[str, bytes], *, actor: str | None = "Ana <a@x.io>",
    direct: bool = False, rules: Mapping[str, Any] = CONTRACT,
) -> list[Problem]:
    before, after = Snapshot(MemoryFiles(old)), Snapshot(MemoryFiles(new))
    events = registry_diff(before, after, changed_paths(before.files, after.files)).events
    return judge(parse_policy(rules), before, after, events, actor=actor, direct=direct)


def codes(found: list[Problem]) -> list[str]:
    return [p.code for p in found]


V1, V2 = version(1, tags=APPROVED), version(2)


def test_moving_champion_to_an_untagged_version_misses_the_tag() -> None:
    found = judged(state([V1, V2], {"champion": 1}), state([V1, V2], {"champion": 2}))
    assert codes(found) == [policy.POLICY_TAG_MISSING]
    problem = found[0]
    assert problem.path == "models/fraud/aliases.yaml" and problem.line == 3
    assert problem.json_path == "$.aliases.champion"
    assert "alias 'champion' of model 'fraud'" in problem.message
    assert "modelreg versions tag fraud 2 validation_status approved" in problem.message


def test_a_tag_added_by_the_same_change_does_not_count() -> None:
    tagged = version(2, tags=APPROVED)
    found = judged(state([V1, V2], {"champion": 1}), state([V1, tagged], {"champion": 2}))
    assert codes(found) == [policy.POLICY_TAG_NOT_ON_BASE]
    assert "cannot certify itself" in found[0].message


def test_a_tag_already_on_base_is_enough() -> None:
    tagged = version(2, tags=APPROVED)
    assert judged(state([V1, tagged], {"champion": 1}), state([V1, tagged], {"champion": 2})) == []


def test_metrics_must_meet_their_threshold() -> None:
    low, none = version(2, tags=APPROVED, metrics={"auc": 0.85}), version(3, tags=APPROVED,
                                                                          metrics={})
    base = state([V1, low, none], {"champion": 1})
    found = judged(base, state([V1, low, none], {"champion": 2}))
    assert codes(found) == [policy.POLICY_METRIC]
    assert "v2 has auc=0.85, and it needs auc >= 0.9" in found[0].message
    found = judged(base, state([V1, low, none], {"champion": 3}))
    assert codes(found) == [policy.POLICY_METRIC] and "has no metric 'auc'" in found[0].message


def test_unverified_artifacts_are_refused_when_required() -> None:
    loose = version(2, tags=APPROVED, artifacts=Artifacts(mode=ArtifactMode.UNVERIFIED,
                                                          uri="runs:/abc/model"))
    found = judged(state([V1, loose], {"champion": 1}), state([V1, loose], {"champion": 2}))
    assert codes(found) == [policy.POLICY_UNVERIFIED_ARTIFACTS]


def test_unprotected_aliases_need_nothing() -> None:
    assert judged(state([V1, V2], {"challenger": 1}), state([V1, V2], {"challenger": 2})) == []


def test_direct_writes_need_an_allowed_actor_a_pull_request_does_not() -> None:
    tagged = version(2, tags=APPROVED)
    old, new = state([V1, tagged], {"champion": 1}), state([V1, tagged], {"champion": 2})
    found = judged(old, new, direct=True)
    assert codes(found) == [policy.POLICY_REVIEW_REQUIRED]
    assert "Ana <a@x.io> may not change it without review (moved v1 -> v2" in found[0].message
    assert "--propose" in found[0].message
    assert judged(old, new, direct=True, actor="Bot <ci@release.example.com>") == []
    assert judged(old, new, direct=True, actor="release-bot") == []
    assert judged(old, new, direct=False) == []


def test_removing_archiving_or_deleting_the_champion_touches_it() -> None:
    base = state([V1, V2], {"champion": 1})
    removed = judged(base, state([V1, V2]), direct=True)
    archived = judged(base, state([V1, V2], {"champion": 1}, {Stage.ARCHIVED: (1,)}), direct=True)
    gone = version(1, tags=APPROVED, source="", deleted=Deletion(at=T0, by="ana"))
    deleted = judged(base, state([gone, V2]), direct=True)
    for found in (removed, archived, deleted):
        assert policy.POLICY_REVIEW_REQUIRED in codes(found), found
        assert set(codes(found)) == {policy.POLICY_REVIEW_REQUIRED}  # nothing is named anew
    assert "v1 archived" in archived[0].message
    assert judged(base, state([gone, V2]), direct=False) == []


def test_protected_stages_judge_versions_moved_into_them() -> None:
    base = state([V1, V2], stages={Stage.PRODUCTION: (1,)})
    into = judged(base, state([V1, V2], stages={Stage.PRODUCTION: (1, 2)}))
    assert codes(into) == [policy.POLICY_TAG_MISSING]
    assert into[0].json_path == "$.stages.Production"
    assert "protected stage Production of model 'fraud'" in into[0].message
    out = judged(base, state([V1, V2], stages={Stage.ARCHIVED: (1,)}), direct=True)
    assert codes(out) == [policy.POLICY_REVIEW_REQUIRED]
    assert judged(base, state([V1, V2], stages={Stage.ARCHIVED: (1,)}), direct=True,
                  actor="release-bot") == []


def test_deleting_the_model_that_holds_the_champion_touches_it() -> None:
    base = state([V1, V2], {"champion": 1})
    rest = {k: v for k, v in base.items() if not k.startswith("models/")}
    assert codes(judged(base, rest, direct=True)) == [policy.POLICY_REVIEW_REQUIRED]


def test_who_may_register_without_review() -> None:
    rules = {"registrations": {"allow_direct": ["ci-bot"]}}
    old, new = state([V1], raw_policy=rules), state([V1, V2], raw_policy=rules)
    found = judged(old, new, rules=rules, direct=True)
    assert codes(found) == [policy.POLICY_REVIEW_REQUIRED]
    assert found[0].path == "models/fraud/versions/2.yaml"
    assert "registering fraud v2 needs review" in found[0].message
    assert judged(old, new, rules=rules, direct=True, actor="ci-bot") == []
    assert judged(old, new, rules=rules, direct=False) == []
    assert judged(old, new, direct=True) == []  # default: anyone registers


def test_a_change_to_the_policy_is_judged_by_the_old_one() -> None:
    loose: dict[str, Any] = {"aliases": {"champion": {}}}
    found = judged(state([V1, V2], {"champion": 1}),
                   state([V1, V2], {"champion": 2}, raw_policy=loose))
    assert codes(found) == [policy.POLICY_TAG_MISSING, policy.POLICY_CHANGED]
    changed = found[1]
    assert changed.path == "registry.yaml" and changed.json_path == "$.policy"
    assert changed.severity == "warning" and changed.line == 6  # where the policy begins


def test_tags_count_only_on_the_same_registration() -> None:
    # BASE gave number 2 to another registration meanwhile (approved); the change's own v2
    # is not approved: the number clash is check's VERSION_TAKEN, and the tag is not there.
    theirs = version(2, tags=APPROVED, created_at="2026-02-01T00:00:00.000Z")
    found = judged(state([V1, theirs], {"champion": 1}), state([V1, V2], {"champion": 2}))
    assert codes(found) == [policy.POLICY_TAG_MISSING]
