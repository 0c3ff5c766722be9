"""vpcrawl.text.legacy: legacy font encodings (c_* vectors), no false positives, HTML bytes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from vpcrawl.text import legacy
from vpcrawl.text.legacy import decode_html_bytes, detect_and_convert, font_hint_encoding

DATA = Path(__file__).resolve().parent / "data" / "text"
CASES: list[dict[str, Any]] = json.loads((DATA / "text_cases.json").read_text(encoding="utf-8"))["cases"]
SEED: str = json.loads((DATA / "seed_haiduong_vptu.json").read_text(encoding="utf-8"))["text"]

ENCODING_OF_GROUP = {
    "c_tcvn3": "tcvn3",
    "c_vni": "vni",
    "c_viqr": "viqr",
    "c_viscii": "viscii",
    "c_utf8_mojibake": "utf-8-mojibake",
}


def _group(name: str) -> list[dict[str, Any]]:
    cases = [c for c in CASES if c["group"] == name]
    assert cases, name
    return cases


def _id(case: dict[str, Any]) -> str:
    return f"{case['group']}:{case['input'][:24]!a}"


def _legacy_input(case: dict[str, Any]) -> str:
    # VISCII vectors are bytes: a page declared iso-8859-1 shows them as latin-1 text
    return bytes.fromhex(case["input"]).decode("latin-1") if case.get("input_is_hex") else case["input"]


@pytest.mark.parametrize(
    "case", [c for g in ENCODING_OF_GROUP for c in _group(g)], ids=_id
)
def test_legacy_vectors_detected(case: dict[str, Any]) -> None:
    text, enc = detect_and_convert(_legacy_input(case))
    assert text == case["expected"], case["rule"]
    assert enc == ENCODING_OF_GROUP[case["group"]]


@pytest.mark.parametrize(
    "case", [c for g in ("c_tcvn3", "c_vni") for c in _group(g)], ids=_id
)
def test_legacy_vectors_with_font_hint(case: dict[str, Any]) -> None:
    hint = "font-family: .VnTime, Times" if case["group"] == "c_tcvn3" else "VNI-Times"
    assert detect_and_convert(case["input"], hint) == (case["expected"], ENCODING_OF_GROUP[case["group"]])


@pytest.mark.parametrize("case", _group("c_cp1258"), ids=_id)
@pytest.mark.parametrize("declared", ["windows-1258", "WINDOWS-1258", "cp1258", None])
def test_cp1258_bytes(case: dict[str, Any], declared: str | None) -> None:
    text, enc = decode_html_bytes(bytes.fromhex(case["input"]), declared)
    assert text == case["expected"]
    assert enc == "windows-1258"


@pytest.mark.parametrize("case", _group("c_viscii"), ids=_id)
def test_viscii_declared_charset(case: dict[str, Any]) -> None:
    assert decode_html_bytes(bytes.fromhex(case["input"]), "VISCII") == (case["expected"], "viscii")


# ------------------------------------------------------------------ round trips
# Encoders built from the decoder tables, to run a whole real article through.


def _enc_tcvn3(s: str) -> str:
    table = {u: bytes([0xA0 + i]).decode("cp1252") for i, u in enumerate(legacy._TCVN3_HIGH) if u != "\x00"}
    return s.translate(str.maketrans(table))


def _enc_viscii(s: str) -> str:
    return s.translate(str.maketrans({u: chr(0x80 + i) for i, u in enumerate(legacy._VISCII_HIGH)}))


def _enc_vni(s: str) -> str:
    inv = {u: k for k, u in legacy._VNI_PAIRS.items()}
    inv.update({u: k for k, u in legacy._VNI_SINGLE.items()})
    return "".join(inv.get(c, c) for c in s)


def _enc_mojibake(s: str) -> str:
    return s.encode("utf-8").decode("cp1252", "vpcrawl-c1")


ASCII_QUOTES = SEED.replace("“", '"').replace("”", '"')  # VISCII has no room for curly quotes


@pytest.mark.parametrize(
    ("name", "encode", "source"),
    [
        ("tcvn3", _enc_tcvn3, SEED.lower()),  # ABC has no toned capitals (they need .VnTimeH)
        ("vni", _enc_vni, SEED),
        ("viscii", _enc_viscii, ASCII_QUOTES),
        ("utf-8-mojibake", _enc_mojibake, SEED),
    ],
)
def test_whole_article_round_trip(name: str, encode: Any, source: str) -> None:
    garbled = encode(source)
    assert garbled != source
    assert detect_and_convert(garbled) == (source, name)


def test_vntimeh_hint_uppercases() -> None:
    assert detect_and_convert("§¶ng Céng s¶n ViÖt Nam", ".VnTimeH") == ("ĐẢNG CỘNG SẢN VIỆT NAM", "tcvn3")
    assert font_hint_encoding(".VnTimeH, .VnArialH") == ("tcvn3", True)
    assert font_hint_encoding(".VnTime, .VnTimeH") == ("tcvn3", False)
    assert font_hint_encoding("VNI-Helve") == ("vni", False)
    assert font_hint_encoding("Times New Roman, Arial") == (None, False)
    assert font_hint_encoding(None) == (None, False)


def test_partial_mojibake_is_repaired() -> None:
    text = "Tin tức: " + _enc_mojibake("Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5")
    assert detect_and_convert(text) == ("Tin tức: Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 5", "utf-8-mojibake")


# ------------------------------------------------------------------ no false positives

NOT_LEGACY = [
    SEED,
    SEED.upper(),
    "Plain ASCII text about the Party Congress, 2021.",
    "Hello world. Go. I'm here, it's fine? Yes. C++ and a+b=c, e^x, (a) and (b).",
    "The café in Zürich served crème brûlée; señor Peña and Müller paid €12 — “great”.",
    "Nhiệt độ 25°C, diện tích 30 m², © 2021 Tỉnh ủy Hải Dương. ½ số đại biểu ± 2%.",
    "Đồng chí Nguyễn Văn Thạch phát biểu tại hội nghị “vừa chống dịch, vừa phát triển kinh tế”…",
    "HỘI NGHỊ BAN CHẤP HÀNH ĐẢNG BỘ TỈNH LẦN THỨ 5",
    "Café Ðà Lạt",
    "Ðảng bộ tỉnh",
    "",
    " ",
    "2021",
]


@pytest.mark.parametrize("text", NOT_LEGACY, ids=lambda t: repr(t[:30]))
@pytest.mark.parametrize("hint", [None, ".VnTime", "VNI-Times", "Times New Roman"])
def test_unicode_and_english_untouched(text: str, hint: str | None) -> None:
    assert detect_and_convert(text, hint) == (text, None)


def test_bad_input_is_quick() -> None:
    junk = bytes(range(256)).decode("latin-1") * 20_000  # 5 MB of every latin-1 character
    big = (SEED + "\n") * 1700
    t = time.perf_counter()
    for s in (junk, big, "\x00" * 100_000, "§" * 1_000_000):
        text, _enc = detect_and_convert(s)
        assert isinstance(text, str)
    assert time.perf_counter() - t < 15


# ------------------------------------------------------------------ HTML bytes

UTF8 = "Đảng Cộng sản Việt Nam – “Hà Nội”".encode()


@pytest.mark.parametrize("declared", ["utf-8", "UTF8", None, "iso-8859-1", "windows-1258", "windows-1252", "bogus"])
def test_utf8_bytes_whatever_the_label(declared: str | None) -> None:
    assert decode_html_bytes(UTF8, declared) == ("Đảng Cộng sản Việt Nam – “Hà Nội”", "utf-8")


def test_bom_wins() -> None:
    assert decode_html_bytes(b"\xef\xbb\xbf" + UTF8, "windows-1258")[0].startswith("Đảng")
    assert decode_html_bytes("Việt".encode("utf-16"), None) == ("Việt", "utf-16")


def test_ascii_and_empty() -> None:
    assert decode_html_bytes(b"", None) == ("", "utf-8")
    assert decode_html_bytes(b"<p>ok</p>", "windows-1258") == ("<p>ok</p>", "windows-1258")


def test_cp1252_page() -> None:
    body = "Café – “crème”".encode("cp1252")
    assert decode_html_bytes(body, "iso-8859-1") == ("Café – “crème”", "windows-1252")
    assert decode_html_bytes(body, None) == ("Café – “crème”", "windows-1252")


def test_single_byte_page_declared_utf8() -> None:
    body = bytes.fromhex("5669eaf274204e616d")  # 'Việt Nam' in windows-1258 (combining dot)
    text, enc = decode_html_bytes(body, "utf-8")
    assert (text, enc) == ("Việt Nam", "windows-1258")


def test_utf8_with_a_few_broken_bytes_keeps_utf8() -> None:
    text, enc = decode_html_bytes(UTF8 + b" \xff\xfe rest", "utf-8")
    assert enc == "utf-8" and text.startswith("Đảng") and "\ufffd" in text


def test_tcvn3_declared_charset() -> None:
    body = "§¶ng Céng s¶n ViÖt Nam".encode("cp1252")
    assert decode_html_bytes(body, "TCVN3") == ("Đảng Cộng sản Việt Nam", "tcvn3")


def test_garbage_bytes_never_raise() -> None:
    rnd = os.urandom(1 << 20)
    for declared in (None, "utf-8", "windows-1258", "x-nonsense", "utf-16", "shift_jis", "\x00"):
        text, enc = decode_html_bytes(rnd, declared)
        assert isinstance(text, str) and isinstance(enc, str)


@pytest.mark.skipif(shutil.which("iconv") is None, reason="glibc iconv not installed")
@pytest.mark.parametrize(("charset", "table", "first"), [("TCVN5712-1", "_TCVN3_HIGH", 0xA0),
                                                          ("VISCII", "_VISCII_HIGH", 0x80)])
def test_tables_match_glibc_iconv(charset: str, table: str, first: int) -> None:
    if subprocess.run(["iconv", "-l"], capture_output=True, text=True).stdout.find(charset) < 0:
        pytest.skip(f"iconv lacks {charset}")
    high: str = getattr(legacy, table)
    raw = bytes(range(first, 0x100))
    out = subprocess.run(["iconv", "-f", charset, "-t", "UTF-32LE"], input=b"".join(bytes([b, 0x20]) for b in raw),
                         capture_output=True, check=True).stdout.decode("utf-32-le").split(" ")
    for i, u in enumerate(high):
        if u != "\x00":
            assert out[i] == u, hex(first + i)
