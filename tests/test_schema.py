"""The item JSON Schema: in step with items.py, valid JSON Schema, and enforced by `validate`."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from vpcrawl import items as items_module
from vpcrawl.schema import (
    MANIFEST_SCHEMA,
    SCHEMA,
    SCHEMA_VERSION,
    SchemaError,
    compile_schema,
    export_view,
    problem_field,
    reject_record,
    validate,
    validate_manifest,
)

DATA = Path(__file__).parent / "data" / "report"


def sample_items() -> list[dict[str, Any]]:
    out = []
    for f in sorted(DATA.rglob("*.jsonl")):
        if f.name.endswith(".rejects.jsonl"):
            continue
        out.extend(json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line)
    return out


def good() -> dict[str, Any]:
    return copy.deepcopy(sample_items()[0])


# --- in step with items.py -----------------------------------------------------------------


def test_schema_version_matches_items() -> None:
    assert SCHEMA_VERSION == items_module.SCHEMA_VERSION, (
        "vpcrawl/schema/article.schema.json and vpcrawl/items.py disagree on schema_version"
    )


def test_schema_declares_exactly_the_export_fields() -> None:
    declared = set(SCHEMA["properties"])
    exported = set(items_module.EXPORT_FIELDS)
    assert exported - declared == set(), "fields exported but not in the schema"
    assert declared - exported == set(), "fields in the schema but not exported by items.py"
    assert set(SCHEMA["required"]) == declared
    assert not set(items_module.WORKING_FIELDS) & declared


def test_default_article_item_is_valid_once_filled() -> None:
    item = items_module.ArticleItem(
        id="0123456789abcdef", url="https://tinhuy.example.dcs.vn/a.html", site="x",
        title="Tiêu đề", body="Nội dung", body_blocks=["working field: ignored"],
    )
    assert validate(item) == []


# --- the schema itself -----------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_sample_data_is_valid() -> None:
    items = sample_items()
    assert len(items) > 10
    for item in items:
        assert validate(item) == [], item["url"]


def test_sample_manifests_are_valid() -> None:
    manifests = sorted(DATA.rglob("*.manifest.json"))
    assert manifests
    for f in manifests:
        assert validate_manifest(json.loads(f.read_text(encoding="utf-8"))) == [], f
    assert validate_manifest({"site": "x", "counts": {"items": -1}}) == [
        "run_id: missing", "schema_version: missing", "counts.items: -1 is less than 0",
    ]


# --- what validate catches -------------------------------------------------------------------

BAD_CASES: list[tuple[str, Any, str]] = [
    # (field, bad value, expected problem field)
    ("title", None, "title"),
    ("title", "", "title"),
    ("body", 42, "body"),
    ("id", "not-an-id", "id"),
    ("url", "/relative/path.html", "url"),
    ("published_at", "19/11/2021", "published_at"),
    ("published_at", "2021-11-19T09:35:00+00:00", "published_at"),
    ("date_source", "guess", "date_source"),
    ("date_precision", "second", "date_precision"),
    ("tags", "one, two", "tags"),
    ("tags", ["ok", 3], "tags"),
    ("images", [{"caption": "no url"}], "images"),
    ("attachments", [{"url": "a.pdf", "type": "PDF!"}], "attachments"),
    ("revision", 0, "revision"),
    ("revision", True, "revision"),
    ("revision", "2", "revision"),
    ("duplicate_of", "xyz", "duplicate_of"),
    ("content_hash", "abc", "content_hash"),
    ("crawled_at", "yesterday", "crawled_at"),
    ("schema_version", "1.0", "schema_version"),
    ("kind", "opinion", "kind"),
    ("documents", [{"number": "23-NQ/TW", "type": "NQ", "issuer": "TW"}], "documents"),
    ("documents", [{"number": "NQ", "type": "NQ", "issuer": "TW", "raw": "NQ"}], "documents"),
]


@pytest.mark.parametrize(("name", "value", "where"), BAD_CASES)
def test_invalid_values_are_reported(name: str, value: Any, where: str) -> None:
    item = good()
    item[name] = value
    found = validate(item)
    assert found, f"{name}={value!r} passed"
    assert {problem_field(p) for p in found} == {where}, found


def test_missing_and_unexpected_fields() -> None:
    item = good()
    del item["site"]
    item["surprise"] = 1
    assert sorted(validate(item)) == ["site: missing", "surprise: unexpected field"]


def test_working_fields_are_ignored() -> None:
    item = good()
    item["body_blocks"] = ["a"]
    item["date_candidates"] = [("x", "page")]
    assert validate(item) == []
    assert "body_blocks" not in export_view(item)


def test_integral_float_is_an_integer_as_in_json_schema() -> None:
    item = good()
    item["revision"] = 2.0
    assert validate(item) == []


def test_agrees_with_jsonschema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    reference = jsonschema.Draft202012Validator(SCHEMA)
    cases = [good(), *sample_items()]
    for name, value, _ in BAD_CASES:
        item = good()
        item[name] = value
        cases.append(item)
    for item in cases:
        ours = bool(validate(item))
        theirs = any(True for _ in reference.iter_errors(item))
        assert ours == theirs, (item, validate(item))
    manifest_ref = jsonschema.Draft202012Validator({**MANIFEST_SCHEMA, "$defs": SCHEMA["$defs"]})
    for m in ({"run_id": "r", "site": "s", "schema_version": "1.1", "errors": {"dns": 2}},
              {"run_id": "r", "site": "s", "schema_version": "x"}):
        assert bool(validate_manifest(m)) == any(True for _ in manifest_ref.iter_errors(m))


def test_unsupported_keywords_are_refused() -> None:
    with pytest.raises(SchemaError):
        compile_schema({"type": "string", "format": "uri", "oneOf": [{"type": "string"}]})
    with pytest.raises(SchemaError):
        compile_schema({"$ref": "https://example.org/schema.json"})


def test_reject_record_is_valid_and_carries_the_reasons() -> None:
    item = good()
    item["published_at"] = "hôm qua"
    problems = validate(item)
    record = reject_record(item, problems)
    assert record["problems"] == problems and record["url"] == item["url"]
    reject_check = compile_schema(SCHEMA["$defs"]["reject"], SCHEMA)
    out: list[str] = []
    reject_check(json.loads(json.dumps(record, ensure_ascii=False)), "", out)
    assert out == []


def test_validate_is_fast() -> None:
    items = sample_items() * 200
    start = time.perf_counter()
    for item in items:
        validate(item)
    per_item = (time.perf_counter() - start) / len(items)
    assert per_item < 500e-6, f"{per_item * 1e6:.0f} µs per item"
