"""`modelreg rebase` and `modelreg revert` (issue #3): a proposal whose number main took is
renumbered on top of main, alias moves following it; a reverted registration is a tombstone;
the inverse of what cannot be undone is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import git_out, init_registry, make_model
from modelreg import Registry
from modelreg.cli import cli
from modelreg.diff import Event, EventKind, RegistryDiff
from modelreg.errors import Conflict, InvalidParameter
from modelreg.history import parse_trailers
from modelreg.landing import Proposal, revert_operation
from modelreg.replay import inverse, reapply
from modelreg.snapshot import MemoryFiles, Snapshot
from remotes import Shared, make_shared, metrics


def invoke(*args: str | Path, code: int = 0) -> str:
    ran = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert ran.exit_code == code, ran.output
    return ran.stdout


@pytest.fixture
def shared(tmp_path: Path, repo: Path, bare_remote: Path) -> Shared:
    return make_shared(tmp_path, repo, bare_remote)


def test_rebase_renumbers_a_registration_main_took_meanwhile(
    shared: Shared, tmp_path: Path
) -> None:
    mine = Registry(shared.clone("mine") / "registry", propose=True)
    with mine.transaction("Release fraud"):
        mv = mine.register("fraud", make_model(tmp_path / "m", "mine\n"), options=metrics(0.97))
        mine.set_registered_model_alias("fraud", "champion", mv.version)
        mine.transition_model_version_stage("fraud", mv.version, "Staging")
    proposal = mine.last_write
    assert isinstance(proposal, Proposal) and mv.version == 2
    old_tip = shared.tip(proposal.branch)
    Registry(shared.clone("theirs") / "registry", push=True).register(
        "fraud", make_model(tmp_path / "t", "theirs\n"))  # main takes version 2

    out = invoke("--registry", mine.location.path, "rebase", proposal.branch, "--json")
    data = json.loads(out)
    assert data["renumbered"] == [{"model": "fraud", "old": 2, "new": 3}]
    assert git_out(shared.remote, "rev-parse", f"{proposal.branch}^").strip() == shared.tip()
    old_trailers = parse_trailers(git_out(shared.remote, "log", "-1", "--format=%B", old_tip))
    new_trailers = parse_trailers(git_out(shared.remote, "log", "-1", "--format=%B",
                                          proposal.branch))
    assert new_trailers["Modelreg-Op-Id"] == old_trailers["Modelreg-Op-Id"]

    rebased = Registry(f"modelreg://{shared.remote}?path=registry&ref={proposal.branch}")
    model = rebased.get_registered_model("fraud")
    assert (model.last_version, model.aliases) == (3, {"champion": 3})
    v3, v2 = rebased.get_model_version("fraud", 3), rebased.get_model_version("fraud", 2)
    assert (v3.metrics["auc"], v3.current_stage.value, v3.created_at) == (0.97, "Staging",
                                                                          mv.created_at)
    assert v2.artifacts != v3.artifacts  # version 2 is main's, untouched
    again = json.loads(invoke("--registry", mine.location.path, "rebase", proposal.branch,
                              "--json"))
    assert again["rebased"] is False


def test_revert_of_a_registration_writes_a_tombstone(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = init_registry(repo)
    reg.register("fraud", make_model(tmp_path / "m1", "one\n"))
    reg.register("fraud", make_model(tmp_path / "m2", "two\n"))
    registered = git_out(repo, "rev-parse", "HEAD").strip()
    reg.set_registered_model_tag("fraud", "team", "risk")
    monkeypatch.chdir(reg.location.path)
    out = invoke("revert", registered)
    assert out.startswith(f'Reverted {registered} as ')
    fresh = Registry(reg.location.path)
    tomb = fresh.snapshot().raw_version("fraud", 2)
    assert tomb is not None and tomb.deleted is not None
    assert fresh.get_registered_model("fraud").last_version == 2  # the number stays taken
    message = git_out(repo, "log", "-1", "--format=%B")
    assert message.startswith('Revert "Register fraud version 2"')
    trailers = parse_trailers(message)
    assert (trailers["Modelreg-Op"], trailers["Reverts"]) == ("revert", registered)
    assert git_out(repo, "status", "--porcelain") == ""


def test_revert_puts_aliases_stages_and_tags_back(repo: Path, tmp_path: Path) -> None:
    reg = init_registry(repo)
    for n in (1, 2):
        reg.register("fraud", make_model(tmp_path / f"m{n}", f"{n}\n"))
    reg.set_registered_model_alias("fraud", "champion", 1)
    reg.set_model_version_tag("fraud", 1, "status", "old")
    with reg.transaction("Promote v2"):
        reg.set_registered_model_alias("fraud", "champion", 2)
        reg.transition_model_version_stage("fraud", 2, "Production")
        reg.set_model_version_tag("fraud", 1, "status", "retired")
    promoted = git_out(repo, "rev-parse", "HEAD").strip()
    invoke("--registry", reg.location.path, "revert", promoted)
    fresh = Registry(reg.location.path)
    assert fresh.get_registered_model("fraud").aliases == {"champion": 1}
    assert fresh.get_model_version("fraud", 2).current_stage.value == "None"
    assert fresh.get_model_version("fraud", 1).tags == {"status": "old"}
    fresh.delete_registered_model_alias("fraud", "champion")
    with pytest.raises(Conflict, match=r"alias champion of fraud changed since \(removed\)"):
        fresh.write(revert_operation(fresh.repo, fresh.prefix, promoted))


def test_revert_refuses_what_it_cannot_undo(repo: Path, tmp_path: Path) -> None:
    reg = init_registry(repo)
    reg.register("fraud", make_model(tmp_path / "m1", "one\n"))
    reg.delete_model_version("fraud", 1)
    ran = CliRunner().invoke(cli, ["--registry", str(reg.location.path), "revert", "HEAD"])
    assert ran.exit_code == 1
    assert "cannot revert fraud v1: deleted by" in ran.stderr


def test_replay_refuses_events_it_cannot_make_again() -> None:
    empty = Snapshot(MemoryFiles())
    hand_edit = Event(kind=EventKind.VERSION_IMMUTABLE_CHANGED, model="fraud", version=1,
                      key="source", old="a", new="b")
    with pytest.raises(InvalidParameter, match="cannot re-apply fraud v1: IMMUTABLE"):
        reapply(RegistryDiff.of([hand_edit]), head=empty)
    gone = Event(kind=EventKind.MODEL_DELETED, model="fraud", old={"versions": 2})
    with pytest.raises(InvalidParameter, match="cannot revert fraud: model deleted"):
        inverse(RegistryDiff.of([gone]), old=empty)


def test_rebase_refuses_the_registry_branch_and_an_unknown_branch(shared: Shared) -> None:
    folder = shared.clone("mine") / "registry"
    before = git_out(shared.remote, "for-each-ref")
    for args, message in (
        ((), "main is the registry branch itself; name a proposal branch"),
        (("main",), "main is the registry branch itself; name a proposal branch"),
        (("modelreg/nope",), "origin has no branch 'modelreg/nope' to rebase (the proposals "
                             "there: git ls-remote --heads origin 'modelreg/*')"),
    ):
        ran = CliRunner().invoke(cli, ["--registry", str(folder), "rebase", *args])
        assert ran.exit_code == 1 and ran.stderr == f"modelreg: error: {message}\n"
    assert git_out(shared.remote, "for-each-ref") == before
