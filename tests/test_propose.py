"""`--propose` against a real bare remote and a local GitHub API (issue #3): a branch named
after the change, the exact pull request request (body compared with a golden file), the
compare URL without a token, `proposal status` (merged, and the numbers it got)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import git_out, make_model
from modelreg import Registry
from modelreg.cli import cli
from modelreg.forge import parse_remote_url
from modelreg.landing import Proposal, proposal_status
from remotes import Forge, Shared, make_shared, metrics, run_git, serve_forge

GOLDEN = Path(__file__).parent / "golden" / "propose-body.md"
BRANCH = "modelreg/fraud-champion-v2"


@pytest.fixture
def shared(tmp_path: Path, repo: Path, bare_remote: Path) -> Shared:
    found = make_shared(tmp_path, repo, bare_remote)
    reg = Registry(repo / "registry", push=True)
    reg.register("fraud", make_model(tmp_path / "m2", "weights v2\n"), options=metrics(0.94))
    reg.set_registered_model_alias("fraud", "champion", 1)
    return found


@pytest.fixture
def forge(monkeypatch: pytest.MonkeyPatch) -> Iterator[Forge]:
    for found in serve_forge():
        monkeypatch.setenv("GITHUB_API_URL", found.url)
        monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
        yield found


def proposal(reg: Registry) -> Proposal:
    assert isinstance(reg.last_write, Proposal)
    return reg.last_write


def test_propose_pushes_a_branch_and_opens_the_exact_pull_request(
    shared: Shared, forge: Forge
) -> None:
    clone = shared.clone("a", github=True)
    forge.answer("POST", "/repos/acme/models/pulls",
                 (201, {"number": 7, "html_url": "https://github.com/acme/models/pull/7"}))
    main = shared.tip()
    reg = Registry(clone / "registry", propose=True)
    reg.set_registered_model_alias("fraud", "champion", 2)

    done = proposal(reg)
    assert (done.branch, done.base, done.number, done.opened) == (BRANCH, "main", 7, True)
    assert done.url == "https://github.com/acme/models/pull/7"
    assert shared.tip() == main  # main is untouched: the change waits for review
    assert git_out(shared.remote, "rev-parse", f"{BRANCH}^").strip() == main
    subject = "Move alias champion of fraud from version 1 to version 2"
    assert shared.remote_log(BRANCH)[0] == subject
    assert git_out(clone, "rev-parse", "HEAD").strip() == main  # the checkout did not move

    [seen] = forge.seen
    assert (seen.method, seen.path) == ("POST", "/repos/acme/models/pulls")
    assert seen.headers["authorization"] == "Bearer t0ken"
    assert seen.headers["accept"] == "application/vnd.github+json"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["x-github-api-version"] == "2022-11-28"
    assert sorted(seen.body) == ["base", "body", "head", "title"]
    assert seen.body["title"] == "Move alias champion of fraud from version 1 to version 2"
    assert (seen.body["head"], seen.body["base"]) == (BRANCH, "main")
    if os.environ.get("MODELREG_UPDATE_GOLDEN"):
        GOLDEN.write_text(seen.body["body"])
    assert seen.body["body"] == GOLDEN.read_text()


def test_without_a_token_the_compare_url_and_a_fresh_name_each_time(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("MODELREG_GITHUB_TOKEN", raising=False)
    reg = Registry(shared.clone("a", github=True) / "registry", propose=True)
    reg.set_registered_model_alias("fraud", "champion", 2)
    first = proposal(reg)
    assert first.url == f"https://github.com/acme/models/compare/main...{BRANCH}?expand=1"
    assert not first.opened and first.number is None
    reg.set_registered_model_alias("fraud", "champion", 2)
    assert proposal(reg).branch == f"{BRANCH}-2"
    reg.set_registered_model_alias("fraud", "champion", 1)  # already so on main: nothing to do
    assert not proposal(reg).committed


def test_the_cli_prints_the_branch_and_the_pull_request(
    shared: Shared, forge: Forge, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = shared.clone("a", github=True)
    forge.answer("POST", "/repos/acme/models/pulls",
                 (201, {"number": 8, "html_url": "https://github.com/acme/models/pull/8"}))
    monkeypatch.chdir(clone / "registry")
    ran = CliRunner().invoke(cli, ["stage", "fraud", "2", "Production", "--propose"],
                             catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.splitlines()[-2:] == [
        "Proposed on branch modelreg/fraud-v2-production (into main)",
        "Pull request #8: https://github.com/acme/models/pull/8",
    ]
    ran = CliRunner().invoke(cli, ["models", "tag", "fraud", "team", "risk", "--propose",
                                   "--push"])
    assert ran.exit_code == 2 and "exclude each other" in ran.stderr


def test_a_refused_pull_request_still_says_where_the_branch_is(
    shared: Shared, forge: Forge
) -> None:
    forge.answer("POST", "/repos/acme/models/pulls",
                 (422, {"message": "Validation Failed",
                        "errors": [{"message": "A pull request already exists"}]}))
    reg = Registry(shared.clone("a", github=True) / "registry", propose=True)
    with pytest.raises(Exception, match=r"GitHub refused to open a pull request .*422: "
                       r"Validation Failed: A pull request already exists.*is pushed: open it at "
                       r"https://github.com/acme/models/compare/main\.\.\."):
        reg.set_registered_model_alias("fraud", "champion", 2)
    assert shared.remote_log(BRANCH)


def test_proposal_status_from_the_forge_when_merged(
    shared: Shared, forge: Forge, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = shared.clone("a", github=True)
    forge.answer("POST", "/repos/acme/models/pulls", (201, {"number": 9, "html_url": "u"}))
    reg = Registry(clone / "registry", propose=True)
    mv = reg.register("fraud", make_model(shared.root / "m3", "weights v3\n"))
    branch = proposal(reg).branch
    assert (mv.version, branch) == (3, "modelreg/fraud-register-v3")
    Registry(shared.clone("b") / "registry", push=True).register(
        "fraud", make_model(shared.root / "m4", "theirs\n"))  # main takes 3 meanwhile
    merge = _merge_on_the_remote(shared, branch, rebase_first=True)
    open_pull = {"number": 9, "state": "open", "merged": False, "html_url": "u",
                 "head": {"ref": branch}, "base": {"ref": "main"}}
    merged = {**open_pull, "state": "closed", "merged": True, "merge_commit_sha": merge}
    forge.answer("GET", "/repos/acme/models/pulls/9", (200, open_pull), (200, merged))

    monkeypatch.chdir(clone / "registry")
    args = ["proposal", "status", "9", "--wait", "--interval", "0", "--json"]
    ran = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    data = json.loads(ran.stdout)
    assert (data["state"], data["number"], data["merge_commit"]) == ("merged", 9, merge)
    assert data["versions"] == [{"model": "fraud", "version": 4}]  # renumbered by the rebase
    assert len([s for s in forge.seen if s.method == "GET"]) == 2


def test_proposal_status_from_git_alone(shared: Shared, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    clone = shared.clone("a")
    reg = Registry(clone / "registry", propose=True)
    reg.register("fraud", make_model(shared.root / "m3", "weights v3\n"))
    branch = proposal(reg).branch
    prefix = reg.prefix
    assert proposal_status(reg.repo, prefix, branch).state == "open"
    merge = _merge_on_the_remote(shared, branch)
    found = proposal_status(reg.repo, prefix, branch)
    assert (found.state, found.merge_commit, found.versions) == ("merged", merge, (("fraud", 3),))
    git_out(shared.remote, "branch", "-D", branch)
    assert proposal_status(reg.repo, prefix, branch).state == "merged"  # after the delete too


def _merge_on_the_remote(shared: Shared, branch: str, *, rebase_first: bool = False) -> str:
    """What the forge's merge button does, done with git in another clone."""
    merger = shared.clone(f"merger-{len(list(shared.root.iterdir()))}")
    if rebase_first:
        ran = CliRunner().invoke(cli, ["--registry", str(merger / "registry"), "rebase", branch],
                                 catch_exceptions=False)
        assert ran.exit_code == 0, ran.output
    run_git(merger, "fetch", "-q", "origin", branch)
    run_git(merger, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", "FETCH_HEAD")
    run_git(merger, "push", "-q", "origin", "main")
    return git_out(merger, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(("url", "full"), [
    ("https://github.com/acme/models.git", "github.com acme/models"),
    ("https://x-access-token:abc@github.com/acme/models", "github.com acme/models"),
    ("ssh://git@github.com/acme/models.git", "github.com acme/models"),
    ("ssh://git@ghe.example.com:2222/acme/models.git", "ghe.example.com acme/models"),
    ("git@github.com:acme/models.git", "github.com acme/models"),
    ("git://github.com/acme/models", "github.com acme/models"),
    ("/srv/git/models.git", None),
    ("file:///srv/git/models.git", None),
    ("https://github.com/acme", None),
])
def test_remote_urls_name_their_forge_repository(url: str, full: str | None) -> None:
    found = parse_remote_url(url)
    assert (f"{found.host} {found.full_name}" if found else None) == full


def test_propose_from_a_bare_repository_used_as_a_service(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    service = shared.root / "service.git"
    git_out(shared.root, "clone", "-q", "--bare", str(shared.remote), str(service))
    main = shared.tip()
    reg = Registry(f"modelreg://{service}?path=registry&ref=main", propose=True)
    reg.set_registered_model_alias("fraud", "champion", 2)
    done = proposal(reg)
    assert (done.branch, done.url) == (BRANCH, "")  # a path names no forge: no page to link
    assert git_out(shared.remote, "rev-parse", f"{BRANCH}^").strip() == main
    assert git_out(service, "rev-parse", "main").strip() == main


@pytest.mark.parametrize(("url", "page"), [
    ("https://github.com/acme/models.git",
     "https://github.com/acme/models/compare/main...modelreg/fraud-champion-v2?expand=1"),
    ("git@gitlab.com:acme/models.git",
     "https://gitlab.com/acme/models/-/merge_requests/new?merge_request%5Bsource_branch%5D="
     "modelreg%2Ffraud-champion-v2&merge_request%5Btarget_branch%5D=main"),
    ("https://gitlab.example.com/acme/models.git",
     "https://gitlab.example.com/acme/models/-/merge_requests/new?merge_request%5Bsource_branch"
     "%5D=modelreg%2Ffraud-champion-v2&merge_request%5Btarget_branch%5D=main"),
    ("git@bitbucket.org:acme/models.git",
     "https://bitbucket.org/acme/models/pull-requests/new?source=modelreg%2Ffraud-champion-v2"
     "&dest=main"),
])
def test_the_page_to_open_a_pull_request_is_the_forges_own(url: str, page: str) -> None:
    found = parse_remote_url(url)
    assert found is not None and found.compare_url("main", BRANCH) == page


def test_a_gitlab_remote_without_a_token_links_to_a_new_merge_request(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")  # a GitHub token never goes to another forge
    clone = shared.clone("a")
    gitlab = "https://gitlab.example.com/acme/models.git"
    git_out(clone, "remote", "set-url", "origin", gitlab)
    git_out(clone, "config", f"url.{shared.remote}.insteadOf", gitlab)
    monkeypatch.chdir(clone / "registry")
    ran = CliRunner().invoke(cli, ["alias", "set", "fraud", "champion", "2", "--propose"],
                             catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.splitlines()[-1] == (
        "Open a pull request: https://gitlab.example.com/acme/models/-/merge_requests/new?"
        "merge_request%5Bsource_branch%5D=modelreg%2Ffraud-champion-v2"
        "&merge_request%5Btarget_branch%5D=main")
    assert shared.remote_log(BRANCH)[0].startswith("Move alias champion of fraud")


def test_proposal_status_of_the_registry_branch_itself_is_refused(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.chdir(shared.clone("a") / "registry")
    ran = CliRunner().invoke(cli, ["proposal", "status", "main"])
    assert ran.exit_code == 1 and ran.stdout == ""
    assert ran.stderr == ("modelreg: error: main is the registry branch itself; name a "
                          "proposal's branch (modelreg/...) or its pull request's number\n")
    ran = CliRunner().invoke(cli, ["proposal", "status", "modelreg/nope"])
    assert ran.exit_code == 1
    assert ran.stderr.startswith("modelreg: error: no proposal 'modelreg/nope': origin has no "
                                 "such branch")


def test_what_exists_only_in_this_clone_is_refused_and_says_where_it_was_looked_for(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    clone = shared.clone("a")
    Registry(clone / "registry").create_registered_model("churn")  # committed here, not pushed
    before = git_out(shared.remote, "for-each-ref")
    monkeypatch.chdir(clone / "registry")
    for flag in ("--propose", "--push"):
        ran = CliRunner().invoke(cli, ["models", "tag", "churn", "team", "risk", flag])
        assert ran.exit_code == 1, ran.output
        assert ran.stderr == ("modelreg: error: registered model 'churn' does not exist on "
                              "origin/main (a remote write is computed on its tip, not on this "
                              "clone)\n")
    assert git_out(shared.remote, "for-each-ref") == before


def test_propose_json_says_where_the_write_went(shared: Shared, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipeline reads the proposal's branch from stdout: one JSON document."""
    monkeypatch.chdir(shared.root / "repo" / "registry")
    model = make_model(tmp_path / "m3", "weights v3\n")
    ran = CliRunner().invoke(cli, ["register", "fraud", str(model), "--propose", "--json"],
                             catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    data = json.loads(ran.stdout)
    assert (data["name"], data["version"]) == ("fraud", 3)
    assert data["landing"]["mode"] == "propose" and data["landing"]["base"] == "main"
    assert data["landing"]["branch"] == "modelreg/fraud-register-v3"
    assert data["landing"]["committed"] is True
    assert "Proposed on branch modelreg/fraud-register-v3" in ran.stderr
