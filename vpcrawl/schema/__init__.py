"""The versioned JSON Schema of an exported item, and a fast validator for it.

`article.schema.json` (JSON Schema draft 2020-12) is the published contract; any standard
validator accepts it. The pipeline validates every item, so this module compiles the schema
once into plain Python closures instead of depending on a general validator at run time (and
into one generated function that only says valid or not, run first: the closures then run only
for an invalid item, for its messages).
The compiler understands the keywords the schema uses (`type`, `enum`, `const`, `pattern`,
`minLength`, `maxLength`, `minimum`, `maximum`, `required`, `properties`,
`additionalProperties`, `items`, `minItems`, local `$ref`) and refuses any other assertion
keyword, so the schema cannot silently grow a rule that is not enforced here.
`tests/test_schema.py` cross-checks the results against the `jsonschema` package.

    SCHEMA, SCHEMA_VERSION
    validate(item) -> list[str]            # problems; [] = valid
    validate_manifest(manifest) -> list[str]
    reject_record(item, problems) -> dict  # a line of <run-id>.rejects.jsonl
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "MANIFEST_SCHEMA",
    "SCHEMA",
    "SCHEMA_VERSION",
    "SchemaError",
    "compile_schema",
    "export_view",
    "problem_field",
    "reject_record",
    "validate",
    "validate_manifest",
]


class SchemaError(ValueError):
    """The schema file uses something the compiler does not enforce."""


SCHEMA: dict[str, Any] = json.loads(
    resources.files("vpcrawl.schema").joinpath("article.schema.json").read_text(encoding="utf-8")
)
SCHEMA_VERSION: str = SCHEMA["properties"]["schema_version"]["const"]
MANIFEST_SCHEMA: dict[str, Any] = SCHEMA["$defs"]["manifest"]

# Keywords that only annotate: ignored by the compiler.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default", "format",
     "deprecated", "readOnly", "writeOnly"}
)
_ASSERTIONS = frozenset(
    {"type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "required",
     "properties", "additionalProperties", "items", "minItems", "$ref"}
)
_MAX_SHOWN = 60  # characters of a bad value quoted in a problem message

Check = Callable[[Any, str, list[str]], None]


def _is_type(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "array":
        return isinstance(value, (list, tuple))
    if name == "object":
        return isinstance(value, Mapping)
    raise SchemaError(f"unknown type {name!r}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _where(path: str) -> str:
    return path or "item"


def compile_schema(node: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Check:
    """Compile a schema node into `check(value, path, problems)` that appends problem strings."""
    root = node if root is None else root
    unknown = set(node) - _ANNOTATIONS - _ASSERTIONS
    if unknown:
        raise SchemaError(f"schema keywords not supported by vpcrawl.schema: {sorted(unknown)}")
    checks: list[Check] = []

    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise SchemaError(f"only local $ref is supported: {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        checks.append(compile_schema(target, root))

    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        for t in types:
            _is_type(None, t)  # raises on an unknown type name
        wanted = " or ".join(types)

        def check_type(v: Any, p: str, out: list[str]) -> None:
            if not any(_is_type(v, t) for t in types):
                out.append(f"{_where(p)}: expected {wanted}, got {type(v).__name__} {_show(v)}")

        checks.append(check_type)

    if "enum" in node:
        allowed = list(node["enum"])
        names = ", ".join("null" if a is None else str(a) for a in allowed)

        def check_enum(v: Any, p: str, out: list[str]) -> None:
            if not any(v == a and type(v) is type(a) for a in allowed):
                out.append(f"{_where(p)}: {_show(v)} is not one of {names}")

        checks.append(check_enum)

    if "const" in node:
        const = node["const"]

        def check_const(v: Any, p: str, out: list[str]) -> None:
            if v != const or type(v) is not type(const):
                out.append(f"{_where(p)}: expected {const!r}, got {_show(v)}")

        checks.append(check_const)

    if "pattern" in node:
        rx = re.compile(node["pattern"])

        def check_pattern(v: Any, p: str, out: list[str]) -> None:
            if isinstance(v, str) and rx.search(v) is None:
                out.append(f"{_where(p)}: {_show(v)} does not match {rx.pattern}")

        checks.append(check_pattern)

    if "minLength" in node or "maxLength" in node:
        lo, hi = node.get("minLength", 0), node.get("maxLength")

        def check_length(v: Any, p: str, out: list[str]) -> None:
            if isinstance(v, str):
                if len(v) < lo:
                    out.append(f"{_where(p)}: empty" if lo == 1 else f"{_where(p)}: shorter than {lo}")
                elif hi is not None and len(v) > hi:
                    out.append(f"{_where(p)}: longer than {hi} characters")

        checks.append(check_length)

    if "minimum" in node or "maximum" in node:
        vmin, vmax = node.get("minimum"), node.get("maximum")

        def check_range(v: Any, p: str, out: list[str]) -> None:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if vmin is not None and v < vmin:
                    out.append(f"{_where(p)}: {v} is less than {vmin}")
                if vmax is not None and v > vmax:
                    out.append(f"{_where(p)}: {v} is greater than {vmax}")

        checks.append(check_range)

    if "minItems" in node:
        min_items = node["minItems"]

        def check_min_items(v: Any, p: str, out: list[str]) -> None:
            if isinstance(v, (list, tuple)) and len(v) < min_items:
                out.append(f"{_where(p)}: fewer than {min_items} entries")

        checks.append(check_min_items)

    if "items" in node:
        item_check = compile_schema(node["items"], root)

        def check_items(v: Any, p: str, out: list[str]) -> None:
            if isinstance(v, (list, tuple)):
                for i, entry in enumerate(v):
                    item_check(entry, f"{p}[{i}]", out)

        checks.append(check_items)

    if {"required", "properties", "additionalProperties"} & set(node):
        required = tuple(node.get("required", ()))
        props = {k: compile_schema(s, root) for k, s in node.get("properties", {}).items()}
        extra = node.get("additionalProperties", True)
        extra_check = compile_schema(extra, root) if isinstance(extra, Mapping) else None

        def check_object(v: Any, p: str, out: list[str]) -> None:
            if not isinstance(v, Mapping):
                return
            prefix = f"{p}." if p else ""
            for name in required:
                if name not in v:
                    out.append(f"{prefix}{name}: missing")
            for name, value in v.items():
                sub = props.get(name)
                if sub is not None:
                    sub(value, prefix + str(name), out)
                elif extra is False:
                    out.append(f"{prefix}{name}: unexpected field")
                elif extra_check is not None:
                    extra_check(value, prefix + str(name), out)

        checks.append(check_object)

    if len(checks) == 1:
        return checks[0]

    def check_all(v: Any, p: str, out: list[str]) -> None:
        for c in checks:
            c(v, p, out)

    return check_all


Test = Callable[[Any], bool]

_TYPE_TESTS = {
    "null": "{x} is None",
    "string": "isinstance({x}, str)",
    "integer": "((isinstance({x}, int) and not isinstance({x}, bool)) or (isinstance({x}, float) and {x}.is_integer()))",
    "number": "(isinstance({x}, (int, float)) and not isinstance({x}, bool))",
    "boolean": "isinstance({x}, bool)",
    "array": "isinstance({x}, (list, tuple))",
    "object": "isinstance({x}, Mapping)",
}


class _TestWriter:
    """Writes `test(value) -> bool` for a schema node as one Python function (no call per
    keyword and property, no path or message building)."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"Mapping": Mapping}
        self.count = 0

    def _name(self, prefix: str, *value: Any) -> str:
        """A fresh name for the generated code, bound to `value` when one is given."""
        self.count += 1
        name = f"{prefix}{self.count}"
        if value:
            self.names[name] = value[0]
        return name

    def _emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def node(self, node: Mapping[str, Any], x: str, depth: int) -> None:
        """Statements returning False when `x` breaks `node`, as `compile_schema`'s check
        would report (same keywords, same rules)."""
        unknown = set(node) - _ANNOTATIONS - _ASSERTIONS
        if unknown:
            raise SchemaError(f"schema keywords not supported by vpcrawl.schema: {sorted(unknown)}")
        emit = self._emit
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise SchemaError(f"only local $ref is supported: {ref!r}")
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            self.node(target, x, depth)
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            for t in types:
                if t not in _TYPE_TESTS:
                    raise SchemaError(f"unknown type {t!r}")
            emit(depth, f"if not ({' or '.join(_TYPE_TESTS[t].format(x=x) for t in types)}): return False")
        if "enum" in node:
            allowed = self._name("ENUM", tuple(node["enum"]))
            emit(depth, f"if not any({x} == a and type({x}) is type(a) for a in {allowed}): return False")
        if "const" in node:
            const = self._name("CONST", node["const"])
            emit(depth, f"if not ({x} == {const} and type({x}) is type({const})): return False")
        if "pattern" in node:
            search = self._name("SEARCH", re.compile(node["pattern"]).search)
            emit(depth, f"if isinstance({x}, str) and {search}({x}) is None: return False")
        if "minLength" in node or "maxLength" in node:
            lo, hi = node.get("minLength", 0), node.get("maxLength")
            too_long = f" or len({x}) > {hi!r}" if hi is not None else ""
            emit(depth, f"if isinstance({x}, str) and (len({x}) < {lo!r}{too_long}): return False")
        if "minimum" in node or "maximum" in node:
            bounds = [f"{x} < {self._name('MINIMUM', node['minimum'])}"] if node.get("minimum") is not None else []
            if node.get("maximum") is not None:
                bounds.append(f"{x} > {self._name('MAXIMUM', node['maximum'])}")
            if bounds:
                emit(depth, f"if isinstance({x}, (int, float)) and not isinstance({x}, bool) and "
                            f"({' or '.join(bounds)}): return False")
        if "minItems" in node:
            emit(depth, f"if isinstance({x}, (list, tuple)) and len({x}) < {node['minItems']!r}: return False")
        if "items" in node:
            e = self._name("e")
            emit(depth, f"if isinstance({x}, (list, tuple)):")
            emit(depth + 1, f"for {e} in {x}:")
            self.node(node["items"], e, depth + 2)
        if {"required", "properties", "additionalProperties"} & set(node):
            required = tuple(node.get("required", ()))
            props = node.get("properties", {})
            extra = node.get("additionalProperties", True)
            emit(depth, f"if isinstance({x}, Mapping):")
            if required:
                names = self._name("REQUIRED", required)
                emit(depth + 1, f"for k in {names}:")
                emit(depth + 2, f"if k not in {x}: return False")
            if extra is not True:
                known = self._name("KNOWN", frozenset(props))
                k, y = self._name("k"), self._name("y")
                emit(depth + 1, f"for {k}, {y} in {x}.items():")
                emit(depth + 2, f"if {k} not in {known}:")
                if extra is False:
                    emit(depth + 3, "return False")
                else:
                    self.node(extra, y, depth + 3)
            missing = self._name("MISSING", object())  # a fresh object: no value is it
            for name, sub in props.items():
                y = self._name("y")
                emit(depth + 1, f"{y} = {x}.get({name!r}, {missing})")
                emit(depth + 1, f"if {y} is not {missing}:")
                before = len(self.lines)
                self.node(sub, y, depth + 2)
                if len(self.lines) == before:
                    emit(depth + 2, "pass")


def compile_test(node: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Test:
    """Compile a schema node into `test(value) -> bool`: True exactly when the check that
    `compile_schema` builds would report no problem (same keywords, same rules), without
    building paths or messages. The validator runs it first and the full check only on a
    value that fails, for its messages."""
    writer = _TestWriter(node if root is None else root)
    writer.node(node, "v", 1)
    source = "def test(v):\n" + "\n".join(writer.lines) + "\n    return True\n"
    namespace = dict(writer.names)
    exec(compile(source, "<vpcrawl.schema test>", "exec"), namespace)  # our own generated code
    return namespace["test"]  # type: ignore[no-any-return]


_ITEM_CHECK = compile_schema(SCHEMA)
_ITEM_TEST = compile_test(SCHEMA)
_MANIFEST_CHECK = compile_schema(MANIFEST_SCHEMA, SCHEMA)


@cache
def _working_fields() -> frozenset[str]:
    # Imported lazily: items.py may one day take SCHEMA_VERSION from here.
    from vpcrawl.items import WORKING_FIELDS

    return frozenset(WORKING_FIELDS)


def export_view(item: Any) -> dict[str, Any]:
    """The item as it is exported: a plain dict without the pipelines' working fields.

    Accepts a dict, any mapping, a dataclass instance (`ArticleItem`) or a Scrapy item.
    """
    names = _EXPORT_NAMES.get(type(item))
    if names is not None:  # a dataclass seen before: its exported fields, in field order
        return {name: getattr(item, name) for name in names}
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        names = _EXPORT_NAMES[type(item)] = tuple(
            f.name for f in dataclasses.fields(item) if f.name not in _working_fields())
        return {name: getattr(item, name) for name in names}
    if isinstance(item, Mapping):
        data = dict(item)
    else:
        try:
            from itemadapter import ItemAdapter
        except ImportError as e:  # pragma: no cover
            raise TypeError(f"cannot read an item of type {type(item).__name__}") from e
        data = ItemAdapter(item).asdict()
    for name in _working_fields() & data.keys():
        del data[name]
    return data


_EXPORT_NAMES: dict[type, tuple[str, ...]] = {}


def validate(item: Any) -> list[str]:
    """Problems of one item against the schema (empty list = valid).

    Working fields of the pipelines (`vpcrawl.items.WORKING_FIELDS`) are ignored, so the
    validate pipeline can pass the item as it is. Each problem reads `<field path>: <what>`,
    e.g. `published_at: '2021-11-19' does not match ...` or `documents[0].number: missing`;
    the part before the first colon is the error kind reports group by.
    """
    data = export_view(item)
    if _ITEM_TEST(data):
        return []
    out: list[str] = []
    _ITEM_CHECK(data, "", out)
    return out


def validate_manifest(manifest: Mapping[str, Any]) -> list[str]:
    """Problems of a run manifest (`<run-id>.manifest.json`) against `$defs/manifest`."""
    out: list[str] = []
    _MANIFEST_CHECK(manifest, "", out)
    return out


def problem_field(problem: str) -> str:
    """The top-level field a problem is about (`images[0].url: missing` -> `images`)."""
    head = problem.split(":", 1)[0]
    return re.split(r"[.\[]", head, maxsplit=1)[0] or "item"


def reject_record(item: Any, problems: list[str], rejected_at: datetime | None = None) -> dict[str, Any]:
    """A line of `<run-id>.rejects.jsonl`: the item as it would have been exported and why not."""
    data = export_view(item)
    when = rejected_at or datetime.now(timezone.utc)
    return {
        "schema_version": SCHEMA_VERSION,
        "rejected_at": when.isoformat(timespec="seconds"),
        "site": data.get("site"),
        "url": data.get("url"),
        "problems": list(problems),
        "item": data,
    }
