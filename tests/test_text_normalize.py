"""vpcrawl.text.normalize against the shared normalization vectors (a_nfc, b_tone, d_*)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from vpcrawl.text.normalize import clean_text, fold_punct, restyle_tones, syllable_parts, tone_key

DATA = Path(__file__).resolve().parent / "data" / "text"
CASES: list[dict[str, Any]] = json.loads((DATA / "text_cases.json").read_text(encoding="utf-8"))["cases"]


def _group(*names: str) -> list[dict[str, Any]]:
    cases = [c for c in CASES if c["group"] in names]
    assert cases, names
    return cases


def _id(case: dict[str, Any]) -> str:
    return f"{case['group']}:{case['input'][:24]!a}"


@pytest.mark.parametrize("case", _group("a_nfc", "d_space", "d_entity"), ids=_id)
def test_clean_text_vectors(case: dict[str, Any]) -> None:
    out = clean_text(case["input"])
    assert out == case["expected"], case["rule"]
    assert clean_text(out) == out  # idempotent


@pytest.mark.parametrize("case", _group("d_quote"), ids=_id)
def test_quotes_kept_in_display_folded_in_key(case: dict[str, Any]) -> None:
    display = clean_text(case["input"])
    assert display == case["input"]  # curly quotes, dashes, '…' kept as published
    assert fold_punct(display) == case["expected"]
    assert tone_key(case["input"]) == tone_key(case["expected"])


@pytest.mark.parametrize("case", _group("b_tone"), ids=_id)
def test_restyle_old(case: dict[str, Any]) -> None:
    assert restyle_tones(case["input"], "old") == case["expected"], case["rule"]


@pytest.mark.parametrize("case", _group("b_tone"), ids=_id)
def test_restyle_new(case: dict[str, Any]) -> None:
    assert restyle_tones(case["input"], "new") == case["expected_new_style"], case["rule"]


@pytest.mark.parametrize("case", _group("b_tone"), ids=_id)
def test_restyle_keep_and_key(case: dict[str, Any]) -> None:
    assert restyle_tones(case["input"], "keep") == case["input"]
    key = tone_key(case["input"])
    assert key == tone_key(case["expected"]) == tone_key(case["expected_new_style"])


@pytest.mark.parametrize(
    ("a", "b"),
    [("hòa", "hoà"), ("ủy", "uỷ"), ("khỏe", "khoẻ"), ("thủy", "thuỷ"), ("Hòa Bình", "HOÀ  BÌNH"),
     ("Tỉnh ủy Hải Dương", "TỈNH UỶ HẢI DƯƠNG"), ("“Đảng ta”", '"đảng ta"'), ("Việt Nam", "Việt Nam")],
)
def test_tone_key_equivalences(a: str, b: str) -> None:
    assert tone_key(a) == tone_key(b)


def test_tone_key_keeps_distinct_words_distinct() -> None:
    assert tone_key("hòa") != tone_key("hóa")
    assert tone_key("thủy") != tone_key("thùy")
    assert tone_key("Đảng") != tone_key("Dang")


def test_restyle_preserves_case_and_foreign_words() -> None:
    assert restyle_tones("HÒA BÌNH, Thủy, THỦY", "new") == "HOÀ BÌNH, Thuỷ, THUỶ"
    for word in ("Pérez", "café", "José", "Müller", "iPhone", "São", "COVID-19"):
        assert restyle_tones(word, "new") == word
        assert restyle_tones(word, "old") == word


def test_restyle_rejects_unknown_style() -> None:
    with pytest.raises(ValueError):
        restyle_tones("hoà", "modern")


def test_restyle_normalizes_nfd_input() -> None:
    assert restyle_tones("Hoa\u0300 Bi\u0300nh", "old") == "Hòa Bình"


def test_clean_text_lines_and_spaces() -> None:
    raw = "  Dòng một \u00a0 \r\n\tDòng\u2003hai  \n\n\n\nDòng ba\u200b\u2060 \n"
    assert clean_text(raw) == "Dòng một\nDòng hai\n\nDòng ba"


def test_clean_text_entities_only_complete_references() -> None:
    assert clean_text("a=1&para=2&copy=3") == "a=1&para=2&copy=3"
    assert clean_text("R&D; Q&A") == "R&D; Q&A"
    assert clean_text("&amp;amp;") == "&"  # two passes, not three
    assert clean_text("&lt;b&gt;") == "<b>"


def test_clean_text_keeps_non_latin_marks_and_symbols() -> None:
    assert clean_text("m² 25°C ½ «x»") == "m² 25°C ½ «x»"
    assert clean_text("Zürich") == "Zürich"
    assert clean_text("") == ""


def test_clean_text_drops_controls() -> None:
    assert clean_text("a\x00b\x07c\x85d\x9fe") == "abc\nde"


def test_nfc_after_dropping_invisibles() -> None:
    # a soft hyphen or stray mark between a base letter and its tone must not block NFC
    assert clean_text("e\u00ad\u0301 Vie\u0323\u200b\u0302t Thu\u0309\u033cy") == "é Việt Thủy"


def test_syllable_parts() -> None:
    assert syllable_parts("người") == ("ng", "ươi", "", 2)
    assert syllable_parts("quý") == ("qu", "y", "", 1)
    assert syllable_parts("giữ") == ("gi", "ư", "", 4)
    assert syllable_parts("gìn") == ("g", "i", "n", 2)
    assert syllable_parts("khuỷu") == ("kh", "uyu", "", 3)
    for bad in ("ñaûng", "viöt", "street", "hòà", "§¶ng"):
        assert syllable_parts(bad) is None


def test_big_input_is_fast() -> None:
    big = ("Văn phòng Tỉnh uỷ, “hoà bình”\u00a0&amp;agrave; " * 120_000)[:5_000_000]
    t = time.perf_counter()
    out = clean_text(big)
    key = tone_key(big)
    assert time.perf_counter() - t < 10
    assert out.startswith("Văn phòng Tỉnh uỷ")
    assert key.startswith("văn phòng tỉnh uỷ")
