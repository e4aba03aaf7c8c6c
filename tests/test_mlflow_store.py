"""The registry-store plugin through a real `MlflowClient(registry_uri="modelreg:///...")`:
MLflow's entities, semantics, error codes and the SQL store's messages; every write one commit
and a valid registry (issue #4)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from helpers import git_out, init_registry, make_model
from mlflow_support import (
    MLFLOW,
    client,
    commits,
    registry_uri,
    settled,
    tracking_uri,
    validate,
)
from modelreg import Registry

pytestmark = MLFLOW


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> str:
    return tracking_uri(tmp_path_factory.mktemp("tracking"))


@pytest.fixture
def reg(repo: Path) -> Registry:
    return init_registry(repo)


@pytest.fixture
def mc(reg: Registry, tracking: str) -> Any:
    return client(registry_uri(reg.location.path), tracking)


@pytest.fixture
def model(tmp_path: Path) -> str:
    return str(make_model(tmp_path / "model", "weights\n"))


def error(call: Any) -> tuple[str, str]:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as info:
        call()
    return info.value.error_code, info.value.message


def test_mlflow_finds_the_plugin_by_scheme(
    reg: Registry, tracking: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    from mlflow.tracking._model_registry import utils

    get_store: Any = utils._get_store  # the store MLflow's fluent API uses

    from modelreg.mlflow_plugin.store import ModelregStore

    uri = registry_uri(reg.location.path)
    assert isinstance(client(uri, tracking)._get_registry_client().store, ModelregStore)
    mlflow.set_registry_uri(None)  # type: ignore[arg-type]  # None: the environment decides
    try:
        monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)  # restored after the test, as is the
        assert isinstance(get_store(), ModelregStore)  # copy set_registry_uri puts there
        monkeypatch.delenv("MLFLOW_REGISTRY_URI")
        mlflow.set_registry_uri(uri)
        assert mlflow.get_registry_uri() == uri
        assert isinstance(get_store(), ModelregStore)
    finally:
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]


def test_registered_models_as_mlflow_gives_them(mc: Any, repo: Path) -> None:
    before = commits(repo)
    rm = mc.create_registered_model("fraud", tags={"team": "risk"}, description="Fraud")
    assert (rm.name, rm.tags, rm.description, rm.latest_versions) == (
        "fraud", {"team": "risk"}, "Fraud", [])
    assert isinstance(rm.creation_timestamp, int)
    mc.update_registered_model("fraud", description="Fraud, v2")
    mc.set_registered_model_tag("fraud", "owner", "risk-team")
    mc.delete_registered_model_tag("fraud", "team")
    mc.delete_registered_model_tag("fraud", "never-set")  # as MLflow: nothing to do, no error
    got = mc.get_registered_model("fraud")
    assert (got.description, got.tags) == ("Fraud, v2", {"owner": "risk-team"})
    assert commits(repo) == before + 4  # one commit a write; the no-op made none
    assert [m.name for m in mc.search_registered_models()] == ["fraud"]
    mc.delete_registered_model("fraud")
    assert error(lambda: mc.get_registered_model("fraud")) == (
        "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=fraud not found")


def test_duplicates_missing_resources_and_bad_input_say_what_mlflow_says(
    mc: Any, model: str
) -> None:
    mc.create_registered_model("fraud")
    mc.create_model_version("fraud", model)
    assert error(lambda: mc.create_registered_model("fraud")) == (
        "RESOURCE_ALREADY_EXISTS", "Registered Model (name=fraud) already exists.")
    assert error(lambda: mc.create_model_version("nope", model)) == (
        "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=nope not found")
    assert error(lambda: mc.get_model_version("fraud", 7)) == (
        "RESOURCE_DOES_NOT_EXIST", "Model Version (name=fraud, version=7) not found")
    assert error(lambda: mc.get_model_version("nope", 1)) == (
        "RESOURCE_DOES_NOT_EXIST", "Model Version (name=nope, version=1) not found")
    assert error(lambda: mc.get_model_version_by_alias("fraud", "champion")) == (
        "INVALID_PARAMETER_VALUE", "Registered model alias champion not found.")
    assert error(lambda: mc.get_model_version("fraud", "one"))[0] == "INVALID_PARAMETER_VALUE"
    for number in (0, -1):  # MLflow's validator takes them; its SQL store finds no row
        assert error(lambda n=number: mc.get_model_version("fraud", n)) == (
            "RESOURCE_DOES_NOT_EXIST", f"Model Version (name=fraud, version={number}) not found")
        assert error(lambda n=number: mc.set_registered_model_alias("fraud", "a", n)) == (
            "RESOURCE_DOES_NOT_EXIST", f"Model Version (name=fraud, version={number}) not found")
    assert error(lambda: mc.create_registered_model("a/b")) == (
        "INVALID_PARAMETER_VALUE", "Invalid model name 'a/b'. Names cannot contain '/' or ':'.")
    assert error(lambda: mc.set_registered_model_alias("fraud", "latest", 1)) == (
        "INVALID_PARAMETER_VALUE", "'latest' alias name (case insensitive) is reserved.")
    assert error(lambda: mc.set_registered_model_alias("fraud", "v2", 1)) == (
        "INVALID_PARAMETER_VALUE", "Version alias name 'v2' is reserved.")
    mc.rename_registered_model("fraud", "fraud")  # as MLflow: no error, nothing changes
    mc.create_registered_model("other")
    assert error(lambda: mc.rename_registered_model("fraud", "other")) == (
        "RESOURCE_ALREADY_EXISTS", "Registered Model (name=other) already exists.")
    assert error(lambda: mc.create_registered_model("Fraud"))[0] == "INVALID_PARAMETER_VALUE"


def test_versions_are_ints_ready_and_never_reused(mc: Any, model: str, repo: Path) -> None:
    mc.create_registered_model("fraud")
    first = mc.create_model_version("fraud", model, run_id="0a1b", tags={"stage": "dev"},
                                    description="first")
    assert (first.version, first.status, first.current_stage) == (1, "READY", "None")
    assert (first.source, first.run_id, first.tags, first.description) == (
        model, "0a1b", {"stage": "dev"}, "first")
    mc.create_model_version("fraud", model)
    mc.delete_model_version("fraud", 2)
    assert mc.create_model_version("fraud", model).version == 3
    assert error(lambda: mc.get_model_version("fraud", 2)) == (
        "RESOURCE_DOES_NOT_EXIST", "Model Version (name=fraud, version=2) not found")
    assert [mv.version for mv in mc.search_model_versions("name = 'fraud'")] == [3, 1]
    mc.update_model_version("fraud", 1, description="the first one")
    mc.set_model_version_tag("fraud", 1, "validated", "yes")
    mc.delete_model_version_tag("fraud", 1, "stage")
    mc.delete_model_version_tag("fraud", 1, "never-set")
    got = mc.get_model_version("fraud", "1")  # MLflow passes versions as strings too
    assert (got.description, got.tags) == ("the first one", {"validated": "yes"})
    assert validate(registry_uri(repo / "registry")).returncode == 0


def test_aliases_rename_and_copy(mc: Any, model: str) -> None:
    mc.create_registered_model("fraud", tags={"team": "risk"})
    for _ in range(3):
        mc.create_model_version("fraud", model)
    mc.set_registered_model_alias("fraud", "champion", 2)
    mc.set_registered_model_alias("fraud", "challenger", "3")
    assert mc.get_model_version_by_alias("fraud", "champion").aliases == ["champion"]
    assert mc.get_model_version_by_alias("fraud", "latest").version == 3
    assert mc.get_registered_model("fraud").aliases == {"challenger": 3, "champion": 2}
    mc.delete_registered_model_alias("fraud", "challenger")
    mc.delete_registered_model_alias("fraud", "challenger")  # as MLflow: gone already is fine
    mc.delete_model_version("fraud", 3)
    mc.rename_registered_model("fraud", "fraud-detector")
    renamed = mc.get_registered_model("fraud-detector")
    assert (renamed.name, renamed.tags, renamed.aliases) == (
        "fraud-detector", {"team": "risk"}, {"champion": 2})
    assert mc.get_model_version_by_alias("fraud-detector", "champion").version == 2
    assert mc.create_model_version("fraud-detector", model).version == 4  # 3 stays taken
    copy = mc.copy_model_version("models:/fraud-detector@champion", "fraud-eu")
    assert (copy.name, copy.version, copy.source) == ("fraud-eu", 1, "models:/fraud-detector/2")
    assert error(lambda: mc.get_registered_model("fraud"))[0] == "RESOURCE_DOES_NOT_EXIST"


def test_stages_archive_existing_and_latest_versions(mc: Any, model: str) -> None:
    mc.create_registered_model("fraud")
    for _ in range(3):
        mc.create_model_version("fraud", model)
    mc.transition_model_version_stage("fraud", 1, "Production")
    mc.transition_model_version_stage("fraud", 2, "staging")
    moved = mc.transition_model_version_stage("fraud", 3, "Production",
                                              archive_existing_versions=True)
    assert moved.current_stage == "Production"
    stages = {mv.version: mv.current_stage for mv in mc.search_model_versions()}
    assert stages == {1: "Archived", 2: "Staging", 3: "Production"}
    assert [mv.version for mv in mc.get_latest_versions("fraud", ["Production"])] == [3]
    assert sorted(mv.version for mv in mc.get_latest_versions("fraud")) == [1, 2, 3]
    latest = mc.get_registered_model("fraud").latest_versions
    assert sorted((mv.current_stage, mv.version) for mv in latest) == [
        ("Archived", 1), ("Production", 3), ("Staging", 2)]
    assert error(lambda: mc.transition_model_version_stage(
        "fraud", 1, "Archived", archive_existing_versions=True)) == (
        "INTERNAL_ERROR", "Model version transition cannot archive existing model versions "
        "because 'Archived' is not an Active stage. Valid stages are ['Staging', 'Production']")
    code, message = error(lambda: mc.get_latest_versions("fraud", ["Prod"]))
    assert code == "INVALID_PARAMETER_VALUE"
    assert message.startswith("Invalid Model Version stage: Prod.")


def test_search_grammar_defaults_and_paging(mc: Any, model: str) -> None:
    for name in ("a", "b", "c"):
        mc.create_registered_model(name, tags={"team": "x" if name != "c" else "y"})
        for _ in range(2):
            mc.create_model_version(name, model)
    mc.set_model_version_tag("a", 1, "approved", "yes")  # the last update: comes first
    versions = mc.search_model_versions()
    assert [(mv.name, mv.version) for mv in versions][:1] == [("a", 1)]
    assert len(versions) == 6 and versions.token is None
    page = mc.search_model_versions("name IN ('a', 'b')", max_results=3,
                                    order_by=["name ASC", "version_number DESC"])
    rest = mc.search_model_versions("name IN ('a', 'b')", max_results=3, page_token=page.token,
                                    order_by=["name ASC", "version_number DESC"])
    assert [(mv.name, mv.version) for mv in [*page, *rest]] == [
        ("a", 2), ("a", 1), ("b", 2), ("b", 1)]
    assert [mv.version for mv in mc.search_model_versions("tags.approved = 'yes'")] == [1]
    models = mc.search_registered_models("tags.team = 'x'", order_by=["name DESC"])
    assert [m.name for m in models] == ["b", "a"]
    assert {mv.version for mv in models[0].latest_versions} == {2}
    assert error(lambda: mc.search_model_versions(max_results=200_001)) == (
        "INVALID_PARAMETER_VALUE", "Invalid value for request parameter max_results. It must "
        "be at most 200000, but got value 200001")
    assert error(lambda: mc.search_registered_models(max_results=1001))[0] == (
        "INVALID_PARAMETER_VALUE")
    assert error(lambda: mc.search_model_versions("name = "))[0] == "INVALID_PARAMETER_VALUE"
    assert error(lambda: mc.search_model_versions(order_by=["color ASC"]))[1].startswith(
        "Invalid attribute key 'color' specified.")  # MLflow's parser's words


@pytest.mark.parametrize(("search", "filter_string", "message"), [
    ("versions", "name ~ 'x'", "Invalid comparator for attribute: ~"),
    ("versions", "version_number = 'abc'", "Invalid value for numeric attribute "
     "'version_number': 'abc'"),
    ("versions", "version_number LIKE '1%'", "Invalid comparator for attribute "
     "version_number: LIKE"),
    ("models", "name ~ 'x'", "Invalid comparator for attribute: ~"),
])
def test_filters_mlflow_parses_but_its_sql_store_refuses_are_refused_alike(
    mc: Any, search: str, filter_string: str, message: str
) -> None:
    """MLflow's parser lets these through; its SQL store refuses them with these words. The
    plugin did too, but as a bare modelreg error (an HTTP 500 through `mlflow server`)."""
    call = mc.search_model_versions if search == "versions" else mc.search_registered_models
    assert error(lambda: call(filter_string)) == ("INVALID_PARAMETER_VALUE", message)


def test_prompts_live_in_models_and_tags_and_stay_out_of_model_searches(
    mc: Any, model: str
) -> None:
    mc.create_registered_model("fraud")
    mc.create_model_version("fraud", model)
    mc.register_prompt("greeting", "Hello {{name}}!", commit_message="first")
    mc.register_prompt("greeting", "Hi {{name}}!")
    assert mc.load_prompt("prompts:/greeting/2").template == "Hi {{name}}!"
    assert [p.name for p in mc.search_prompts()] == ["greeting"]
    assert [m.name for m in mc.search_registered_models()] == ["fraud"]
    assert [mv.name for mv in mc.search_model_versions()] == ["fraud"]
    assert error(lambda: mc.create_registered_model("greeting"))[1].startswith(
        "Tried to create a registered model with name 'greeting', but the name is already "
        "taken by a prompt.")


def test_webhook_listing_is_empty_rather_than_failing(mc: Any) -> None:
    assert list(mc.list_webhooks()) == []


def test_what_the_cli_writes_mlflow_reads_and_the_reverse(
    reg: Registry, mc: Any, model: str, repo: Path
) -> None:
    reg.register("churn", Path(model))
    reg.set_registered_model_alias("churn", "champion", 1)
    assert mc.get_model_version_by_alias("churn", "champion").version == 1
    mc.create_model_version("churn", model, tags={"from": "mlflow"})
    assert reg.get_model_version("churn", 2).tags == {"from": "mlflow"}
    assert git_out(repo, "status", "--porcelain") == ""  # the checkout follows each commit


def test_a_registry_read_at_an_older_revision_refuses_writes(
    reg: Registry, model: str, tracking: str
) -> None:
    reg.register("churn", Path(model))
    reg.register("churn", Path(model))
    old = client(registry_uri(reg.location.path, at="HEAD~1"), tracking)
    assert [mv.version for mv in old.search_model_versions()] == [1]
    assert old.get_model_version_download_uri("churn", 1).startswith("modelreg-artifacts://")
    code, message = error(lambda: old.create_registered_model("new"))
    assert code == "INVALID_PARAMETER_VALUE" and "cannot be written" in message


def test_policy_refusals_are_permission_denied(reg: Registry, mc: Any, model: str) -> None:
    folder = reg.location.path
    text = (folder / "registry.yaml").read_text()
    (folder / "registry.yaml").write_text(
        text + "policy:\n  aliases:\n    champion:\n      require_tags: {approved: 'yes'}\n")
    git_out(folder, "commit", "-qam", "Protect champion")
    mc.create_registered_model("fraud")
    mc.create_model_version("fraud", model)
    code, message = error(lambda: mc.set_registered_model_alias("fraud", "champion", 1))
    assert code == "PERMISSION_DENIED" and "approved" in message


def test_a_bare_repository_without_remote_commits_in_place(
    reg: Registry, bare_remote: Path, repo: Path, tracking: str, model: str
) -> None:
    git_out(repo, "push", "-q", str(bare_remote), "main")
    mc = client(registry_uri(bare_remote, path="registry", ref="main"), tracking)
    mc.create_registered_model("fraud")
    assert mc.create_model_version("fraud", model).version == 1
    assert git_out(bare_remote, "log", "-1", "--format=%s", "main").startswith("Register fraud")
    assert validate(registry_uri(bare_remote, path="registry", ref="main")).returncode == 0


def test_a_bare_clone_pushes_and_reads_what_others_pushed(
    reg: Registry, bare_remote: Path, repo: Path, tmp_path: Path, tracking: str, model: str
) -> None:
    git_out(repo, "remote", "add", "origin", str(bare_remote))
    git_out(repo, "push", "-q", "origin", "main")
    service = tmp_path / "service.git"
    git_out(tmp_path, "clone", "-q", "--bare", str(bare_remote), str(service))
    mc = client(registry_uri(service, path="registry", ref="main", refresh="0"), tracking)
    mc.create_registered_model("fraud")
    assert git_out(bare_remote, "log", "-1", "--format=%s", "main").startswith(
        "Create registered model fraud")
    Registry(repo / "registry", push=True).register("fraud", Path(model))  # someone else
    assert mc.get_model_version("fraud", 1).version == 1


def test_the_server_request_user_is_the_actor(mc: Any, reg: Registry) -> None:
    import base64

    from flask import Flask

    token = base64.b64encode(b"alice:secret").decode()
    app = Flask(__name__)
    with app.test_request_context(headers={"Authorization": f"Basic {token}"}):
        mc.create_registered_model("fraud")
    assert reg.get_registered_model("fraud").created_by == "alice"
    assert os.environ.get("MODELREG_ACTOR") is None


def test_the_store_pickles_as_its_uri(reg: Registry, tracking: str) -> None:
    import pickle

    from modelreg.mlflow_plugin.store import ModelregStore

    store = ModelregStore(registry_uri(reg.location.path), tracking)
    store.create_registered_model("fraud")
    again = pickle.loads(pickle.dumps(store))
    assert again.get_registered_model("fraud").name == "fraud"


# -- searches at scale (issue #5): the index answers, MLflow's semantics stay ----------------

PROMPT = "mlflow.prompt.is_prompt"
# Hand-written prompt tags: YAML booleans, numbers and strings that only Python reads right;
# the booleans on the highest versions, which come first in name order (where SQL pages).
HAND_TAGS = (b"null", b"[true]", b'"yes"', b"false", b"1", b'"tRuE"', b'"TRUE"', b"TRUE",
             b"True", b"true")
HAND_VERSION = b'name: "hand"\nversion: %d\ncreated_at: "2024-01-0%dT00:00:00.000Z"\n' \
               b'created_by: "me"\ntags:\n  %s: %s\n'
HAND_MODEL = b'name: "%s"\ntags:\n  %s: %s\nlast_version: 0\n' \
             b'created_at: "2024-01-01T00:00:00.000Z"\ncreated_by: "me"\n'
VERSION_FILTERS = (
    None, "name = 'fraud'", "name LIKE 'fra%'", "name ILIKE 'F%'", "name IN ('fraud', 'hand')",
    "name != 'fraud'", "version_number > 1", "version_number <= 2 AND name LIKE '%a%'",
    "tags.team = 'risk'", "tags.team != 'risk'", "tags.team LIKE 'r%'", "tags.n ILIKE '%'",
    f"tags.`{PROMPT}` = 'true'", f"tags.`{PROMPT}` != 'true'", f"tags.`{PROMPT}` != 'false'",
    f"tags.`{PROMPT}` = 'false'", f"name LIKE '%' AND tags.`{PROMPT}` = 'true'",
    f"tags.`{PROMPT}` = 'true' AND version_number = 1", "source_path LIKE '%'",
)
VERSION_ORDERS = (None, ["name ASC"], ["version_number ASC"], ["creation_timestamp ASC"],
                  ["last_updated_timestamp ASC", "name DESC"])
MODEL_FILTERS = (None, "name LIKE 'f%'", "name = 'greeting'", "name != 'hand'",
                 "tags.team = 'risk'", "tags.team LIKE '%'", f"tags.`{PROMPT}` = 'true'",
                 f"tags.`{PROMPT}` != 'true'", f"tags.`{PROMPT}` != 'false'",
                 f"name LIKE '%' AND tags.`{PROMPT}` = 'true'")
MODEL_ORDERS = (None, ["name DESC"], ["timestamp DESC"], ["last_updated_timestamp"])


@pytest.fixture
def mixed(reg: Registry, mc: Any, model: str) -> Registry:
    """Models, versions, a deleted version, aliases, stages and two prompts through MLflow,
    then prompt tags written by hand as YAML that only Python reads right (issue #5)."""
    for name, team in (("fraud", "risk"), ("fraud_eu", "risky"), ("churn", "growth"),
                       ("Zeta", "")):
        mc.create_registered_model(name, tags={"team": team} if team else None)
        for n in range(2):
            mc.create_model_version(name, model, tags={"n": str(n), "team": team})
    mc.delete_model_version("fraud", 1)
    mc.set_registered_model_alias("fraud", "champion", 2)
    mc.transition_model_version_stage("churn", 1, "Production")
    mc.set_model_version_tag("churn", 2, "approved", "yes")
    mc.register_prompt("greeting", "Hello {{name}}!")
    mc.register_prompt("greeting", "Hi {{name}}!")
    mc.register_prompt("farewell", "Bye {{name}}!")
    settled()  # MLflow's own thread tags the prompts: before the hand-made commit
    mc.create_registered_model("hand")
    root = reg.location.path
    from modelreg import layout

    for number, value in enumerate(HAND_TAGS, 1):
        (root / layout.version_file("hand", number)).parent.mkdir(parents=True, exist_ok=True)
        (root / layout.version_file("hand", number)).write_bytes(
            HAND_VERSION % (number, 1 + number % 4, PROMPT.encode(), value))
    for name, value in (("A-hand-prompt", b"true"), ("handmodel-one", b"1")):
        (root / layout.model_file(name)).parent.mkdir(parents=True)
        (root / layout.model_file(name)).write_bytes(
            HAND_MODEL % (name.encode(), PROMPT.encode(), value))
    commit_all(root, "hand-written prompt tags")
    return reg


def commit_all(root: Path, message: str) -> None:
    """`git add -A` and `git commit`, saying Git's words if it fails."""
    import subprocess

    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        ran = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        assert ran.returncode == 0, (args, ran.stdout, ran.stderr)


def old_search(reg: Registry, kind: str, filter_string: str | None, order_by: Any,
               max_results: int | None, token: str | None) -> tuple[list[Any], str | None]:
    """The plugin's searches before issue #5, the reference: every live record read from a
    `Snapshot` (no index), prompts split off in Python, `modelreg.search` over the rest."""
    from modelreg import search
    from modelreg.mlflow_plugin import compat, entities, searching
    from modelreg.model import Stage

    rest, prompts = searching._prompts_apart(filter_string, kind)
    snap = reg.snapshot()
    names = snap.model_names()
    if kind == "versions":
        order = searching._version_order(list(order_by or compat.DEFAULT_VERSION_ORDER))
        records = [v for n in names for v in snap.versions(n)
                   if entities.is_prompt(v.tags) == prompts]
        page = search.search_versions(records, rest, order_by=order, page_token=token,
                                      max_results=max_results or 10_000)
        return [shown(entities.model_version(mv)) for mv in page], page.token
    models = [m for m in (snap.require_model(n) for n in names)
              if entities.is_prompt(m.tags) == prompts]
    found = search.search_models(models, rest, order_by=searching._model_order(order_by or []),
                                 max_results=max_results or 100, page_token=token)
    latest = {m.name: [mv for s in Stage if (mv := snap.latest_in_stage(m.name, s))]
              for m in found}
    return [shown(entities.registered_model(m, latest[m.name])) for m in found], found.token


def shown(entity: Any) -> dict[str, Any]:
    """An MLflow entity's every property (a hand-written tag may be no string: no proto)."""
    return {k: [shown(x) for x in v] if k == "latest_versions" else v for k, v in entity}


def walk(call: Any, filter_string: str | None, order_by: Any,
         max_results: int | None) -> list[tuple[list[Any], bool]]:
    """Every page of a search, token to token: (its records, whether a next page is said)."""
    pages, token = [], None
    while True:
        records, token = call(filter_string, order_by, max_results, token)
        pages.append((records, token is not None))
        if token is None:
            return pages


def test_plugin_searches_answer_as_the_full_decode_did(mixed: Registry, mc: Any) -> None:
    """Every filter, order and page size, page by page, with prompts (MLflow's and written by
    hand), a deleted version, aliases and stages: the index's answers are the old ones."""

    def plugin(kind: str) -> Any:
        call = mc.search_model_versions if kind == "versions" else mc.search_registered_models

        def run(f: str | None, o: Any, size: int | None, token: str | None) -> Any:
            page = call(f, max_results=size, order_by=o, page_token=token)
            return [shown(e) for e in page], page.token
        return run

    def old(kind: str) -> Any:
        return lambda *args: old_search(mixed, kind, *args)

    seen: set[tuple[str, str, int]] = set()
    for kind, filters, orders in (("versions", VERSION_FILTERS, VERSION_ORDERS),
                                  ("models", MODEL_FILTERS, MODEL_ORDERS)):
        for filter_string in filters:
            for order_by in orders:
                for size in (None, 3):
                    want = walk(old(kind), filter_string, order_by, size)
                    got = walk(plugin(kind), filter_string, order_by, size)
                    assert got == want, (kind, filter_string, order_by, size)
                    seen.update((kind, r["name"], r.get("version", 0))
                                for records, _ in want for r in records)
    versions = {(n, v) for k, n, v in seen if k == "versions"}
    assert ("fraud", 1) not in versions and ("fraud", 2) in versions  # deleted, aliased
    hand = {v for n, v in versions if n == "hand"}
    assert hand == set(range(1, len(HAND_TAGS) + 1))  # prompts by hand, and not: all seen
    models = {n for k, n, _ in seen if k == "models"}
    assert {"greeting", "farewell", "A-hand-prompt", "handmodel-one", "fraud"} <= models
    assert [m.name for m in mc.search_registered_models()] == [
        "Zeta", "churn", "fraud", "fraud_eu", "hand", "handmodel-one"]
    hand_prompts = mc.search_model_versions(f"name = 'hand' AND tags.`{PROMPT}` = 'true'")
    assert sorted(mv.version for mv in hand_prompts) == [6, 7, 8, 9, 10]


def test_a_page_token_of_a_prompt_search_is_refused_by_a_model_search(mc: Any) -> None:
    for name in ("a", "b"):
        mc.register_prompt(name, "Hello {{name}}!")
        mc.create_registered_model(f"model-{name}")
    prompts = mc.search_registered_models(f"tags.`{PROMPT}` = 'true'", max_results=1)
    models = mc.search_registered_models(max_results=1)
    assert [m.name for m in prompts] == ["a"] and [m.name for m in models] == ["model-a"]
    code, message = error(lambda: mc.search_registered_models(max_results=1,
                                                              page_token=prompts.token))
    assert code == "INVALID_PARAMETER_VALUE" and "different filter" in message
    assert [m.name for m in mc.search_registered_models(page_token=models.token)] == [
        "model-b"]


def test_the_prompt_split_is_mlflows_and_its_sql_finds_every_spelling_of_true() -> None:
    """`search` names MLflow's prompt tag without importing MLflow; the index looks prompts up
    by the spellings of `true` (index/query.py), which must be every text that lower()s to it."""
    from itertools import product

    from modelreg.index import query
    from modelreg.mlflow_plugin import compat, entities
    from modelreg.model import ModelVersion
    from modelreg.search import evaluate

    assert evaluate.PROMPT_TAG == compat.IS_PROMPT_TAG_KEY
    others = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000
              and chr(c) not in "trueTRUE" and set(chr(c).lower()) & set("true")]
    assert others == []  # (İ lower-cases to two characters, neither of them in "true")
    assert sorted(query._TRUE) == sorted(map("".join, product("tT", "rR", "uU", "eE")))
    for value in ("true", "TRUE", "tRuE", True, "false", 1, "yes", None, ["true"]):
        mv = ModelVersion(name="m", version=1, created_at="", created_by="",
                          tags={PROMPT: value})  # type: ignore[dict-item]
        assert evaluate.is_prompt(mv) == entities.is_prompt(mv.tags), value


def test_a_plugin_search_builds_only_its_hits(
    reg: Registry, mc: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Predicate and order in SQLite, only the page's hits decoded, as `Registry.search_*`:
    the counts do not depend on the registry's size (issue #5)."""
    from modelreg import layout, manifest
    from modelreg.index import Index
    from modelreg.index import codec as index_codec
    from modelreg.model import ModelVersion, RegisteredModel

    root = reg.location.path
    for m in range(60):  # 60 models, 240 versions, written as files (quicker than 240 commits)
        name = f"m{m}"
        for n in range(1, 5):
            tags = {"probe": "one"} if (m, n) == (17, 3) else {"i": str(n)}
            mv = ModelVersion(name=name, version=n, created_at="2024-01-01T00:00:00.000Z",
                              created_by="me", tags=tags)
            (root / layout.version_file(name, n)).parent.mkdir(parents=True, exist_ok=True)
            (root / layout.version_file(name, n)).write_bytes(manifest.dump_version(mv))
        rm = RegisteredModel(name=name, last_version=4, created_at="2024-01-01T00:00:00.000Z",
                             created_by="me")
        (root / layout.model_file(name)).write_bytes(manifest.dump_model(rm))
    commit_all(root, "240 versions")
    opened: list[Index] = []
    real_open = Index.open

    def recording(repo: Any, prefix: str) -> Index:  # the real index, remembered
        opened.append(real_open(repo, prefix))
        return opened[-1]

    monkeypatch.setattr(Index, "open", recording)

    def cost(call: Any) -> tuple[int, dict[str, int]]:
        call()  # the index in step with the commit
        index_codec.forget_all()  # what a new process pays
        opened.clear()
        found = call()
        total = {k: sum(i.stats.as_dict()[k] for i in opened) for k in opened[0].stats.as_dict()}
        return len(found), total

    hits, stats = cost(lambda: mc.search_model_versions("tags.probe = 'one'"))
    assert hits == 1 and stats["rows_loaded"] == 1 and stats["manifests_parsed"] == 0
    assert stats["rows_decoded"] <= 2  # the hit, and its model's alias table
    assert (hits, stats) == cost(lambda: reg.search_model_versions("tags.probe = 'one'"))
    hits, stats = cost(lambda: mc.search_registered_models("name LIKE 'm1%'"))
    assert hits == 11 and stats["manifests_parsed"] == 0  # m1, m10 ... m19
    assert stats["rows_loaded"] == 11  # the candidates are the hits: no other model is read
    # the 11 models, their latest version (no stage: one each) and no alias table
    assert stats["rows_decoded"] == 22
    assert stats["rows_decoded"] == cost(
        lambda: reg.search_registered_models("name LIKE 'm1%'"))[1]["rows_decoded"]
    hits, stats = cost(lambda: mc.search_model_versions("name = 'm5'", max_results=2))
    assert hits == 2 and stats["rows_loaded"] == 4 and stats["rows_decoded"] <= 5


def same_writes(c: Any, model: str) -> None:
    """Models, versions, a deletion, an alias, a stage, a tag edit and a prompt's versions."""
    for name, team in (("fraud", "risk"), ("fraud_eu", "riskier"), ("churn", "growth")):
        c.create_registered_model(name, tags={"team": team})
        for n in range(3):
            c.create_model_version(name, model, tags={"team": team, "n": str(n)})
    c.delete_model_version("fraud", 2)
    c.set_registered_model_alias("fraud", "champion", 3)
    c.transition_model_version_stage("churn", 1, "Production")
    c.set_model_version_tag("churn", 2, "team", "risk")
    c.register_prompt("greeting", "Hello {{name}}!")
    c.register_prompt("greeting", "Hi {{name}}!")
    settled()  # each store has the experiment's tag on the prompt before they are compared


def version_view(mv: Any) -> tuple[Any, ...]:  # no aliases: the SQL store leaves them out
    return (mv.name, int(mv.version), sorted(mv.tags.items()), mv.current_stage)


def model_view(rm: Any) -> tuple[Any, ...]:
    return (rm.name, sorted(rm.tags.items()), sorted(rm.aliases.items()),
            sorted((int(mv.version), mv.current_stage) for mv in rm.latest_versions))


def all_pages(call: Any, view: Any, filter_string: str | None, order: Any) -> list[Any]:
    """Every page of 2 (sorted when the order is by time: each store has its own clock)."""
    found, token = [], None
    while True:
        page = call(filter_string, max_results=2, order_by=order, page_token=token)
        found += [view(e) for e in page]
        if (token := page.token) is None:
            return found if order else sorted(found)


def test_plugin_searches_answer_as_mlflows_own_sqlite_store(
    mc: Any, tracking: str, model: str, tmp_path: Path
) -> None:
    """The same writes through the plugin and through MLflow's SQLite registry, then every
    search, page by page: the same records."""
    sql = client(tracking_uri(tmp_path / "sql-registry"), tracking)
    for c in (mc, sql):
        same_writes(c, model)
    for f in (None, "name = 'fraud'", "name LIKE 'fr%'", "name IN ('fraud', 'churn')",
              "version_number >= 2", "tags.team = 'risk'", "tags.team LIKE 'risk%'",
              "tags.team != 'risk'", f"tags.`{PROMPT}` = 'true'"):
        for order in (None, ["name ASC", "version_number DESC"], ["version_number", "name DESC"]):
            assert all_pages(mc.search_model_versions, version_view, f, order) == all_pages(
                sql.search_model_versions, version_view, f, order), (f, order)
    for f in (None, "name LIKE 'f%'", "tags.team = 'risk'", "tags.team != 'risk'"):
        for order in (None, ["name DESC"]):
            assert all_pages(mc.search_registered_models, model_view, f, order) == all_pages(
                sql.search_registered_models, model_view, f, order), (f, order)
