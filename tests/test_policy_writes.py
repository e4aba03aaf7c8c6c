"""Every write checks the base's policy, not only CI (issue #3, DESIGN §4).

A registry whose `registry.yaml` protects `champion` (needs `validation_status: approved`,
`auc >= 0.9`, and only `release-bot` may move it without review) and the Production stage.
Direct writes by other actors, or of versions that do not meet the rule, are refused with one
line and change nothing; what the rule allows goes through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git
from helpers import init_registry, make_model, repo_state
from modelreg import RegisterOptions, Registry
from modelreg.errors import InvalidParameter, PolicyViolation

POLICY = """policy:
  aliases:
    champion:
      require_tags: {validation_status: approved}
      require_metrics: {auc: ">= 0.9"}
      allow_direct: ["release-bot"]
  stages:
    Production:
      allow_direct: ["release-bot"]
"""


@pytest.fixture
def folder(tmp_path: Path, repo: Path) -> Path:
    reg = init_registry(repo)
    for n, auc in ((1, 0.95), (2, 0.85), (3, 0.97)):
        reg.register("fraud", make_model(tmp_path / f"m{n}", f"w{n}"),
                     options=RegisterOptions(metrics={"auc": auc}))
    config = reg.location.path / "registry.yaml"
    config.write_text(config.read_text() + POLICY)
    git(repo, "commit", "-qam", "Protect champion and Production")
    return reg.location.path


def as_actor(folder: Path, actor: str) -> Registry:
    return Registry(folder, actor=actor)


def test_an_actor_not_allowed_is_refused_and_nothing_changes(folder: Path, repo: Path) -> None:
    Registry(folder).set_model_version_tag("fraud", 1, "validation_status", "approved")
    before = repo_state(repo)
    with pytest.raises(PolicyViolation, match=r"champion"):
        as_actor(folder, "dev@example.com").set_registered_model_alias("fraud", "champion", 1)
    with pytest.raises(PolicyViolation):
        as_actor(folder, "dev@example.com").transition_model_version_stage("fraud", 1, "Production")
    assert repo_state(repo) == before


def test_the_allowed_actor_still_needs_the_rule_met(folder: Path) -> None:
    bot = as_actor(folder, "release-bot")
    with pytest.raises(PolicyViolation, match="validation_status"):
        bot.set_registered_model_alias("fraud", "champion", 1)
    Registry(folder).set_model_version_tag("fraud", 2, "validation_status", "approved")
    with pytest.raises(PolicyViolation, match="auc"):
        bot.set_registered_model_alias("fraud", "champion", 2)
    Registry(folder).set_model_version_tag("fraud", 1, "validation_status", "approved")
    bot.set_registered_model_alias("fraud", "champion", 1)
    assert Registry(folder).resolve("models:/fraud@champion").version == 1


def test_a_change_cannot_certify_itself(folder: Path) -> None:
    bot = as_actor(folder, "release-bot")
    with pytest.raises(PolicyViolation, match="validation_status"), \
            bot.transaction("Approve and promote v3"):
        bot.set_model_version_tag("fraud", 3, "validation_status", "approved")
        bot.set_registered_model_alias("fraud", "champion", 3)
    assert Registry(folder).get_registered_model("fraud").aliases == {}


def test_archiving_the_champion_touches_the_alias(folder: Path) -> None:
    Registry(folder).set_model_version_tag("fraud", 1, "validation_status", "approved")
    as_actor(folder, "release-bot").set_registered_model_alias("fraud", "champion", 1)
    with pytest.raises(PolicyViolation):
        as_actor(folder, "dev@example.com").delete_model_version("fraud", 1)
    # what the policy does not protect stays open to anyone
    dev = as_actor(folder, "dev@example.com")
    dev.set_registered_model_alias("fraud", "challenger", 3)
    dev.transition_model_version_stage("fraud", 3, "Staging")
    assert dev.register("fraud", folder.parent.parent / "m1").version == 4


def test_a_pushed_write_is_judged_by_the_remote_policy_and_changes_nothing(
    folder: Path, repo: Path, bare_remote: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from modelreg.cli import cli

    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "push", "-q", "origin", "main")
    clone = tmp_path / "dev"
    git(tmp_path, "clone", "-q", str(bare_remote), str(clone))
    remote_tip = git(bare_remote, "rev-parse", "main")
    before = repo_state(clone)
    monkeypatch.chdir(clone / "registry")
    monkeypatch.setenv("MODELREG_ACTOR", "dev@example.com")
    ran = CliRunner().invoke(cli, ["alias", "set", "fraud", "champion", "2", "--push"])
    assert ran.exit_code == 1 and ran.stdout == ""
    [line] = ran.stderr.splitlines()  # one line, every reason in it
    assert line.startswith("modelreg: error: the registry's policy refuses this change: ")
    assert "dev@example.com may not change it without review" in line
    assert "needs tag validation_status='approved'" in line and "auc" in line
    assert git(bare_remote, "rev-parse", "main") == remote_tip
    state = repo_state(clone)
    assert (state["head"], state["status"]) == (before["head"], before["status"])
    # The actor the policy allows pushes it once the version meets the rule.
    Registry(clone / "registry", push=True).set_model_version_tag(
        "fraud", 1, "validation_status", "approved")
    Registry(clone / "registry", actor="release-bot", push=True).set_registered_model_alias(
        "fraud", "champion", 1)
    assert git(bare_remote, "log", "-1", "--format=%s", "main").startswith(
        "Set alias champion of fraud to version 1")


def test_an_invalid_policy_refuses_writes_naming_registry_yaml(folder: Path, repo: Path) -> None:
    config = folder / "registry.yaml"
    config.write_text(config.read_text().replace('">= 0.9"', '"about 0.9"'))
    git(repo, "commit", "-qam", "A policy that cannot be read")
    before = repo_state(repo)
    with pytest.raises(InvalidParameter, match=r"^registry.yaml's policy is invalid, so writes "
                       r"are refused until it is fixed: policy\.aliases\.champion\."
                       r"require_metrics\.auc: .*`modelreg validate` lists every problem"):
        Registry(folder).set_registered_model_tag("fraud", "team", "risk")
    assert repo_state(repo) == before
