"""modelreg.search: MLflow's filter grammar, order_by and paging over plain values."""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelreg.errors import InvalidParameter
from modelreg.model import ModelVersion, RegisteredModel
from modelreg.search import Page, search_models, search_versions


def _mv(name: str, version: int, created: str, **kw: object) -> ModelVersion:
    return ModelVersion(name=name, version=version, created_at=f"{created}T00:00:00.000Z",
                        **kw)  # type: ignore[arg-type]


VERSIONS = [
    _mv("fraud", 1, "2024-01-01", run_id="run-a", source="s3://bucket/fraud/1",
        updated_at="2024-03-01T00:00:00.000Z",
        tags={"team": "risk", "stage gate": "passed", "owner": "o'brien"}),
    _mv("fraud", 2, "2024-01-02", run_id="run-b", source="s3://bucket/fraud/2",
        tags={"team": "Risk", "motto": 'say "hi"'}),
    _mv("fraud", 3, "2024-02-01", source="runs:/abc/model",
        updated_at="2024-02-15T00:00:00.000Z"),
    _mv("churn", 1, "2023-12-01", run_id="run-a", source="file:///m/churn_1",
        tags={"team": "growth", "note": "50% off_"}),
    _mv("churn", 2, "2024-01-15", run_id="run-c", source="models/churn.v2",
        tags={"team": "growth", "a`b": "x"}),
    # created at the same instant as fraud/2: ties are broken by name, then version
    _mv("Fraud-EU", 1, "2024-01-02", run_id="run-d", source="s3://bucket/eu/1",
        tags={"team": "risk"}),
]
DEFAULT_ORDER = ["Fraud-EU/1", "churn/2", "churn/1", "fraud/3", "fraud/2", "fraud/1"]

MODELS = [
    RegisteredModel(name="fraud", tags={"team": "risk"}, created_at="2023-11-01T00:00:00.000Z"),
    RegisteredModel(name="churn", tags={"team": "growth"}, created_at="2023-10-01T00:00:00.000Z"),
    RegisteredModel(name="Fraud-EU", tags={"team": "risk"}, created_at="2024-01-03T00:00:00.000Z"),
    RegisteredModel(name="fraud_2", created_at="2024-02-01T00:00:00.000Z"),
]


def ids(page: list[ModelVersion]) -> list[str]:
    return [f"{mv.name}/{mv.version}" for mv in page]


def names(page: list[RegisteredModel]) -> list[str]:
    return [m.name for m in page]


VERSION_FILTERS = [
    ("name = 'fraud'", ["fraud/3", "fraud/2", "fraud/1"]),
    ('name = "fraud"', ["fraud/3", "fraud/2", "fraud/1"]),
    ("name != 'fraud'", ["Fraud-EU/1", "churn/2", "churn/1"]),
    ("name LIKE 'fr%'", ["fraud/3", "fraud/2", "fraud/1"]),
    ("name ILIKE 'fr%'", ["Fraud-EU/1", "fraud/3", "fraud/2", "fraud/1"]),
    ("name like '_raud'", ["fraud/3", "fraud/2", "fraud/1"]),
    ("name LIKE 'Fraud_EU'", ["Fraud-EU/1"]),
    ("name IN ('churn', 'Fraud-EU')", ["Fraud-EU/1", "churn/2", "churn/1"]),
    ("name NOT IN ('churn', 'fraud')", ["Fraud-EU/1"]),
    ("run_id = 'run-a'", ["churn/1", "fraud/1"]),
    # a version without a run matches no comparison on run_id, as NULL does in MLflow
    ("run_id != 'run-a'", ["Fraud-EU/1", "churn/2", "fraud/2"]),
    ("run_id IN ('run-b', 'run-c')", ["churn/2", "fraud/2"]),
    ("run_id in ('run-b')", ["fraud/2"]),
    ("run_id NOT IN ('run-a')", ["Fraud-EU/1", "churn/2", "fraud/2"]),
    ("version_number = 2", ["churn/2", "fraud/2"]),
    ("version_number = '2'", ["churn/2", "fraud/2"]),
    ("version_number != 1", ["churn/2", "fraud/3", "fraud/2"]),
    ("version_number < 2", ["Fraud-EU/1", "churn/1", "fraud/1"]),
    ("version_number <= 2", ["Fraud-EU/1", "churn/2", "churn/1", "fraud/2", "fraud/1"]),
    ("version_number > 2", ["fraud/3"]),
    ("version_number >= 2", ["churn/2", "fraud/3", "fraud/2"]),
    ("version_number > -1", DEFAULT_ORDER),
    ("version_number IN (1, 3)", ["Fraud-EU/1", "churn/1", "fraud/3", "fraud/1"]),
    ("version_number NOT IN ('1', '2')", ["fraud/3"]),
    ("source_path = 'runs:/abc/model'", ["fraud/3"]),
    ("source_path != 'runs:/abc/model'",
     ["Fraud-EU/1", "churn/2", "churn/1", "fraud/2", "fraud/1"]),
    ("source_path LIKE 's3://bucket/%'", ["Fraud-EU/1", "fraud/2", "fraud/1"]),
    ("source_path ILIKE 'S3://BUCKET/FRAUD/%'", ["fraud/2", "fraud/1"]),
    ("source_path LIKE 'models/churn_v2'", ["churn/2"]),  # _ is any one character
    ("source_path LIKE 'models.churn%'", []),  # . is only a dot, not a regex
    ("tags.team = 'risk'", ["Fraud-EU/1", "fraud/1"]),
    ("tags.team != 'risk'", ["churn/2", "churn/1", "fraud/2"]),  # fraud/3 has no team
    ("tags.team LIKE 'r%'", ["Fraud-EU/1", "fraud/1"]),
    ("tags.team ILIKE 'r%'", ["Fraud-EU/1", "fraud/2", "fraud/1"]),
    ("tags.team IN ('growth', 'Risk')", ["churn/2", "churn/1", "fraud/2"]),
    ("tag.team = 'growth'", ["churn/2", "churn/1"]),
    ("tags.`stage gate` = 'passed'", ["fraud/1"]),
    ('tags."stage gate" = \'passed\'', ["fraud/1"]),
    ("tags.`a``b` = 'x'", ["churn/2"]),
    ("tags.owner = 'o''brien'", ["fraud/1"]),
    ("tags.owner = 'o\\'brien'", ["fraud/1"]),
    ("tags.owner = \"o'brien\"", ["fraud/1"]),
    ('tags.motto = "say ""hi"""', ["fraud/2"]),
    ('tags.motto = "say \\"hi\\""', ["fraud/2"]),
    ("tags.motto = 'say \"hi\"'", ["fraud/2"]),
    ("tags.note = '50% off_'", ["churn/1"]),
    ("tags.note LIKE '50\\% off\\_'", ["churn/1"]),
    ("tags.note LIKE '50\\%%'", ["churn/1"]),
    ("tags.missing = 'x'", []),
    ("name = 'fraud' AND version_number >= 2", ["fraud/3", "fraud/2"]),
    ("name = 'fraud' and tags.team = 'risk' AnD run_id = 'run-a'", ["fraud/1"]),
    ("attribute.name = 'churn'", ["churn/2", "churn/1"]),
    ("attributes.version_number = 3", ["fraud/3"]),
    ("  name='fraud'\n AND\tversion_number=1 ", ["fraud/1"]),
    ("", DEFAULT_ORDER),
    ("   ", DEFAULT_ORDER),
]


@pytest.mark.parametrize(("filter_string", "expected"), VERSION_FILTERS)
def test_version_filters(filter_string: str, expected: list[str]) -> None:
    assert ids(search_versions(VERSIONS, filter_string)) == expected


MODEL_FILTERS = [
    ("name = 'fraud'", ["fraud"]),
    ("name != 'fraud'", ["Fraud-EU", "churn", "fraud_2"]),
    ("name LIKE 'fraud_%'", ["fraud_2"]),
    ("name LIKE 'fraud\\_%'", ["fraud_2"]),
    ("name ILIKE 'fraud%'", ["Fraud-EU", "fraud", "fraud_2"]),
    ("name IN ('churn', 'fraud')", ["churn", "fraud"]),
    ("tags.team = 'risk'", ["Fraud-EU", "fraud"]),
    ("tags.team != 'risk'", ["churn"]),  # fraud_2 has no team tag
    ("tags.team LIKE 'gr%'", ["churn"]),
    ("tags.team ILIKE 'RISK'", ["Fraud-EU", "fraud"]),
    ("name = 'fraud' AND tags.team = 'risk'", ["fraud"]),
    (None, ["Fraud-EU", "churn", "fraud", "fraud_2"]),
]


@pytest.mark.parametrize(("filter_string", "expected"), MODEL_FILTERS)
def test_model_filters(filter_string: str | None, expected: list[str]) -> None:
    assert names(search_models(MODELS, filter_string)) == expected


BAD_FILTERS = [
    ("name == 'x'", "'==' is not an operator for name (operators: =, !=, LIKE"),
    ("name = 'a' OR name = 'b'", "OR is not supported"),
    ("nme = 'x'", "unknown attribute 'nme' (attributes: name, run_id, version_number"),
    ("Name = 'x'", "did you mean name?"),
    ("version = 3", "did you mean version_number?"),
    ("metrics.acc > 0.9", "unknown prefix 'metrics'"),
    ("name = fraud", "expected a quoted string after name =, found 'fraud'"),
    ("version_number = 'two'", "expected an integer after version_number ="),
    ("version_number = 1.5", "expected an integer"),
    ("version_number = '3_000'", "expected an integer"),
    ("name > 'a'", "'>' is not an operator for name"),
    ("tags.team > 'a'", "'>' is not an operator for tags.team"),
    ("version_number LIKE '1%'", "'LIKE' is not an operator for version_number"),
    ("name NOT LIKE 'a%'", "'NOT' is not an operator for name"),
    ("name IN ()", "needs a non-empty list"),
    ("name IN 'a'", "needs a non-empty list like name IN ('a', 'b')"),
    ("name IN ('a' 'b')", "expected ',' or ')' in the IN list"),
    ("name = 'a' AND", "expected a comparison like name = 'fraud', found the end"),
    ("= 'x'", "expected a comparison like name = 'fraud'"),
    ("name = 'unterminated", "unterminated"),
    ("(name = 'a')", "parentheses are not supported"),
    ("name = 'a'; DROP TABLE x", "unexpected ';'"),
    ("name = 'a' name = 'b'", "expected AND or the end, found \"name = 'b'\""),
    ("name", "expected an operator after name, found the end"),
]


@pytest.mark.parametrize(("filter_string", "fragment"), BAD_FILTERS)
def test_bad_filters_name_the_bad_part(filter_string: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        search_versions(VERSIONS, filter_string)
    message = str(err.value)
    assert message.startswith(f"invalid filter {filter_string!r}: ")
    assert fragment in message
    assert "\n" not in message
    assert err.value.code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("filter_string", ["run_id = 'x'", "version_number = 1"])
def test_models_have_only_name_and_tags(filter_string: str) -> None:
    with pytest.raises(InvalidParameter, match=r"\(attributes: name, tags.<key>"):
        search_models(MODELS, filter_string)


def test_filter_is_checked_before_any_record_is_read() -> None:
    def records() -> Iterator[ModelVersion]:
        raise AssertionError("records read")
        yield  # pragma: no cover

    with pytest.raises(InvalidParameter):
        search_versions(records(), "name = 'a' OR name = 'b'")


def test_records_may_be_a_lazy_iterator_and_are_not_mutated() -> None:
    given_list = list(reversed(VERSIONS))
    assert ids(search_versions(iter(given_list), None)) == DEFAULT_ORDER
    assert given_list == list(reversed(VERSIONS))


VERSION_ORDERS = [
    (["name ASC"], DEFAULT_ORDER),
    (["name DESC"], ["fraud/3", "fraud/2", "fraud/1", "churn/2", "churn/1", "Fraud-EU/1"]),
    (["`name` desc"], ["fraud/3", "fraud/2", "fraud/1", "churn/2", "churn/1", "Fraud-EU/1"]),
    (["attribute.name"], DEFAULT_ORDER),
    (["version_number ASC"],
     ["Fraud-EU/1", "churn/1", "fraud/1", "churn/2", "fraud/2", "fraud/3"]),
    (["version_number DESC"],
     ["fraud/3", "churn/2", "fraud/2", "Fraud-EU/1", "churn/1", "fraud/1"]),
    (["creation_timestamp asc"],
     ["churn/1", "fraud/1", "Fraud-EU/1", "fraud/2", "churn/2", "fraud/3"]),
    # ties (Fraud-EU/1 and fraud/2 were created together) stay name ASC either way
    (["creation_timestamp DESC"],
     ["fraud/3", "churn/2", "Fraud-EU/1", "fraud/2", "fraud/1", "churn/1"]),
    (["last_updated_timestamp DESC"],  # updated_at, or created_at when never updated
     ["fraud/1", "fraud/3", "churn/2", "Fraud-EU/1", "fraud/2", "churn/1"]),
    (["last_updated_timestamp ASC"],
     ["churn/1", "Fraud-EU/1", "fraud/2", "churn/2", "fraud/3", "fraud/1"]),
    (["name DESC", "version_number ASC"],
     ["fraud/1", "fraud/2", "fraud/3", "churn/1", "churn/2", "Fraud-EU/1"]),
    ("name DESC", ["fraud/3", "fraud/2", "fraud/1", "churn/2", "churn/1", "Fraud-EU/1"]),
    ([], DEFAULT_ORDER),
    (None, DEFAULT_ORDER),
]


@pytest.mark.parametrize(("order_by", "expected"), VERSION_ORDERS)
def test_version_order(order_by: list[str] | None, expected: list[str]) -> None:
    shuffled = list(VERSIONS)
    random.Random(7).shuffle(shuffled)
    assert ids(search_versions(shuffled, None, order_by=order_by)) == expected


MODEL_ORDERS = [
    (None, ["Fraud-EU", "churn", "fraud", "fraud_2"]),
    (["name DESC"], ["fraud_2", "fraud", "churn", "Fraud-EU"]),
    (["creation_timestamp ASC"], ["churn", "fraud", "Fraud-EU", "fraud_2"]),
    (["creation_timestamp DESC"], ["fraud_2", "Fraud-EU", "fraud", "churn"]),
    (["last_updated_timestamp DESC"], ["fraud_2", "Fraud-EU", "fraud", "churn"]),
]


@pytest.mark.parametrize(("order_by", "expected"), MODEL_ORDERS)
def test_model_order(order_by: list[str] | None, expected: list[str]) -> None:
    assert names(search_models(reversed(MODELS), None, order_by=order_by)) == expected


@pytest.mark.parametrize(("order_by", "fragment"), [
    (["foo"], "unknown key 'foo' (keys: name, version_number, creation_timestamp"),
    (["tags.team"], "unknown key 'tags.team'"),
    (["name sideways"], "expected ASC or DESC after name, found 'sideways'"),
    (["name ASC DESC"], "expected a key like 'name DESC'"),
    (["name", "name DESC"], "name appears more than once"),
    ([3], "expected a string like 'name ASC'"),
])
def test_bad_order_by(order_by: list[str], fragment: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        search_versions(VERSIONS, None, order_by=order_by)
    assert str(err.value).startswith("invalid order_by")
    assert fragment in str(err.value)


def test_models_cannot_be_ordered_by_version() -> None:
    with pytest.raises(InvalidParameter, match="unknown key 'version_number'"):
        search_models(MODELS, None, order_by=["version_number"])


def test_three_pages_of_two_hold_every_version_once() -> None:
    seen: list[str] = []
    tokens: list[str | None] = []
    token = None
    for _ in range(3):
        page = search_versions(VERSIONS, None, max_results=2, page_token=token)
        assert isinstance(page, Page) and isinstance(page, list) and len(page) == 2
        seen += ids(page)
        token = page.token
        tokens.append(token)
    assert seen == DEFAULT_ORDER
    assert tokens[0] is not None and tokens[1] is not None and tokens[2] is None


def test_page_size_may_change_between_pages_and_same_query_shares_tokens() -> None:
    first = search_versions(VERSIONS, "version_number >= 1", max_results=4)
    assert first.token is not None
    # the same query written differently continues the same paging
    rest = search_versions(VERSIONS, "version_number>=1", max_results=1, page_token=first.token)
    assert ids(first) + ids(rest) == DEFAULT_ORDER[:5]
    assert rest.token is not None


def test_token_past_the_end_gives_an_empty_last_page() -> None:
    token = search_versions(VERSIONS, None, max_results=5).token
    page = search_versions(VERSIONS[:2], None, page_token=token)
    assert page == [] and page.token is None


def _encoded(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def test_bad_page_tokens() -> None:
    token = search_versions(VERSIONS, "name = 'fraud'", max_results=1).token
    assert token is not None
    good = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    bad = [
        "garbage!", "!!!!", "AAAA", _encoded([1, 2]), _encoded({"offset": "1"}),
        _encoded({"offset": -1, "query": good["query"]}),
        _encoded({"offset": True, "query": good["query"]}),
        _encoded({"offset": 1, "query": "0" * 16}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ]
    for bad_token in bad:
        with pytest.raises(InvalidParameter, match="invalid page token"):
            search_versions(VERSIONS, "name = 'fraud'", page_token=bad_token)


@pytest.mark.parametrize("other", [
    {"filter_string": "name = 'churn'"},
    {"filter_string": "name = 'fraud'", "order_by": ["version_number ASC"]},
])
def test_token_from_another_query_is_refused(other: dict[str, object]) -> None:
    token = search_versions(VERSIONS, "name = 'fraud'", max_results=1).token
    with pytest.raises(InvalidParameter, match=r"invalid page token .*different filter"):
        search_versions(VERSIONS, page_token=token, **other)  # type: ignore[arg-type]


def test_version_token_is_refused_by_model_search() -> None:
    token = search_versions(VERSIONS, None, max_results=1).token
    with pytest.raises(InvalidParameter, match="invalid page token"):
        search_models(MODELS, None, page_token=token)


def test_max_results_defaults_and_limits_are_mlflows() -> None:
    many = [ModelVersion(name="m", version=v) for v in range(1, 10_002)]
    page = search_versions(many, None)
    assert len(page) == 10_000 and page.token is not None
    models = [RegisteredModel(name=f"m{i:03d}") for i in range(101)]
    page_of_models = search_models(models, None)
    assert len(page_of_models) == 100 and page_of_models.token is not None
    assert len(search_versions(VERSIONS, None, max_results=200_000)) == 6
    assert len(search_models(MODELS, None, max_results=1000)) == 4


@pytest.mark.parametrize(("max_results", "fragment"), [
    (0, "must be a positive integer"), (-1, "must be a positive integer"),
    (True, "must be a positive integer"), ("10", "must be a positive integer"),
    (1.5, "must be a positive integer"), (200_001, "at most 200000 versions a page"),
])
def test_bad_max_results(max_results: object, fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=f"invalid max_results .*{fragment}"):
        search_versions(VERSIONS, None, max_results=max_results)  # type: ignore[arg-type]
    if max_results == 200_001:
        with pytest.raises(InvalidParameter, match="at most 1000 models a page"):
            search_models(MODELS, None, max_results=1001)


# -- property: paging with any page size is one big page, cut -----------------------------

_records = st.lists(
    st.builds(
        lambda name, version, day, team: _mv(name, version, f"2024-01-0{day}",
                                             tags={"team": team} if team else {}),
        st.sampled_from(["a", "b", "B", "c_d"]), st.integers(1, 6), st.integers(1, 3),
        st.sampled_from(["", "x", "y"]),
    ),
    max_size=30,
    unique_by=lambda mv: (mv.name, mv.version),
)
_queries = st.sampled_from([None, "tags.team = 'x'", "version_number > 2", "name ILIKE 'b%'"])
_orders = st.sampled_from([
    None, ["creation_timestamp DESC"], ["name DESC"], ["version_number ASC"],
    ["last_updated_timestamp ASC", "name DESC"],
])


@settings(max_examples=150, deadline=None)
@given(records=_records, query=_queries, order_by=_orders, size=st.integers(1, 8),
       seed=st.integers(0, 1000))
def test_paging_equals_one_big_page(records: list[ModelVersion], query: str | None,
                                    order_by: list[str] | None, size: int, seed: int) -> None:
    whole = search_versions(records, query, order_by=order_by)
    assert whole.token is None
    shuffle = random.Random(seed).shuffle
    pages: list[ModelVersion] = []
    token = None
    while True:
        shuffled = list(records)
        shuffle(shuffled)  # the source's order never matters: the order is total
        page = search_versions(shuffled, query, order_by=order_by, max_results=size,
                               page_token=token)
        assert 0 < len(page) <= size or not whole
        pages += page
        token = page.token
        if token is None:
            break
    assert pages == list(whole)


def test_tokens_do_not_depend_on_the_process() -> None:
    """A CLI user pastes a token into the next process: it must carry no hash-seed order."""
    query = "name IN ('a', 'b', 'c') AND tags.team IN ('x', 'y')"
    code = (
        "from modelreg.model import ModelVersion\n"
        "from modelreg.search import search_versions\n"
        "vs = [ModelVersion(name='a', version=v, tags={'team': 'x'}) for v in (1, 2)]\n"
        f"print(search_versions(vs, {query!r}, max_results=1).token)\n"
    )
    tokens = {
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(tokens) == 1
    vs = [ModelVersion(name="a", version=v, tags={"team": "x"}) for v in (1, 2)]
    assert ids(search_versions(vs, query, page_token=tokens.pop())) == ["a/1"]
