"""Secrets never land in the registry (issue #6, DESIGN §2).

Each credential pattern has a fixture that every path refuses: a write (before any byte is
uploaded, or as the last guard before the commit, with a one-line error naming the field and
the pattern, never the value), and `validate` and `check` on a hand-edited manifest (a finding
CREDENTIAL_IN_MANIFEST naming the file and the field). The false-positive fixtures (digests,
run ids, git SHAs, UUIDs, base64-ish names, `AKIA` inside a longer word) pass everywhere.

The fake secrets are built from pieces so that this file does not look like a leak itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import git_out, init_registry, make_model, repo_state
from modelreg import Registry, secretscan
from modelreg.check import CheckOptions, CheckResult, check
from modelreg.errors import InvalidParameter
from modelreg.registry import RegisterOptions
from modelreg.snapshot import MemoryFiles
from modelreg.validate import validate_registry

CODE = secretscan.CREDENTIAL_IN_MANIFEST
AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLE"  # AWS's own documentation example
AWS_TEMP_KEY = "ASIA" + "Q3EGV7XA" + "2KZ7J5PD"
GH_TOKEN = "gh" + "p_" + "A1b2C3d4E5f6G7h8I9j0" * 2
GH_OAUTH = "gh" + "o_" + "Zy9Xw8Vu7Ts6Rq5Po4Nm3Lk2"
GH_SERVER = "gh" + "s_" + "0123456789abcdefABCDEF0123"
GH_PAT = "github" + "_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789"
KEY_BLOCK = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"

# What each fixture looks like, and the piece of it that must never appear in a message.
CREDENTIALS = {
    "aws-key-id": (f"deploy with {AWS_KEY} please", "an AWS access key id", AWS_KEY),
    "aws-temp-key-id": (AWS_TEMP_KEY, "an AWS access key id", AWS_TEMP_KEY),
    "github-classic": (GH_TOKEN, "a GitHub token", GH_TOKEN),
    "github-oauth": (f"token {GH_OAUTH}", "a GitHub token", GH_OAUTH),
    "github-server": (GH_SERVER, "a GitHub token", GH_SERVER),
    "github-pat": (GH_PAT, "a GitHub token", GH_PAT),
    "private-key": (KEY_BLOCK, "a private key block", "MIIEowIBAAKCAQEA7"),
    "openssh-key": ("-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r\n",
                    "a private key block", "b3BlbnNzaC1r"),
    "pkcs8-key": ("-----BEGIN " + "PRIVATE KEY-----", "a private key block", "BEGIN PRIVATE"),
    "user-info": ("https://alice:hunter2@git.example.com/models/m", "user info before '@'",
                  "hunter2"),
    "user-info-in-text": ("mirror at s3://KEYID:s3cr3t@bucket/m for now",
                          "user info before '@'", "s3cr3t"),
    "aws-signed-url": ("https://b.s3.amazonaws.com/m.pkl?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       "&X-Amz-Signature=" + "f00dfacecafe1234", "a signed-URL signature",
                       "f00dfacecafe1234"),
    "gcs-signed-url": ("https://storage.googleapis.com/b/m?X-Goog-Signature=" + "0a1b2c3d4e5f",
                       "a signed-URL signature", "0a1b2c3d4e5f"),
    "azure-sas": ("https://acct.blob.core.windows.net/c/m.onnx?sv=2022-11-02&sr=b&sig="
                  + "AbCdEf%2Bghij1234567890%3D", "an Azure SAS signature", "AbCdEf%2Bghij"),
    "aws-secret-key": ("AWS_SECRET_ACCESS_KEY=" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
                       "an AWS secret access key", "bPxRfiCY"),
    "gitlab-token": ("gl" + "pat-" + "Xy12_ab34-CD56ef78GH90", "a GitLab token", "CD56ef78GH90"),
    "slack-token": ("xo" + "xb-" + "123456789012-abcdefABCDEF", "a Slack token", "abcdefABCDEF"),
    "jwt": ("Bearer " + "eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3j",
            "a JSON Web Token", "dozjgNryP4J3j"),
    "bare-amz-signature": ("X-Amz-Signature=" + "9f86d081884c7d65", "a signed-URL signature",
                           "9f86d081884c7d65"),
    "azure-account-key": ("AccountKey=" + "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu"
                          "Fq2UVErCz4I6tq", "an Azure account key", "Eby8vdM02xNOcq"),
    "azure-connection-string": ("DefaultEndpointsProtocol=https;AccountName=acct;SharedAccessKey="
                                + "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ=", "an Azure account key",
                                "Zm9vYmFyYmF6"),
    "query-token": ("runs:/0a1b2c/model?access_token=" + "zzz999", "parameter 'access_token'",
                    "zzz999"),
}
HEX64 = "7c461e32da20765a8f3e9bfe8a7a8ced748469dd6cccae1f850b6386bec4a68c"
# Values that must pass: none of them is a credential.
LOOKALIKES = {
    "sha256": HEX64,
    "digest": f"sha256:{HEX64}",
    "mlflow-run-id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "git-sha": "3609ad8e0c6b1f0e2a4d5c7b9e8f1a2b3c4d5e6f",
    "uuid": "20725d5a-912f-44a8-9e81-f97e47094928",
    "base64-name": "bWVzc2FnZS1jbGFzc2lmaWVyLXYy",
    "akia-after-letters": "TAKIAMODELSCORINGV2XY",
    "akia-too-long": "AKIAMODELSCORINGV2XYZW9",
    "ghp-short": "ghp_v2",
    "runs-uri": "runs:/0a1b2c3d4e5f60718293a4b5c6d7e8f9/model",
    "s3-uri": "s3://bucket/tokens/model",
    "plain-query": "https://host.example/models/m?revision=main&format=onnx",
    "ssh-account": "ssh://git@github.com/org/repo.git",
    "email": "alice@example.com",
    "public-key": "-----BEGIN PUBLIC KEY-----",
    "prose": "signature checked; the sig= field of SAS URLs is what we never store",
}


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_each_credential_pattern_is_found(name: str) -> None:
    text, label, _ = CREDENTIALS[name]
    assert secretscan.find_credential(text) == label


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_lookalikes_are_not_credentials(name: str) -> None:
    assert secretscan.find_credential(LOOKALIKES[name]) == ""


# -- writes refuse, naming the field and the pattern ----------------------------------------


@dataclass
class World:
    repo: Path
    reg: Registry
    tmp: Path

    @property
    def folder(self) -> Path:
        return self.repo / "registry"

    def model(self, content: str = "weights\n") -> Path:
        return make_model(self.tmp / "models" / str(abs(hash(content))), content)

    def state(self) -> dict[str, object]:
        return repo_state(self.repo, self.folder / "artifacts")


@pytest.fixture
def world(tmp_path: Path, repo: Path) -> World:
    reg = init_registry(repo)
    w = World(repo=repo, reg=reg, tmp=tmp_path)
    reg.register("fraud", w.model(), options=RegisterOptions(tags={"team": "risk"}))
    return w


def refused(write: object, *secret: str) -> str:
    """The one-line refusal of `write()` (the caller checks that nothing changed)."""
    with pytest.raises(InvalidParameter) as caught:
        write()  # type: ignore[operator]
    message = str(caught.value)
    assert "\n" not in message and "credential" in message, message
    for piece in secret:
        assert piece not in message, message
    return message


def test_a_registration_carrying_a_credential_is_refused_before_any_upload(world: World) -> None:
    before = world.state()
    for name, (text, label, secret) in CREDENTIALS.items():
        cases = {
            "$.description": RegisterOptions(description=text),
            "$.tags.deploy": RegisterOptions(tags={"deploy": text}),
            "$.source": RegisterOptions(source=text),
            "$.run_link": RegisterOptions(run_link=text),
            "$.data[1]": RegisterOptions(data=("s3://bucket/train.csv", text)),
        }
        for field, options in cases.items():
            message = refused(lambda o=options, n=name: world.reg.register(
                "fraud", world.model(f"new {n}"), options=o), secret)
            assert field in message and label in message, (name, message)
    assert world.state() == before


def test_a_credential_in_a_key_is_refused_without_showing_the_key(world: World) -> None:
    before = world.state()
    for name in ("aws-key-id", "aws-temp-key-id", "github-pat"):
        _, label, key = CREDENTIALS[name]
        message = refused(lambda k=key: world.reg.register(
            "fraud", world.model("m"), options=RegisterOptions(metrics={k: 1.0})), key)
        assert "a key of $.metrics" in message and label in message
        message = refused(lambda k=key: world.reg.set_model_version_tag(
            "fraud", "1", k, "x"), key)
        assert "$.tags" in message and "models/fraud/versions/1.yaml" in message
    assert world.state() == before


def test_every_other_write_refuses_a_credential_as_its_last_guard(world: World) -> None:
    reg, before = world.reg, world.state()
    for name, (text, label, secret) in CREDENTIALS.items():
        writes = {
            "$.tags.t": lambda t=text: reg.set_model_version_tag("fraud", "1", "t", t),
            "$.description": lambda t=text: reg.update_model_version("fraud", "1", description=t),
            "$.tags.owner": lambda t=text: reg.set_registered_model_tag("fraud", "owner", t),
            "$.description ": lambda t=text: reg.update_registered_model("fraud", description=t),
            "$.tags.x": lambda t=text: reg.create_registered_model("other", tags={"x": t}),
        }
        for field, write in writes.items():
            message = refused(write, secret)
            assert field.strip() in message and label in message, (name, message)
            assert message.startswith("refusing to write models/"), message
    assert world.state() == before


def test_a_reference_carrying_a_credential_is_refused(world: World) -> None:
    before = world.state()
    for name in ("user-info", "aws-signed-url", "azure-sas", "query-token"):
        text, _, secret = CREDENTIALS[name]
        refused(lambda t=text: world.reg.register("fraud", t, reference=True), secret)
    assert world.state() == before


def test_lookalikes_are_recorded_as_they_are(world: World) -> None:
    tags = {name.replace("-", "_"): value for name, value in LOOKALIKES.items()}
    mv = world.reg.register("fraud", world.model("lookalikes"), options=RegisterOptions(
        tags=tags, description="\n".join(LOOKALIKES.values()),
        run_id=LOOKALIKES["mlflow-run-id"], source=LOOKALIKES["runs-uri"],
        metrics={LOOKALIKES["base64-name"]: 0.5}))
    assert mv.tags == tags
    world.reg.set_registered_model_tag("fraud", "commit", LOOKALIKES["git-sha"])
    assert validate_registry(world.reg.snapshot().files) == []


# -- the store: credentials only from the environment or fsspec's configuration --------------


def test_a_store_url_with_credentials_is_refused_by_init(tmp_path: Path, repo: Path) -> None:
    for store in (f"s3://{AWS_KEY}:wJalrXUtnFEMI@bucket/x", "s3://bucket/x?X-Amz-Security-Token=z"):
        before = repo_state(repo)
        with pytest.raises(InvalidParameter, match="credential") as caught:
            Registry.init(repo / "registry", store=store)
        assert AWS_KEY not in str(caught.value) and "wJalrXUtnFEMI" not in str(caught.value)
        assert repo_state(repo) == before and not (repo / "registry" / "registry.yaml").exists()


def registry_files(registry_yaml: str) -> MemoryFiles:
    return MemoryFiles({"registry.yaml": registry_yaml.encode()})


REGISTRY = 'modelreg: 1\nid: "20725d5a-912f-44a8-9e81-f97e47094928"\n'


def test_validate_flags_credentials_in_registry_yaml_and_refuses_store_options() -> None:
    found = validate_registry(registry_files(
        REGISTRY + f'store: "s3://{AWS_KEY}:wJalrXUtnFEMI@bucket/x"\n'))
    assert [(p.code, p.path, p.line, p.json_path) for p in found] == [
        (CODE, "registry.yaml", 3, "$.store")]
    assert AWS_KEY not in found[0].message and "wJalrXUtnFEMI" not in found[0].message
    # There is no place for store options (keys, secrets, endpoints) in registry.yaml at all.
    found = validate_registry(registry_files(
        REGISTRY + 'store: "s3://bucket/x"\nstore_options: {key: "k", secret: "s"}\n'))
    assert [p.code for p in found] == ["SCHEMA"] and "store_options" in found[0].message


def test_a_registry_whose_store_url_carries_credentials_cannot_open_its_store(
    world: World,
) -> None:
    path = world.folder / "registry.yaml"
    path.write_text(path.read_text().replace('store: "artifacts"',
                                             f'store: "s3://{AWS_KEY}:x@bucket/m"'))
    git_out(world.repo, "commit", "-q", "-am", "Leak")
    with pytest.raises(InvalidParameter, match="credential") as caught:
        Registry(world.folder).store()
    assert AWS_KEY not in str(caught.value)


# -- validate and check flag a hand-edited manifest -------------------------------------------


@pytest.fixture
def branch(world: World) -> Iterator[World]:
    git_out(world.repo, "checkout", "-q", "-b", "feature")
    yield world


def edit(world: World, rel: str, old: str, new: str) -> None:
    path = world.folder / rel
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new, 1))
    git_out(world.repo, "commit", "-q", "-am", "Hand edit")


def run_check(world: World) -> CheckResult:
    return check(world.reg.repo, "registry", "main", options=CheckOptions(verify_artifacts=False))


def yaml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


VERSION = "models/fraud/versions/1.yaml"


def test_check_and_validate_flag_each_credential_in_a_hand_edited_manifest(
    branch: World,
) -> None:
    tags = "".join(f"\n  {n.replace('-', '_')}: {yaml_string(t)}" for n, (t, _, _) in
                   CREDENTIALS.items())
    edit(branch, VERSION, 'team: "risk"', f'team: "risk"{tags}')
    expected = sorted((VERSION, f"$.tags.{n.replace('-', '_')}", label)
                      for n, (_, label, _) in CREDENTIALS.items())
    for found in (run_check(branch).problems, validate_registry(branch.reg.snapshot().files)):
        flagged = [p for p in found if p.code == CODE]
        assert sorted((p.path, p.json_path, p.message.split(": ")[0].split("like ")[1])
                      for p in flagged) == expected
        assert all(p.line for p in flagged)
        shown = json.dumps([str(p) for p in found])
        assert not [s for _, _, s in CREDENTIALS.values() if s in shown]


def test_check_flags_a_credential_in_a_comment_or_an_escape(branch: World) -> None:
    edit(branch, "models/fraud/model.yaml", "last_version:", f"# {GH_TOKEN}\nlast_version:")
    escaped = yaml_string(AWS_KEY).replace("A", "\\x41", 1)  # "\x41KIA...": the same string
    edit(branch, VERSION, 'team: "risk"', f"team: {escaped}")
    flagged = [(p.path, p.json_path, p.message.split(":")[0]) for p in run_check(branch).problems
               if p.code == CODE]
    assert flagged == [
        ("models/fraud/model.yaml", "", "line 5 holds what looks like a GitHub token outside "
         "any value (a comment?)"),
        (VERSION, "$.tags.team", "this value looks like an AWS access key id"),
    ]


def test_check_names_a_credential_key_without_showing_it(branch: World) -> None:
    edit(branch, VERSION, 'team: "risk"', f'team: "risk"\n  {AWS_KEY}: "x"')
    flagged = [p for p in run_check(branch).problems if p.code == CODE]
    assert [(p.json_path, p.message.split(":")[0]) for p in flagged] == [
        ("$.tags", "a key here looks like an AWS access key id")]
    assert AWS_KEY not in json.dumps([str(p) for p in run_check(branch).problems])


def test_check_leaves_what_the_base_had_to_the_base(branch: World) -> None:
    git_out(branch.repo, "checkout", "-q", "main")
    edit(branch, VERSION, 'team: "risk"', f"team: {yaml_string(GH_PAT)}")
    git_out(branch.repo, "checkout", "-q", "-B", "feature")
    edit(branch, "models/fraud/model.yaml", 'description: ""', 'description: "x"')
    assert CODE not in [p.code for p in run_check(branch).problems]
    assert CODE in [p.code for p in validate_registry(branch.reg.snapshot().files)]


def test_check_passes_lookalikes(branch: World) -> None:
    lines = "".join(f"\n  {k.replace('-', '_')}: {yaml_string(v)}" for k, v in LOOKALIKES.items())
    edit(branch, VERSION, 'team: "risk"', f'team: "risk"{lines}')
    assert run_check(branch).problems == ()
