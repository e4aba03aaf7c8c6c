"""`modelreg apply OPS.yaml`: several operations from a file, as one commit.

The file is a YAML list of one-key mappings, each an operation and its arguments:

    - register: {name: fraud, path: model, metrics: {auc: 0.95}}
    - alias: {name: fraud, alias: champion, version: "$1"}
    - stage: {name: fraud, version: "$1", stage: Production, archive_existing: true}

`"$N"` stands for the version number step N produced (a `register` or a `copy`, 1-based);
in a `copy`'s `src` URI it may appear inside the text (`models:/fraud/$1`). Relative paths are
taken from `base_dir`: the CLI passes the file's own folder, so a release file kept in a
repository means the same files whoever runs it, from wherever (as docker-compose does).

The whole file is checked before anything runs, every problem a one-line `InvalidParameter`
naming the step (`ops.yaml:2: step 2 (alias): unknown key 'versoin'`); then every step runs in
one `Registry.transaction`, so the file lands as one commit or not at all.
"""

from __future__ import annotations

from modelreg.applyfile.parse import load, parse
from modelreg.applyfile.run import apply
from modelreg.applyfile.steps import FIELDS, Step, StepFailed, StepRef

__all__ = ["FIELDS", "Step", "StepFailed", "StepRef", "apply", "load", "parse"]
