"""The one module that imports `yaml` (STYLE §11).

Reading: libyaml's C parser, then our own construction from the node tree, so that duplicate
keys and anchors/aliases are refused (a reviewer must see in the diff exactly what the registry
reads), timestamps stay strings, and every value's line is known for error reports. What a crafted
file could use to crash a reader is refused with a line too (issue #6): nesting past 64
levels, numbers Python cannot print. What
`dump` writes is first tried by `yamlfast`, which reads exactly that form far faster and
gives up on anything else (issue #5: a registry of 100,000 versions is read whole).

Writing: libyaml's C emitter, block style, a stable key order chosen by the caller, every string
quoted (a hand edit can't turn `1.10` into `1.1` or `no` into `false` unnoticed) except
multi-line text, which is a literal block (unambiguous, and readable in a diff). `yamlemit`
writes the same bytes for the values manifests hold, and gives up on anything else.

So `yaml` is imported only for what the two fast paths give up on (issue #5): its import
costs a process 10-15 ms (its pure-Python reader compiles a large regex), a sixth of a
`modelreg resolve`, and neither a read nor a write of what modelreg writes needs it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from modelreg import yamlfast
from modelreg.errors import ManifestError

if TYPE_CHECKING:
    import yaml

JsonPath = tuple[str | int, ...]
MAX_DEPTH = 64  # manifests nest 5 levels; an MLmodel or a policy not many more
_INT_LIMIT = 10**4300  # what Python's `int()` and `str()` take and give by default


class Loaded(NamedTuple):
    data: Any
    lines: dict[JsonPath, int]  # 1-based line of each value, by JSON path


def load(text: str | bytes, *, path: str = "") -> Loaded:
    """Parse one YAML document; raise `ManifestError` naming the file and line on refusal."""
    fast = yamlfast.parse(text)
    if fast is not None:
        return Loaded(*fast)
    return load_libyaml(text, path=path)


def load_data(text: str | bytes, *, path: str = "") -> Any:
    """The document's values without their lines: what readers need until something is
    wrong (they then call `load` for the line to report)."""
    fast = yamlfast.parse(text, lines=False)
    if fast is not None:
        return fast[0]
    return load_libyaml(text, path=path).data


def load_libyaml(text: str | bytes, *, path: str = "") -> Loaded:
    """`load` without the fast path: every document, in libyaml's terms."""
    import yaml

    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Loaded(None, {})
        lines: dict[JsonPath, int] = {}
        data = _Builder(loader, path, lines).build(node, ())
        return Loaded(data, lines)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = _one_line(exc.problem or exc.context or "")
        raise ManifestError(f"invalid YAML: {problem}", path=path, line=line) from exc
    except yaml.YAMLError as exc:  # the reader's (a byte that is no text): two lines of text
        raise ManifestError(f"invalid YAML: {_one_line(str(exc))}", path=path) from exc
    finally:
        loader.dispose()


def _one_line(text: str) -> str:
    """An error is one line (STYLE §8): libyaml's may have several."""
    return " ".join(text.split())


@functools.cache
def _loader() -> type[yaml.CSafeLoader]:
    """libyaml's safe loader whose implicit types are YAML's core ones minus timestamps."""
    import yaml

    class Loader(yaml.CSafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


class _Builder:
    def __init__(self, loader: yaml.CSafeLoader, path: str, lines: dict[JsonPath, int]) -> None:
        self.loader = loader
        self.path = path
        self.lines = lines
        self.seen: set[int] = set()

    def fail(self, node: yaml.Node, message: str) -> ManifestError:
        return ManifestError(message, path=self.path, line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, at: JsonPath) -> Any:
        import yaml

        # An alias makes the composer hand out the same node object twice.
        if id(node) in self.seen:
            raise self.fail(node, "YAML anchors and aliases are not allowed in manifests")
        self.seen.add(id(node))
        if len(at) > MAX_DEPTH:  # before Python's recursion limit, which libyaml's is above
            raise self.fail(node, f"values are nested more than {MAX_DEPTH} levels deep")
        self.lines[at] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, at)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*at, i)) for i, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:merge" or (
            isinstance(node, yaml.ScalarNode) and node.value == "<<" and node.style is None
        ):
            raise self.fail(node, "YAML merge keys are not allowed in manifests")
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        """A scalar's value. What libyaml's constructors fail on in their own ways (an
        explicit tag on a value it cannot read: `!!int x`, `!!timestamp 1`) and a number
        Python cannot print (`int()` reads 4,300 digits, `0x...` can mean more) are refused."""
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            pass
        else:
            if type(value) is not int or -_INT_LIMIT < value < _INT_LIMIT:
                return value
        shown = node.value if len(node.value) <= 40 else node.value[:39] + "…"
        raise self.fail(node, f"the value {shown!r} ({len(node.value):,} characters) cannot "
                        f"be read as {node.tag.replace('tag:yaml.org,2002:', '!!')}")

    def mapping(self, node: yaml.MappingNode, at: JsonPath) -> dict[str, Any]:
        import yaml

        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain strings")
            key = self.build(key_node, (*at, "<key>"))
            if isinstance(key, bool) or key is None:
                key = key_node.value  # `on:`/`yes:` as a key means the word, not a boolean
            key = str(key)
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r}")
            out[key] = self.build(value_node, (*at, key))
        self.lines.pop((*at, "<key>"), None)
        return out


@functools.cache
def _dumper() -> type[yaml.CSafeDumper]:
    """libyaml's safe emitter with modelreg's representers (see the module's docstring)."""
    import yaml

    class Dumper(yaml.CSafeDumper):
        pass

    Dumper.add_representer(str, _represent_str)
    Dumper.add_representer(dict, _represent_dict)
    Dumper.add_representer(list, _represent_list)
    Dumper.add_representer(tuple, _represent_list)
    return Dumper


def _represent_str(dumper: yaml.CSafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.rstrip("\n") else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_key(value: str) -> yaml.ScalarNode:
    import yaml

    from modelreg.yamlemit import plain_key

    style = None if plain_key(value) else '"'
    return yaml.ScalarNode("tag:yaml.org,2002:str", value, style=style)


def _represent_dict(dumper: yaml.CSafeDumper, value: Mapping[str, Any]) -> yaml.MappingNode:
    import yaml

    items = [(_represent_key(str(k)), dumper.represent_data(v)) for k, v in value.items()]
    return yaml.MappingNode("tag:yaml.org,2002:map", items, flow_style=False)


def _represent_list(dumper: yaml.CSafeDumper, value: Sequence[Any]) -> yaml.SequenceNode:
    node = dumper.represent_sequence("tag:yaml.org,2002:seq", value)
    # Short lists of numbers (stage membership) read best inline: `Production: [7]`.
    node.flow_style = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return node


def dump(data: Mapping[str, Any], *, schema_url: str = "") -> str:
    """Serialize in the caller's key order, with the editor's `$schema` line first.

    `yamlemit` writes libyaml's text for what manifests hold; libyaml writes the rest.
    """
    from modelreg import yamlemit

    body = yamlemit.emit(data)
    header = f"# yaml-language-server: $schema={schema_url}\n" if schema_url else ""
    return header + (dump_libyaml(data) if body is None else body)


def dump_libyaml(data: Mapping[str, Any]) -> str:
    """`dump`'s body by libyaml's emitter, whatever the data."""
    import yaml

    return yaml.dump(
        data,
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        width=-1,
        default_flow_style=False,
        explicit_start=False,
    )
