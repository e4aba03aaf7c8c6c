"""Bad input gets a clear one-line error and changes nothing (issue #2).

One row per kind of mistake. Each runs the real `modelreg` command and asserts exit code 1, a
single `modelreg: error: ...` line, and that refs, `git status`, the object database and the
artifact store are exactly as before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import init_registry, make_model, repo_state

MODELREG = str(Path(sys.executable).parent / "modelreg")

ROWS = [
    # (id, arguments, a fragment the message must contain)
    ("bad-name-slash", ["register", "a/b", "{model}"], "may not contain '/'"),
    ("bad-name-control", ["models", "create", "bad\tname"], "control character"),
    ("reserved-alias", ["alias", "set", "fraud", "latest", "1"], "reserved"),
    ("alias-bad-chars", ["alias", "set", "fraud", "my alias", "1"], "only letters"),
    ("alias-missing-version", ["alias", "set", "fraud", "champion", "99"], "version 99"),
    ("alias-missing-model", ["alias", "set", "nope", "champion", "1"], "'nope' does not exist"),
    ("delete-missing-alias", ["alias", "delete", "fraud", "prod"], "no alias 'prod'"),
    ("unreadable-path", ["register", "fraud", "/no/such/model"], "no such file"),
    ("invalid-tag-key", ["versions", "tag", "fraud", "1", "bad*key", "v"], "tag key"),
    ("nan-metric", ["register", "fraud", "{model}", "--metric", "auc=nan"], "finite"),
    ("unknown-stage", ["stage", "fraud", "1", "Prod"], "invalid stage"),
    ("missing-version", ["versions", "show", "fraud", "7"], "version 7"),
    ("model-exists", ["models", "create", "fraud"], "already exists"),
    ("case-collision", ["models", "create", "Fraud"], "differs only by case"),
    ("rename-onto-existing", ["models", "rename", "fraud", "other"], "already exists"),
    ("copy-missing-source", ["copy", "models:/fraud/9", "fraud-eu"], "version 9"),
    ("bad-uri", ["resolve", "models:/fraud"], "invalid model URI"),
    ("credential-in-source", ["register", "fraud", "{model}", "--source",
                              "s3://AKIAEXAMPLE:secret@bucket/model"], "credential"),
    ("register-with-run-link-token", ["register", "fraud", "{model}", "--run-link",
                                      "https://x.example/run?X-Amz-Signature=abc"], "credential"),
]




@pytest.mark.parametrize(("args", "fragment"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input_changes_nothing(
    tmp_path: Path, repo: Path, args: list[str], fragment: str
) -> None:
    reg = init_registry(repo)
    reg.register("fraud", make_model(tmp_path / "v1", "one"))
    reg.create_registered_model("other")
    model = make_model(tmp_path / "new", "new content")
    store = reg.location.path / "artifacts"
    before = repo_state(repo, store)
    argv = [a.replace("{model}", str(model)) for a in args]
    proc = subprocess.run(
        [MODELREG, *argv], cwd=reg.location.path, capture_output=True, text=True,
        env=os.environ.copy(), timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("modelreg: error: "), proc.stderr
    assert fragment in lines[0]
    assert "Traceback" not in proc.stderr
    assert repo_state(repo, store) == before
