"""`modelreg.check`: pull requests judged in real repositories, one finding code per test.

Each test builds a registry with the library on `main` (fraud v1 approved and champion, v2 not
approved, a policy protecting `champion`), then makes a feature branch the way a person would
(library writes, hand edits committed with plain git, reverts, merges), moves `main` on when
the case needs it, and asserts the codes `check` finds.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import git_out, init_registry, make_model
from modelreg import Registry, layout, manifest, policy, problems
from modelreg.check import CheckOptions, CheckResult, check
from modelreg.check import codes as C
from modelreg.gitrepo import GitRepo, commit_files
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    FileEntry,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
)
from modelreg.registry import RegisterOptions
from modelreg.snapshot import ParseStats

POLICY = """\
policy:
  aliases:
    champion:
      require_tags: {validation_status: "approved"}
      require_metrics: {auc: ">= 0.9"}
"""
APPROVED = {"validation_status": "approved"}


@dataclass
class World:
    """A repository whose registry is at `registry/`; `reg` writes on the checked-out branch."""

    repo: Path
    reg: Registry
    models: Path

    @property
    def folder(self) -> Path:
        return self.repo / "registry"

    def git(self, *args: str) -> str:
        return git_out(self.repo, *args)

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)

    def switch(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def edit(self, rel: str, old: str, new: str, message: str = "Hand edit") -> None:
        path = self.folder / rel
        text = path.read_text()
        assert old in text, text
        path.write_text(text.replace(old, new, 1))
        self.git("commit", "-q", "-am", message)

    def set_alias(self, alias: str, version: int | None, message: str = "Edit aliases") -> None:
        """What a person does in an editor or a forge's web editor: edit aliases.yaml, commit.

        (The library refuses to move a protected alias directly: that is what review is for.)
        """
        path = self.folder / layout.aliases_file("fraud")
        table = manifest.parse_aliases(path.read_bytes(), str(path))
        aliases = {k: v for k, v in table.aliases.items() if k != alias}
        if version is not None:
            aliases[alias] = version
        path.write_bytes(manifest.dump_aliases(AliasTable(aliases=aliases, stages=table.stages)))
        self.git("commit", "-q", "-am", message)

    def register(self, content: str, **options: object) -> ModelVersion:
        folder = make_model(self.models / content.replace(" ", "-"), content)
        return self.reg.register("fraud", folder, options=RegisterOptions(**options))  # type: ignore[arg-type]

    def check(self, base: str = "main", head: str = "HEAD", *, verify: bool = True) -> CheckResult:
        return check(self.reg.repo, "registry", base, head=head,
                     options=CheckOptions(verify_artifacts=verify))


def codes(result: CheckResult) -> list[str]:
    return [p.code for p in result.problems]


def only(result: CheckResult, code: str) -> problems.Problem:
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, result.problems
    return found[0]


@pytest.fixture
def world(tmp_path: Path, repo: Path) -> Iterator[World]:
    reg = init_registry(repo)
    w = World(repo=repo, reg=reg, models=tmp_path / "models")
    w.register("weights v1", metrics={"auc": 0.91}, tags=APPROVED)
    w.register("weights v2", metrics={"auc": 0.95})
    reg.set_registered_model_alias("fraud", "champion", 1)
    (w.folder / "registry.yaml").write_text((w.folder / "registry.yaml").read_text() + POLICY)
    w.git("commit", "-q", "-am", "Protect champion")
    w.branch("feature")
    yield w


# ---------------------------------------------------------------- the policy, on BASE


def test_moving_champion_to_an_unapproved_version_fails_until_main_approves_it(
    world: World,
) -> None:
    world.set_alias("champion", 2)
    result = world.check()
    assert codes(result) == [policy.POLICY_TAG_MISSING] and not result.ok
    problem = result.problems[0]
    assert (problem.path, problem.line) == ("models/fraud/aliases.yaml", 3)
    assert [e.kind.value for e in result.diff] == ["alias-moved"]

    world.switch("main")  # approved on main, in a commit of its own
    world.reg.set_model_version_tag("fraud", 2, "validation_status", "approved")
    world.switch("feature")
    passed = world.check()
    assert passed.problems == () and passed.ok
    assert passed.base != passed.merge_base  # judged against main's tip, not where it forked


def test_a_pull_request_cannot_approve_what_it_promotes(world: World) -> None:
    world.reg.set_model_version_tag("fraud", 2, "validation_status", "approved")
    world.set_alias("champion", 2)
    assert codes(world.check()) == [policy.POLICY_TAG_NOT_ON_BASE]


def test_loosening_the_policy_is_judged_by_the_old_one(world: World) -> None:
    world.edit("registry.yaml", 'require_tags: {validation_status: "approved"}\n', "",
               "Loosen the policy")
    world.set_alias("champion", 2)
    result = world.check()
    assert codes(result) == [policy.POLICY_TAG_MISSING, policy.POLICY_CHANGED]
    assert only(result, policy.POLICY_CHANGED).severity == "warning" and not result.ok


def test_a_metric_below_the_threshold(world: World) -> None:
    world.switch("main")
    world.register("weights v3", metrics={"auc": 0.85}, tags=APPROVED)
    world.switch("feature")
    world.git("merge", "-q", "main")
    world.set_alias("champion", 3)
    assert codes(world.check()) == [policy.POLICY_METRIC]


def test_a_pull_request_may_do_what_needs_review(world: World) -> None:
    world.set_alias("champion", None)
    assert world.check().problems == ()


# ---------------------------------------------------------------- written once


def test_changing_a_released_metric_is_refused(world: World) -> None:
    world.edit("models/fraud/versions/1.yaml", "auc: 0.91", "auc: 0.99")
    problem = only(world.check(), C.IMMUTABLE_FIELD)
    assert problem.path == "models/fraud/versions/1.yaml" and problem.json_path == "$.metrics"
    assert problem.line is not None and "metrics is written once" in problem.message


def test_a_deleted_version_cannot_come_back(world: World) -> None:
    world.reg.delete_model_version("fraud", 2)
    world.git("revert", "--no-edit", "HEAD")
    world.switch("main")
    world.git("merge", "-q", "--ff-only", "feature~1")
    world.switch("feature")
    result = world.check()
    assert C.IMMUTABLE_FIELD in codes(result), result.problems
    assert "cannot come back" in only(result, C.IMMUTABLE_FIELD).message


def test_removing_a_version_file_instead_of_deleting_it(world: World) -> None:
    world.git("rm", "-q", "registry/models/fraud/versions/1.yaml")
    world.edit("models/fraud/aliases.yaml", "champion: 1", "champion: 2")
    world.switch("main")
    world.reg.set_model_version_tag("fraud", 2, "validation_status", "approved")
    world.switch("feature")
    result = world.check()
    assert codes(result) == [C.VERSION_FILE_REMOVED]
    assert "modelreg versions delete fraud 1" in result.problems[0].message


def test_last_version_only_grows(world: World) -> None:
    world.edit("models/fraud/model.yaml", "last_version: 2", "last_version: 5")
    world.switch("main")
    world.git("merge", "-q", "--ff-only", "feature")
    world.switch("feature")
    world.edit("models/fraud/model.yaml", "last_version: 5", "last_version: 2")
    problem = only(world.check(), C.LAST_VERSION_DECREASED)
    assert problem.json_path == "$.last_version" and "(5 -> 2)" in problem.message


def test_a_forge_revert_of_a_registration_points_at_modelreg_revert(world: World) -> None:
    world.switch("main")
    world.register("weights v3", metrics={"auc": 0.93})
    world.switch("feature")
    world.git("merge", "-q", "--ff-only", "main")
    world.git("revert", "--no-edit", "HEAD")  # what a forge's Revert button commits
    result = world.check()
    assert codes(result) == [C.REGISTRATION_REVERTED]
    assert result.problems[0].path == "models/fraud/versions/3.yaml"
    assert "`modelreg revert`" in result.problems[0].message


def test_the_registry_id_is_written_once(world: World) -> None:
    config = (world.folder / "registry.yaml").read_text()
    old_id = next(line for line in config.splitlines() if line.startswith("id: "))
    world.edit("registry.yaml", old_id, 'id: "another-registry"')
    problem = only(world.check(), C.IMMUTABLE_FIELD)
    assert (problem.path, problem.json_path, problem.line) == ("registry.yaml", "$.id", 3)


def test_a_rename_passes(world: World) -> None:
    world.reg.rename_registered_model("fraud", "fraud-detector")
    result = world.check()
    assert result.problems == () and result.ok
    assert [e.kind.value for e in result.diff] == ["model-renamed"]


# ---------------------------------------------------------------- numbers and targets


def test_a_number_main_took_meanwhile_names_modelreg_rebase(world: World) -> None:
    world.register("weights feature")
    world.switch("main")
    world.register("weights main")
    world.switch("feature")
    problem = only(world.check(), C.VERSION_TAKEN)
    assert problem.path == "models/fraud/versions/3.yaml" and problem.json_path == "$.version"
    assert "registered on the base branch meanwhile" in problem.message
    assert "`modelreg rebase`" in problem.message


def test_an_alias_must_name_a_live_version_on_main(world: World) -> None:
    world.reg.set_registered_model_alias("fraud", "challenger", 2)
    assert world.check().problems == ()
    world.switch("main")
    world.reg.delete_model_version("fraud", 2)  # both pass alone; together they clash
    world.switch("feature")
    problem = only(world.check(), problems.ALIAS_TARGET_MISSING)
    assert problem.path == "models/fraud/aliases.yaml" and "is deleted" in problem.message


def test_an_alias_at_a_version_that_never_was(world: World) -> None:
    world.edit("models/fraud/aliases.yaml", "champion: 1", "champion: 1\n  canary: 9")
    problem = only(world.check(), problems.ALIAS_TARGET_MISSING)
    assert problem.json_path == "$.aliases.canary" and "does not exist" in problem.message


def test_stages_are_known_values(world: World) -> None:
    world.edit("models/fraud/aliases.yaml", "stages: {}", "stages:\n  Prod: [2]")
    problem = only(world.check(), C.UNKNOWN_STAGE)
    assert problem.json_path == "$.stages.Prod" and problem.line == 5
    assert "unknown stage 'Prod' (stages: Staging, Production, Archived)" in problem.message


def test_changed_manifests_meet_the_schema_and_old_problems_are_not_the_changes(
    world: World,
) -> None:
    world.switch("main")  # a problem main already has, in another model
    world.reg.create_registered_model("churn")
    world.edit("models/churn/model.yaml", 'description: ""', "description: 3")
    world.switch("feature")
    world.git("merge", "-q", "main")
    world.edit("models/fraud/model.yaml", 'description: ""', 'description: ""\nowner: "risk"')
    problem = only(world.check(), problems.SCHEMA)
    assert problem.path == "models/fraud/model.yaml" and problem.json_path == "$.owner"


# ---------------------------------------------------------------- artifacts of new versions


def stored_blob(world: World, mv: ModelVersion) -> Path:
    assert mv.artifacts is not None
    return world.folder / "artifacts" / mv.artifacts.uri / "weights-v3.bin"


def test_new_versions_artifacts_are_in_the_store_and_match(world: World) -> None:
    folder = make_model(world.models / "v3", files={"weights-v3.bin": "weights v3\n"})
    mv = world.reg.register("fraud", folder)
    assert world.check().problems == ()
    blob = stored_blob(world, mv)
    blob.chmod(0o644)
    blob.write_text("tampered\n")
    problem = only(world.check(), C.ARTIFACT_MISMATCH)
    assert problem.path == "models/fraud/versions/3.yaml" and "weights-v3.bin" in problem.message
    blob.unlink()
    assert codes(world.check()) == [C.ARTIFACT_MISSING]
    assert world.check(verify=False).problems == ()


# ---------------------------------------------------------------- fail closed


def test_a_base_missing_from_a_shallow_clone(world: World, tmp_path: Path) -> None:
    world.reg.set_registered_model_alias("fraud", "challenger", 2)
    base = world.git("rev-parse", "main").strip()
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature",
                    f"file://{world.repo}", str(clone)], check=True)
    ci = GitRepo.discover(clone)
    result = check(ci, "registry", base)
    assert codes(result) == [C.BASE_UNREADABLE] and not result.ok
    assert "shallow" in result.problems[0].message
    # The base commit alone is not enough: the change's start is cut off too.
    git_out(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    again = check(ci, "registry", "origin/main")
    ci.close()
    assert codes(again) == [C.BASE_UNREADABLE] and "no common history" in again.problems[0].message


def test_a_corrupt_registry_yaml_on_base(world: World) -> None:
    world.reg.set_registered_model_alias("fraud", "challenger", 2)
    world.switch("main")
    world.edit("registry.yaml", "policy:\n", "policy:\npolicy:\n")
    world.switch("feature")
    result = world.check()
    assert codes(result) == [C.BASE_UNREADABLE]
    assert "duplicate key 'policy'" in result.problems[0].message


def test_a_bad_policy_on_base_is_unreadable_too(world: World) -> None:
    world.switch("main")
    world.edit("registry.yaml", "require_metrics", "require_metric")
    world.switch("feature")
    assert codes(world.check()) == [C.BASE_UNREADABLE]


def test_the_change_that_creates_the_registry(repo: Path, tmp_path: Path) -> None:
    git_out(repo, "checkout", "-q", "-b", "feature")
    reg = init_registry(repo)
    reg.register("fraud", make_model(tmp_path / "m", "weights\n"))
    result = check(reg.repo, "registry", "main")
    assert codes(result) == [C.BASE_NO_REGISTRY] and result.ok
    assert result.problems[0].severity == C.NOTICE


# ---------------------------------------------------------------- cost follows the change


def model_files(name: str, token: str) -> dict[str, bytes]:
    digest = "sha256:" + "0" * 64
    art = Artifacts(mode=ArtifactMode.STORED, uri="sha256/" + "0" * 64, digest=digest, size=1,
                    file_count=1, files=(FileEntry(path="m.bin", size=1, sha256="a" * 64),))
    files = {
        layout.model_file(name): manifest.dump_model(RegisteredModel(
            name=name, last_version=2, created_at="2026-01-05T10:00:00.000Z", created_by=token)),
        layout.aliases_file(name): manifest.dump_aliases(AliasTable(aliases={"champion": 1,
                                                                            token: 2})),
    }
    for number in (1, 2):
        files[layout.version_file(name, number)] = manifest.dump_version(ModelVersion(
            name=name, version=number, artifacts=art, tags=APPROVED, metrics={"auc": 0.95},
            created_at="2026-01-05T10:00:00.000Z", created_by=token))
    return files


def one_alias_change(tmp_path: Path, count: int) -> tuple[int, int]:
    """Manifests parsed and Git objects read by checking one alias move among `count` models."""
    path = tmp_path / f"repo-{count}"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    repo = GitRepo.discover(path)
    config = RegistryConfig(id=f"reg-{count}", policy={"aliases": {"champion": {
        "require_tags": APPROVED, "require_metrics": {"auc": ">= 0.9"}}}})
    files = {layout.REGISTRY_FILE: manifest.dump_registry(config)}
    for index in range(count):
        files |= model_files(f"model-{index:04d}", token=f"builder-{count}")
    prefixed = {f"ml/{p}": data for p, data in files.items()}
    main = commit_files(repo, None, prefixed, "Registry")
    # Every blob differs from the other size's: the parse cache is shared by the process.
    moved = manifest.dump_aliases(AliasTable(aliases={"champion": 2, f"builder-{count}": 2}))
    feature = commit_files(repo, main, {f"ml/{layout.aliases_file('model-0003')}": moved}, "Move")
    parsed, objects = ParseStats.parsed, repo.stats.objects_read
    result = check(repo, "ml", main, head=feature)
    counts = ParseStats.parsed - parsed, repo.stats.objects_read - objects
    repo.close()
    assert result.problems == () and len(result.diff) == 1
    return counts


def test_checking_one_alias_costs_the_same_at_10_and_300_models(tmp_path: Path) -> None:
    small, large = one_alias_change(tmp_path, 10), one_alias_change(tmp_path, 300)
    assert small == large
    assert small[0] > 0 and small[1] > 0
