"""Reading an operations file: every step checked before anything runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from modelreg import names, uris, yamlio
from modelreg.applyfile.steps import FIELDS, PRODUCES_VERSION, STEP_REF, SYNONYMS, Step, StepRef
from modelreg.errors import InvalidParameter
from modelreg.model import Stage


def load(path: Path, *, base_dir: Path) -> tuple[Step, ...]:
    """Read and check an operations file (YAML through `yamlio`: duplicate keys refused)."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InvalidParameter(f"cannot read {path}: {exc.strerror}") from None
    loaded = yamlio.load(text, path=str(path))
    return parse(loaded.data, base_dir=base_dir, source=str(path), lines=loaded.lines)


def parse(
    data: Any, *, base_dir: Path, source: str = "operations",
    lines: Mapping[yamlio.JsonPath, int] | None = None,
) -> tuple[Step, ...]:
    """Check every step of a loaded file; raise the first problem, naming its step."""
    if not isinstance(data, list) or not data:
        raise InvalidParameter(
            f"{source}: expected a non-empty YAML list of operations, like "
            "`- alias: {name: fraud, alias: champion, version: 2}`"
        )
    steps: list[Step] = []
    for index, item in enumerate(data):
        line = (lines or {}).get((index,))
        where = f"{source}:{line}: " if line else f"{source}: "
        steps.append(_parse_step(index + 1, item, steps, base_dir=base_dir, where=where, line=line))
    return tuple(steps)


def _parse_step(
    number: int, item: Any, earlier: Sequence[Step], *, base_dir: Path, where: str,
    line: int | None,
) -> Step:
    if not isinstance(item, dict) or len(item) != 1:
        raise InvalidParameter(
            f"{where}step {number}: expected a mapping with one operation, like "
            "`- alias: {name: fraud, alias: champion, version: 2}`"
        )
    ((op, args),) = item.items()
    op = SYNONYMS.get(op, op)
    if op not in FIELDS:
        known = ", ".join([*FIELDS, *SYNONYMS])
        raise InvalidParameter(
            f"{where}step {number}: unknown operation {op!r} (operations: {known})"
        )
    label = f"{where}step {number} ({op})"
    if not isinstance(args, dict):
        raise InvalidParameter(f"{label}: expected a mapping of arguments, like {{name: fraud}}")
    try:
        checked = _check_args(op, args, earlier, base_dir=base_dir)
    except InvalidParameter as exc:
        raise InvalidParameter(f"{label}: {exc}") from exc
    return Step(number=number, op=op, args=checked, line=line)


def _check_args(
    op: str, args: dict[str, Any], earlier: Sequence[Step], *, base_dir: Path
) -> dict[str, Any]:
    required, optional = FIELDS[op]
    for key in args:
        if key not in required and key not in optional:
            raise InvalidParameter(f"unknown key {key!r} (keys: {', '.join(required + optional)})")
    missing = [key for key in required if key not in args]
    if missing:
        raise InvalidParameter(f"missing key {missing[0]!r}")
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key == "version":
            out[key] = _version(value, earlier)
        elif key == "src":
            out[key] = _src(value, earlier)
        elif key == "path":
            out[key] = _path(value, base_dir)
        else:
            out[key] = CHECKS[key](value)
    return out


def _string(key: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidParameter(f"{key} must be a string, not {_kind(value)} (quote it)")
        return value

    return check


def _flag(key: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise InvalidParameter(f"{key} must be true or false, not {value!r}")
        return value

    return check


def _mapping(key: str, check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        if not isinstance(value, dict):
            raise InvalidParameter(f"{key} must be a mapping, like {{k: v}}, not {_kind(value)}")
        return check(value)

    return run


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter("data must be a URI or a list of URIs")
    return tuple(value)


def _stage(value: Any) -> str:
    return Stage.parse(_string("stage")(value)).value


def _tags(value: dict[str, Any]) -> dict[str, str]:
    for key, text in value.items():
        if not isinstance(text, str):
            raise InvalidParameter(f"tag {key!r}: value must be a string, not {_kind(text)} "
                                   "(quote it)")
    return names.check_tags(value)


CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": names.check_model_name,
    "dst": names.check_model_name,
    "new_name": names.check_model_name,
    "alias": names.check_alias,
    "stage": _stage,
    "key": lambda v: names.check_tag_key(_string("key")(v)),
    "value": _string("value"),
    "description": lambda v: names.check_description(_string("description")(v)),
    "reference": _flag("reference"),
    "archive_existing": _flag("archive_existing"),
    "metrics": _mapping("metrics", names.check_metrics),
    "tags": _mapping("tags", _tags),
    "run_id": _string("run_id"),
    "run_link": _string("run_link"),
    "source": _string("source"),
    "code_commit": _string("code_commit"),
    "data": _strings,
}


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _version(value: Any, earlier: Sequence[Step]) -> int | StepRef:
    if isinstance(value, str) and value.strip().startswith("$"):
        match = STEP_REF.fullmatch(value.strip())
        if not match:
            raise InvalidParameter(f"version {value!r}: write \"$N\" for the version step N made")
        return _step_ref(int(match.group(1)), earlier)
    return names.check_version(value)


def _step_ref(number: int, earlier: Sequence[Step]) -> StepRef:
    if not 1 <= number <= len(earlier):
        raise InvalidParameter(f"'${number}' does not name an earlier step")
    step = earlier[number - 1]
    if step.op not in PRODUCES_VERSION:
        raise InvalidParameter(
            f"'${number}' names step {number} ({step.op}), which makes no version "
            "(only register and copy do)"
        )
    return StepRef(step=number)


def _src(value: Any, earlier: Sequence[Step]) -> str:
    text = _string("src")(value)
    for match in STEP_REF.finditer(text):
        _step_ref(int(match.group(1)), earlier)
    uris.parse(STEP_REF.sub("1", text))  # its form, with any "$N" standing for a version
    return text


def _path(value: Any, base_dir: Path) -> str:
    text = _string("path")(value)
    if not text:
        raise InvalidParameter("path must not be empty")
    if "://" in text:
        return text  # a URI (a `reference: true` to files in a store), left as it is
    return str(base_dir / Path(text).expanduser())
