"""Manifests crafted in a pull request: `check` refuses each with a finding that names it (#6).

Each test starts from test_check's world (fraud v1 champion and approved, v2 not, a policy
protecting `champion`, a feature branch), commits what an attacker or a careless hand edit
would (with plain git: links, a 5 MB file, a billion laughs, a moved store), and asserts the
finding's code, file, line and the words of its message; `validate` on the same work tree
says it too where it applies. Nothing may crash, hang or read outside the registry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers import git_out
from modelreg import Registry, manifest, problems, yamlio
from modelreg.check import codes as C
from modelreg.gitrepo.worktree import WorktreeFiles
from modelreg.problems import Problem
from modelreg.validate import validate_registry
from test_check import APPROVED, POLICY, World, codes, only

MODELREG = str(Path(sys.executable).parent / "modelreg")
V2 = "models/fraud/versions/2.yaml"
V3 = "models/fraud/versions/3.yaml"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_check's world, built once: each test gets a copy (building it costs ~0.5 s)."""
    root = tmp_path_factory.mktemp("template")
    repo = root / "repo"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "initial"]):
        git_out(repo, *args)
    w = World(repo=repo, reg=Registry.init(repo / "registry"), models=root / "models")
    w.register("weights v1", metrics={"auc": 0.91}, tags=APPROVED)
    w.register("weights v2", metrics={"auc": 0.95})
    w.reg.set_registered_model_alias("fraud", "champion", 1)
    (w.folder / "registry.yaml").write_text((w.folder / "registry.yaml").read_text() + POLICY)
    w.git("commit", "-q", "-am", "Protect champion")
    w.branch("feature")
    return root


@pytest.fixture
def world(template: Path, tmp_path: Path) -> World:
    root = tmp_path / "w"
    shutil.copytree(template, root, symlinks=True)
    return World(repo=root / "repo", reg=Registry(root / "repo/registry"), models=root / "models")


def commit_all(world: World, message: str = "Crafted") -> None:
    world.git("add", "-A")
    world.git("commit", "-q", "-m", message)


def write(world: World, rel: str, data: bytes | str) -> None:
    path = world.folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def craft_version(world: World, mutate: Callable[[dict[str, Any]], None], number: int = 3,
                  *, name: str = "fraud") -> None:
    """Version `number` of `name`, made from fraud v2's manifest by `mutate`, with
    last_version raised to match: what a hand-made registration looks like."""
    data = yamlio.load((world.folder / V2).read_bytes()).data
    data["version"] = number
    mutate(data)
    write(world, f"models/fraud/versions/{number}.yaml", manifest.dump("model-version", data))
    model = world.folder / "models/fraud/model.yaml"
    model.write_text(model.read_text().replace("last_version: 2", f"last_version: {number}"))
    commit_all(world, "Register by hand")


def validated(world: World) -> list[Problem]:
    """`validate` of the work tree, as the pre-commit hook and `modelreg validate` run it."""
    return validate_registry(WorktreeFiles(world.folder))


def found(result_problems: list[Problem] | tuple[Problem, ...], code: str) -> Problem:
    hits = [p for p in result_problems if p.code == code]
    assert hits, result_problems
    return hits[0]


# ---------------------------------------------------------------- paths in artifacts

TRAVERSALS = [
    "../../etc/passwd", "/etc/passwd", "C:\\Windows\\evil.dll", "C:/Windows/evil.dll", "C:",
    "a\\b", "model/../../../x", "./model.bin", "a//b", "model.bin/", "bad\x00name", "..",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_an_artifact_path_that_leaves_its_folder(world: World, path: str) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["artifacts"]["files"][0]["path"] = path

    craft_version(world, mutate)
    result = world.check()
    problem = only(result, problems.SCHEMA)
    assert (problem.path, problem.json_path) == (V3, "$.artifacts.files[0].path")
    assert problem.line == 15 and "an artifact path is relative" in problem.message
    # The store refuses the path too, before reading anything (no file outside it is hashed).
    assert set(codes(result)) == {problems.SCHEMA, C.ARTIFACT_MISMATCH}
    assert "not a plain relative path" in only(result, C.ARTIFACT_MISMATCH).message or \
        "not normalized" in only(result, C.ARTIFACT_MISMATCH).message
    assert found(validated(world), problems.SCHEMA).json_path == "$.artifacts.files[0].path"


@pytest.mark.parametrize(("key", "value", "words"), [
    ("uri", "sha256/../../../etc", "the uri of stored artifacts is 'sha256/'"),
    ("files_uri", "../../../etc/passwd", "files_uri '../../../etc/passwd' is not 'sha256/"),
    ("files_uri", "sha256/" + "0" * 64 + ".files.json/../../x", "is not 'sha256/"),
])
def test_a_store_location_that_leaves_the_store(world: World, key: str, value: str,
                                                words: str) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["artifacts"][key] = value
        if key == "files_uri":
            del data["artifacts"]["files"]

    craft_version(world, mutate)
    result = world.check()
    problem = found(result.problems, problems.SCHEMA)
    assert problem.path == V3 and problem.json_path == f"$.artifacts.{key}"
    assert problem.line is not None and words in problem.message
    assert not result.ok
    assert any(p.json_path == f"$.artifacts.{key}" for p in validated(world))


# ---------------------------------------------------------------- links and submodules


@pytest.mark.parametrize(("rel", "target"), [
    (V3, "/etc/passwd"),  # a new version file
    ("models/fraud/aliases.yaml", "../../../../outside.yaml"),  # a manifest replaced by one
    ("models/evil", "../../.."),  # a model folder
    ("models/fraud/versions", "../../../outside"),  # a versions folder
    ("registry.yaml", "../outside.yaml"),
])
def test_a_symbolic_link_is_refused_and_never_followed(world: World, rel: str,
                                                       target: str) -> None:
    outside = world.repo / "outside.yaml"  # what the link reaches: a valid manifest
    outside.write_bytes((world.folder / V2).read_bytes())
    link = world.folder / rel
    if link.is_dir():
        subprocess.run(["rm", "-r", str(link)], check=True)
    else:
        link.unlink(missing_ok=True)
    link.symlink_to(target)
    commit_all(world, "A link")
    result = world.check()
    problem = only(result, C.SYMLINK)
    assert problem.path == rel and not result.ok
    assert f"a symbolic link (to {target!r})" in problem.message
    assert not any(e.kind.value == "version-registered" for e in result.diff.events)
    unreadable = found(validated(world), problems.UNREADABLE)
    assert unreadable.path == rel and "link" in unreadable.message


def test_a_submodule_is_refused(world: World) -> None:
    commit = world.git("rev-parse", "HEAD").strip()
    world.git("update-index", "--add", "--cacheinfo", f"160000,{commit},registry/models/sub")
    world.git("commit", "-q", "-m", "A submodule")
    problem = only(world.check(), C.SUBMODULE)
    assert problem.path == "models/sub" and "submodule" in problem.message


# ---------------------------------------------------------------- YAML that is not what it seems


def laughs(levels: int, width: int = 10) -> str:
    """A billion laughs at `levels` levels: 10**levels strings if aliases were expanded."""
    rows = ['lol0: &lol0 "lol"']
    for level in range(1, levels):
        rows.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * width) + "]")
    return "\n".join(rows) + "\n"


def bounded(run: Callable[[], Any], *, seconds: float, mebibytes: float) -> Any:
    """`run()`'s result, asserting it took at most that time and peak Python memory."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        out = run()
    finally:
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert took < seconds and peak < mebibytes * 2**20, (took, peak)
    return out


@pytest.mark.parametrize("rel", ["models/fraud/model.yaml", V3, "registry.yaml"])
def test_a_billion_laughs_is_refused_without_expanding(world: World, rel: str) -> None:
    path = world.folder / rel
    text = path.read_text() if path.exists() else (world.folder / V2).read_text()
    write(world, rel, text + laughs(12))
    commit_all(world, "Laughs")
    result = bounded(world.check, seconds=5, mebibytes=30)
    problem = found(result.problems, problems.ANCHOR)
    assert problem.path == rel and problem.line is not None and not result.ok
    assert "anchors and aliases are not allowed" in problem.message
    assert found(validated(world), problems.ANCHOR).path == rel


def test_laughs_spelled_out_are_refused_unparsed(world: World) -> None:
    """Without aliases the same bomb is a large file: refused by its size, not parsed."""
    big = "tags:\n" + "".join(f'  k{i}: "{"lol" * 1000}"\n' for i in range(400))
    text = (world.folder / "models/fraud/model.yaml").read_text().replace("tags: {}\n", big)
    write(world, "models/fraud/model.yaml", text)
    commit_all(world)
    problem = only(bounded(world.check, seconds=5, mebibytes=60), problems.MANIFEST_TOO_LARGE)
    assert problem.path == "models/fraud/model.yaml" and "1 MiB" in problem.message


def test_a_merge_key_is_refused(world: World) -> None:
    text = (world.folder / V2).read_text().replace(
        "metrics:\n  auc: 0.95\n", "metrics: &m\n  auc: 0.95\nextra:\n  <<: *m\n")
    write(world, V2, text)
    commit_all(world)
    problem = found(world.check().problems, problems.MERGE_KEY)
    assert (problem.path, problem.line) == (V2, 23) and "merge keys" in problem.message


@pytest.mark.parametrize(("rel", "old", "new", "line", "key"), [
    (V2, "version: 2\n", "version: 2\nversion: 3\n", 4, "version"),
    (V2, "metrics:\n  auc: 0.95\n", "metrics:\n  auc: 0.95\n  \"auc\": 0.99\n", 22, "auc"),
    ("models/fraud/aliases.yaml", "  champion: 1\n", "  champion: 1\n  champion: 2\n", 4,
     "champion"),
    ("models/fraud/model.yaml", "last_version: 2\n", "last_version: 2\n'last_version': 9\n", 6,
     "last_version"),
    ("registry.yaml", 'store: "artifacts"\n', 'store: "artifacts"\nstore: "/elsewhere"\n', 5,
     "store"),
])
def test_a_duplicate_key_is_refused_not_last_wins(world: World, rel: str, old: str, new: str,
                                                   line: int, key: str) -> None:
    world.edit(rel, old, new)
    result = world.check()
    problem = only(result, problems.DUPLICATE_KEY)
    assert (problem.path, problem.line) == (rel, line) and not result.ok
    assert f"duplicate key {key!r}" in problem.message
    assert found(validated(world), problems.DUPLICATE_KEY).line == line


# ---------------------------------------------------------------- size


def test_a_huge_manifest_and_a_huge_file_are_refused_quickly(world: World) -> None:
    text = (world.folder / "models/fraud/model.yaml").read_text()
    write(world, "models/fraud/model.yaml", text + "# " + "x" * (3 << 20) + "\n")
    write(world, "models/fraud/weights.bin", os.urandom(3 << 20))
    commit_all(world, "Huge")
    result = bounded(world.check, seconds=10, mebibytes=80)
    assert set(codes(result)) == {problems.MANIFEST_TOO_LARGE, problems.UNKNOWN_FILE}
    assert only(result, problems.MANIFEST_TOO_LARGE).path == "models/fraud/model.yaml"
    assert only(result, problems.UNKNOWN_FILE).path == "models/fraud/weights.bin"
    assert {p.code for p in validated(world)} == set(codes(result))


def tags_of_size(world: World, size: int) -> dict[str, str]:
    """Tags (each within MLflow's limits) that make fraud v3's manifest exactly `size` bytes."""
    data = {**yamlio.load((world.folder / V2).read_bytes()).data, "version": 3}
    tags = {f"t{i:02d}": "x" * 100_000 for i in range(10)} | {"t10": ""}
    tags["t10"] = "x" * (size - len(manifest.dump("model-version", data | {"tags": tags})))
    return tags


@pytest.mark.parametrize(("size", "refused"), [(manifest.MAX_BYTES, False),
                                               (manifest.MAX_BYTES + 1, True)])
def test_a_manifest_over_one_mebibyte(world: World, size: int, refused: bool) -> None:
    tags = tags_of_size(world, size)
    craft_version(world, lambda data: data.update(tags=tags))
    result = world.check()
    assert (V3 in [p.path for p in result.problems]) is refused
    if refused:
        problem = only(result, problems.MANIFEST_TOO_LARGE)
        assert problem.path == V3 and f"{size:,} bytes" in problem.message
        assert found(validated(world), problems.MANIFEST_TOO_LARGE).path == V3
    else:
        assert result.problems == () and [e.version for e in result.diff.events] == [3]


def test_the_writer_refuses_what_check_refuses(world: World) -> None:
    """A write may not make a manifest that every read would then refuse."""
    from modelreg.errors import InvalidParameter

    tags = tags_of_size(world, manifest.MAX_BYTES - 1000)
    text = yamlio.load((world.folder / V2).read_bytes()).data | {"tags": tags}
    write(world, V2, manifest.dump("model-version", text))
    commit_all(world, "Tags by hand, just under the limit")
    head = world.git("rev-parse", "HEAD")
    with pytest.raises(InvalidParameter, match="more than a manifest may be"):
        world.reg.set_model_version_tag("fraud", 2, "t10", tags["t10"] + "x" * 1000)
    assert world.git("rev-parse", "HEAD") == head and world.git("status", "--porcelain") == ""
    world.reg.set_model_version_tag("fraud", 2, "t10", tags["t10"] + "x" * 900)  # + updated_at
    assert manifest.MAX_BYTES - 100 < len((world.folder / V2).read_bytes()) <= manifest.MAX_BYTES


# ---------------------------------------------------------------- types, names and numbers

WRONG_TYPES = [
    # (file, old, new, code, JSON path, words)
    (V2, "version: 2", 'version: "2"', problems.SCHEMA, "$.version", "whole number"),
    (V2, "auc: 0.95", 'auc: "0.95"', problems.SCHEMA, "$.metrics.auc", "number"),
    (V2, "auc: 0.95", "auc: .nan", problems.SCHEMA, "$.metrics.auc", "finite"),
    (V2, "tags: {}", "tags: {k: 1}", problems.SCHEMA, "$.tags.k", "string"),
    (V2, "tags: {}", "tags: [k]", problems.SCHEMA, "$.tags", "mapping"),
    (V2, "tags: {}", "tags: {k: !!binary aGk=}", problems.SCHEMA, "$.tags.k", "string"),
    (V2, "auc: 0.95", "auc: !!timestamp 2026-01-01", problems.SCHEMA, "$.metrics.auc", "number"),
    (V2, "auc: 0.95", "auc: !!set {a}", problems.SCHEMA, "$.metrics.auc", "number"),
    (V2, "tags: {}", "tags: !!omap [a: b]", problems.SCHEMA, "$.tags", "mapping"),
    (V2, "tags: {}", "tags: " + "[" * 100 + "]" * 100, problems.YAML, "", "nested more than"),
    (V2, "size: 10", "size: 0x" + "f" * 4000, problems.YAML, "", "cannot be read as !!int"),
    (V2, "size: 10", "size: !!int ten", problems.YAML, "", "'ten' (3 characters) cannot be"),
    (V2, "auc: 0.95", "auc: !!timestamp 1", problems.YAML, "", "cannot be read as !!timest"),
    (V2, "auc: 0.95", "auc: !!bool maybe", problems.YAML, "", "cannot be read as !!bool"),
    (V2, "size: 10", "size: -10", problems.SCHEMA, "$.artifacts.size", "at least 0"),
    ("models/fraud/aliases.yaml", "champion: 1", 'champion: "1"', problems.SCHEMA,
     "$.aliases.champion", "whole number"),
    ("models/fraud/aliases.yaml", "stages: {}", "stages: {Production: 2}", problems.SCHEMA,
     "$.stages.Production", "list"),
    ("models/fraud/model.yaml", "last_version: 2", "last_version: true", problems.SCHEMA,
     "$.last_version", "whole number"),
    ("models/fraud/model.yaml", 'name: "fraud"', "name: 7", problems.SCHEMA, "$.name", "string"),
    ("registry.yaml", 'store: "artifacts"', "store: [a]", problems.SCHEMA, "$.store", "string"),
]


@pytest.mark.parametrize(("rel", "old", "new", "code", "at", "words"), WRONG_TYPES,
                         ids=[f"{r[0].rsplit('/', 1)[-1]}:{r[2][:24]}" for r in WRONG_TYPES])
def test_a_value_of_the_wrong_type(world: World, rel: str, old: str, new: str, code: str,
                                   at: str, words: str) -> None:
    world.edit(rel, old, new)
    result = world.check()
    problem = found(result.problems, code)
    assert (problem.path, problem.json_path) == (rel, at) and not result.ok, result.problems
    assert problem.line is not None and words in problem.message, problem
    again = found(validated(world), code)
    assert (again.path, again.json_path, again.line) == (rel, at, problem.line)


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n", "null\n", "\x00\x01\n",
                                  "\ufeff\ufeff: 1\n"])
def test_a_manifest_that_is_no_mapping(world: World, text: str) -> None:
    write(world, "models/fraud/aliases.yaml", text)
    commit_all(world)
    result = world.check()
    assert not result.ok
    assert any(p.path == "models/fraud/aliases.yaml" for p in result.problems), result.problems


def test_a_version_file_whose_number_disagrees(world: World) -> None:
    craft_version(world, lambda data: data.update(version=4))
    result = world.check()
    problem = only(result, problems.FILE_NAME_MISMATCH)
    assert (problem.path, problem.line, problem.json_path) == (V3, 3, "$.version")
    assert "versions/3.yaml but says version 4" in problem.message and not result.ok
    assert found(validated(world), problems.FILE_NAME_MISMATCH).path == V3


def test_a_version_file_naming_another_model(world: World) -> None:
    world.switch("main")
    world.reg.create_registered_model("churn")
    world.switch("feature")
    world.git("merge", "-q", "main")
    craft_version(world, lambda data: data.update(name="churn"))
    problem = only(world.check(), problems.NAME_MISMATCH)
    assert (problem.path, problem.json_path) == (V3, "$.name")
    assert "name 'churn' belongs in models/churn/" in problem.message
    assert found(validated(world), problems.NAME_MISMATCH).path == V3


@pytest.mark.parametrize("name", ["03.yaml", "3.yml", "-1.yaml", "0.yaml", "3.yaml.bak",
                                  "3 .yaml", "../3.yaml.txt"])
def test_a_version_file_with_a_name_that_is_no_number(world: World, name: str) -> None:
    write(world, f"models/fraud/versions/{name}", (world.folder / V2).read_bytes())
    commit_all(world)
    rel = os.path.normpath(f"models/fraud/versions/{name}")
    problem = only(world.check(), problems.UNKNOWN_FILE)
    assert problem.path == rel and problem.severity == "error"
    assert found(validated(world), problems.UNKNOWN_FILE).path == rel


# ---------------------------------------------------------------- the store


@pytest.mark.parametrize("store", ["/tmp/elsewhere", "../../outside", "s3://attacker/bucket",
                                   "file:///etc", "artifacts/../../x"])
def test_a_pull_request_cannot_move_the_store(world: World, store: str) -> None:
    world.edit("registry.yaml", 'store: "artifacts"', f'store: "{store}"', "Move the store")
    result = world.check()
    problem = only(result, C.STORE_CHANGED)
    assert (problem.path, problem.line, problem.json_path) == ("registry.yaml", 4, "$.store")
    assert f'"artifacts" -> "{store}"' in problem.message and not result.ok


def test_new_artifacts_are_verified_in_the_base_branchs_store(world: World) -> None:
    """A pull request that moves the store to one it filled cannot vouch for its own bytes."""
    mv = world.register("weights v3")
    assert mv.artifacts is not None
    real = world.folder / "artifacts"
    theirs = world.repo / "theirs"
    subprocess.run(["cp", "-a", str(real), str(theirs)], check=True)
    subprocess.run(["chmod", "-R", "u+w", str(real / mv.artifacts.uri)], check=True)
    subprocess.run(["rm", "-r", str(real / mv.artifacts.uri)], check=True)
    world.edit("registry.yaml", 'store: "artifacts"', f'store: "{theirs}"', "Use my store")
    result = world.check()
    assert set(codes(result)) == {C.STORE_CHANGED, C.ARTIFACT_MISSING}, result.problems


# ---------------------------------------------------------------- through the command line


def run(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MODELREG, *args], cwd=world.folder, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=60)


def test_check_and_validate_commands_name_each_crafted_file(world: World) -> None:
    (world.folder / "models/evil").symlink_to("../../..")
    write(world, "models/fraud/model.yaml",
          (world.folder / "models/fraud/model.yaml").read_text() + laughs(9))
    world.edit("registry.yaml", 'store: "artifacts"', 'store: "/tmp/elsewhere"')
    commit_all(world)
    proc = run(world, "check", "--base", "main", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    import json

    report = json.loads(proc.stdout)
    assert {(p["code"], p["path"]) for p in report["problems"]} == {
        (C.SYMLINK, "registry/models/evil"), (problems.ANCHOR, "registry/models/fraud/model.yaml"),
        (C.STORE_CHANGED, "registry/registry.yaml")}
    proc = run(world, "validate")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "models/evil" in proc.stdout and "anchors and aliases" in proc.stdout
