"""`--push` against a real bare remote (issue #3): one commit lands; a moved remote re-applies
the operation with the next number; a push whose answer was lost is not applied twice; four
clones released together never lose a write nor share a number."""

from __future__ import annotations

import multiprocessing as mp
import shlex
from pathlib import Path

import pytest

from helpers import git_out, make_model
from modelreg import Registry, history
from modelreg.errors import Conflict, GitError
from modelreg.landing import Pushed, pushing
from remotes import Shared, make_shared


@pytest.fixture
def shared(tmp_path: Path, repo: Path, bare_remote: Path) -> Shared:
    return make_shared(tmp_path, repo, bare_remote)


def pushed(reg: Registry) -> Pushed:
    assert isinstance(reg.last_write, Pushed)
    return reg.last_write


def test_push_lands_one_commit_and_brings_the_checkout_along(shared: Shared) -> None:
    clone = shared.clone("a")
    before = shared.tip()
    reg = Registry(clone / "registry", push=True)
    mv = reg.register("fraud", make_model(shared.root / "m2", "weights v2\n"))
    assert mv.version == 2
    assert git_out(shared.remote, "rev-list", f"{before}..main").split() == [pushed(reg).commit]
    assert shared.remote_log()[0] == "Register fraud version 2"
    assert (pushed(reg).retries, pushed(reg).committed, pushed(reg).local) == (0, True, "")
    assert git_out(clone, "rev-parse", "HEAD").strip() == shared.tip()
    assert git_out(clone, "status", "--porcelain") == ""
    assert (clone / "registry/models/fraud/versions/2.yaml").is_file()
    assert "refs/modelreg/remotes/origin/main" in git_out(clone, "for-each-ref")


def test_a_moved_remote_makes_the_operation_run_again_with_the_next_number(
    shared: Shared,
) -> None:
    other = shared.clone("other")
    Registry(other / "registry").register("fraud", make_model(shared.root / "o", "other\n"))
    (shared.control / "before-once").write_text(f"git -C {shlex.quote(str(other))} push -q")
    clone = shared.clone("a", wrapped=True)
    reg = Registry(clone / "registry", push=True)
    mv = reg.register("fraud", make_model(shared.root / "m2", "mine\n"))
    assert mv.version == 3  # the remote took 2 between our fetch and our push
    assert pushed(reg).retries == 1 and shared.pushes() == 2
    assert shared.remote_log()[:2] == ["Register fraud version 3", "Register fraud version 2"]
    assert git_out(clone, "rev-parse", "main").strip() == shared.tip()


def test_a_push_whose_answer_was_lost_is_not_applied_twice(shared: Shared) -> None:
    (shared.control / "cut").touch()
    clone = shared.clone("a", wrapped=True)
    before = shared.tip()
    reg = Registry(clone / "registry", push=True)
    reg.set_registered_model_alias("fraud", "champion", 1)
    mv = reg.register("fraud", make_model(shared.root / "m2", "weights v2\n"))
    assert mv.version == 2
    result = pushed(reg)
    assert result.deduplicated and result.commit == shared.tip()
    assert shared.pushes() == 2  # one push each: no second try after the lost answer
    assert git_out(shared.remote, "rev-list", "--count", f"{before}..main").strip() == "2"
    assert git_out(clone, "rev-parse", "main").strip() == shared.tip()


def test_pushing_from_a_bare_repository_used_as_a_service(shared: Shared) -> None:
    service = shared.root / "service.git"
    git_out(shared.root, "clone", "-q", "--bare", str(shared.remote), str(service))
    reg = Registry(f"modelreg://{service}?path=registry&ref=main", push=True)
    reg.set_registered_model_alias("fraud", "champion", 1)
    assert shared.remote_log()[0] == "Set alias champion of fraud to version 1"
    assert git_out(service, "rev-parse", "main").strip() == shared.tip()
    assert reg.get_registered_model("fraud").aliases == {"champion": 1}


def test_a_local_branch_with_its_own_commits_is_left_and_said_so(shared: Shared) -> None:
    clone = shared.clone("a")
    local = Registry(clone / "registry")
    local.set_registered_model_tag("fraud", "team", "risk")  # a local commit, not pushed
    reg = Registry(clone / "registry", push=True)
    reg.set_registered_model_alias("fraud", "champion", 1)
    assert "left as it is" in pushed(reg).local
    assert shared.remote_log()[0] == "Set alias champion of fraud to version 1"
    assert git_out(clone, "log", "-1", "--format=%s").startswith("Set tag team")


def test_a_refusing_remote_is_one_error_and_no_retry(shared: Shared) -> None:
    hook = shared.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    reg = Registry(shared.clone("a") / "registry", push=True)
    with pytest.raises(GitError, match=r"origin refused the push to main: .*declined"):
        reg.set_registered_model_alias("fraud", "champion", 1)


def test_giving_up_names_the_branch_and_the_tries(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pushing, "MAX_TRIES", 3)
    other = shared.clone("other")
    moving = f"git -C {shlex.quote(str(other))}"
    (shared.control / "before-always").write_text(
        f"{moving} commit -q --allow-empty -m busy && {moving} push -q origin HEAD:main")
    reg = Registry(shared.clone("a", wrapped=True) / "registry", push=True)
    with pytest.raises(Conflict, match=r"origin/main kept moving: gave up after 3 tries"):
        reg.set_registered_model_alias("fraud", "champion", 1)
    assert "champion" not in Registry(other / "registry").get_registered_model("fraud").aliases


def test_a_push_transaction_is_computed_on_the_remote_tip(shared: Shared) -> None:
    other = shared.clone("other")
    Registry(other / "registry", push=True).register("fraud", make_model(shared.root / "o", "o\n"))
    reg = Registry(shared.clone("a") / "registry", push=True)
    git_out(Path(reg.location.path), "reset", "-q", "--hard", "HEAD~1")  # behind the remote
    with reg.transaction("Release"):
        mv = reg.register("fraud", make_model(shared.root / "m", "m\n"))
        reg.set_registered_model_alias("fraud", "champion", mv.version)
    assert mv.version == 3
    assert shared.remote_log()[0] == "Release"


# ---------------------------------------------------------------- four clones at once

WORKERS = 4
EACH = 3


def _worker(folder: str, index: int, barrier: object, out: object) -> None:
    reg = Registry(folder, actor=f"worker-{index}@example.com", push=True)
    model = Path(folder).parent.parent / f"model-{index}"
    retries, moves = 0, []
    barrier.wait()  # type: ignore[attr-defined]
    for step in range(EACH):
        make_model(model, f"worker {index} step {step}\n")
        mv = reg.register("fraud", model)
        retries += pushed(reg).retries
        reg.set_registered_model_alias("fraud", "champion", mv.version)
        retries += pushed(reg).retries
        moves.append((pushed(reg).commit, mv.version))
    out.put((index, moves, retries))  # type: ignore[attr-defined]


@pytest.mark.slow
def test_four_clones_register_and_move_an_alias_at_once(shared: Shared) -> None:
    clones = [shared.clone(f"c{i}") / "registry" for i in range(WORKERS)]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(c), i, barrier, out))
             for i, c in enumerate(clones)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    numbers = sorted(v for _, moves, _ in results for _, v in moves)
    assert numbers == list(range(2, 2 + WORKERS * EACH))  # version 1 was there before
    assert sum(r for _, _, r in results) > 0, "no push was ever retried: the clones never raced"

    bare = Registry(f"modelreg://{shared.remote}?path=registry&ref=main")
    live = [mv.version for mv in bare.search_model_versions("name = 'fraud'", max_results=100)]
    assert sorted(live) == [1, *numbers]
    entries = list(history.log(bare.repo, bare.prefix, rev="main"))
    moves = [e for e in entries if e.op == "alias-set"]
    assert len(moves) == WORKERS * EACH
    landed = {commit: version for _, ms, _ in results for commit, version in ms}
    assert {e.commit for e in moves} == set(landed)
    assert bare.get_registered_model("fraud").aliases["champion"] == landed[moves[0].commit]
    assert len([e for e in entries if e.op == "version-create"]) == WORKERS * EACH + 1


def test_the_cli_pushes_and_keeps_json_on_stdout(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from click.testing import CliRunner

    from modelreg.cli import cli

    clone = shared.clone("a")
    monkeypatch.chdir(clone / "registry")
    model = make_model(shared.root / "m2", "weights v2\n")
    ran = CliRunner().invoke(cli, ["register", "fraud", str(model), "--push", "--json"],
                             catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["version"] == 2
    assert ran.stderr.startswith(f"Pushed {shared.tip()[:10]} to origin/main")
