"""vpcrawl.text.byline against the shared bylines/datelines and the project conventions."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from vpcrawl.text.byline import Byline, parse_byline, split_byline, split_dateline

DATA = Path(__file__).resolve().parent / "data" / "text"
VECTORS: dict[str, Any] = json.loads((DATA / "bylines.json").read_text(encoding="utf-8"))


def _expected_source(parsed: dict[str, Any]) -> str | None:
    if parsed.get("unit"):
        return str(parsed["unit"])
    if parsed.get("cited_source"):
        return "/".join(parsed["cited_source"])
    return None


@pytest.mark.parametrize("case", VECTORS["bylines"], ids=lambda c: c["input"])
def test_byline_vectors(case: dict[str, Any]) -> None:
    got = parse_byline(case["input"])
    parsed = case["parsed"]
    if parsed is None:
        assert got is None
        return
    assert got is not None
    assert got.authors == parsed["authors"]
    assert got.source == _expected_source(parsed)
    assert got.raw == parsed["raw"]


@pytest.mark.parametrize("case", VECTORS["datelines"], ids=lambda c: c["input"][:20])
def test_dateline_vectors(case: dict[str, Any]) -> None:
    rest, source = split_dateline(case["input"])
    assert source == case["dateline_source"]
    if source is None:
        assert rest == case["input"]
    else:
        assert source not in rest and rest[0].isupper()


@pytest.mark.parametrize(
    ("line", "authors", "source"),
    [
        ("Đình Bộ- VPTU", ["Đình Bộ"], "VPTU"),
        ("Thu Hà (TH)", ["Thu Hà"], "TH"),
        ("PV", [], None),
        ("CTV", [], None),
        ("BTV", [], None),
        ("Theo dangcongsan.vn", [], "dangcongsan.vn"),
        ("Nguồn: dangcongsan.vn", [], "dangcongsan.vn"),
        ("Tin, ảnh: KHÁNH TRUNG", ["Khánh Trung"], None),
        ("Tin bài, ảnh: Việt Anh, Minh Quang", ["Việt Anh", "Minh Quang"], None),
        ("ThS LÊ VĂN CƯỜNG", ["Lê Văn Cường"], None),
        ("Theo TTXVN/Vietnam+", [], "TTXVN/Vietnam+"),
        ("Nguồn: Báo Nhân Dân, TTXVN", [], "Báo Nhân Dân/TTXVN"),
        ("Tác giả: Nguyễn Văn An", ["Nguyễn Văn An"], None),
        ("Nguồn tin: Báo Hải Dương", [], "Báo Hải Dương"),
        ("Tác giả: Ban Tuyên giáo Tỉnh ủy", [], "Ban Tuyên giáo Tỉnh ủy"),
        ("Đại tá NGUYỄN VĂN AN", ["Nguyễn Văn An"], None),
        ("Nhà báo Thu Hà", ["Thu Hà"], None),
        ("PGS, TS Trần Văn Bình", ["Trần Văn Bình"], None),
        ("Thu Hà - PV", ["Thu Hà"], None),
        ("Quang Minh (tổng hợp)", ["Quang Minh"], "TH"),
        ("Tuấn Anh (theo TTXVN)", ["Tuấn Anh"], "TTXVN"),
        ("Minh Anh và Thu Hà", ["Minh Anh", "Thu Hà"], None),
        ("TTXVN", [], "TTXVN"),
        ("(TH)", [], "TH"),
        ("Nhóm PV", [], None),
    ],
)
def test_conventions(line: str, authors: list[str], source: str | None) -> None:
    got = parse_byline(line)
    assert got == Byline(authors, source, line)
    assert got.author == (", ".join(authors) or None)


@pytest.mark.parametrize(
    "line",
    ["Theo đó, tỉnh sẽ triển khai kế hoạch", "Theo kế hoạch", "Hà Nội, ngày 13/01/2021", "Ảnh minh họa",
     "Xem với cỡ chữ", "CÁC BÀI VIẾT KHÁC:", "Năm 2021", "BÍ THƯ",
     "Đ/c Nguyễn Viết Hải, TUV, Chánh Văn phòng Tỉnh uỷ chủ trì điểm cầu tại Hải Dương",
     "Hội nghị kết thúc.", "Các đồng chí lãnh đạo dự hội nghị", "", "   ", "x" * 500, "Tin, ảnh: " + "a" * 200],
)
def test_not_bylines(line: str) -> None:
    assert parse_byline(line) is None


LONG = "Năm 2021, nguy cơ lây nhiễm dịch bệnh Covid-19 còn rất cao ở trong nước, đề nghị văn phòng tham mưu."


def test_split_byline_last_block() -> None:
    body, b = split_byline(["Mở đầu dài " + LONG, LONG, "Đình Bộ- VPTU"])
    assert body == ["Mở đầu dài " + LONG, LONG]
    assert b == Byline(["Đình Bộ"], "VPTU", "Đình Bộ- VPTU")


def test_split_byline_bare_name_only_last() -> None:
    body, b = split_byline([LONG, "Việt Nam", "Ảnh minh họa"])
    assert b is None and body == [LONG, "Việt Nam", "Ảnh minh họa"]
    body, b = split_byline([LONG, "Tố Tuấn"])
    assert body == [LONG] and b is not None and b.authors == ["Tố Tuấn"]


def test_split_byline_marked_byline_not_last() -> None:
    body, b = split_byline([LONG, "Thu Hà (TH)", "Ảnh minh họa"])
    assert body == [LONG, "Ảnh minh họa"]
    assert b is not None and b.authors == ["Thu Hà"] and b.source == "TH"


def test_split_byline_merges_lines_and_stops_at_long_block() -> None:
    body, b = split_byline([LONG, "Tác giả: Nguyễn Văn An\nNguồn tin: Báo Hải Dương"])
    assert body == [LONG]
    assert b == Byline(["Nguyễn Văn An"], "Báo Hải Dương", "Tác giả: Nguyễn Văn An\nNguồn tin: Báo Hải Dương")
    body, b = split_byline(["PV", LONG, "Một câu ngắn."])
    assert b is None and body == ["PV", LONG, "Một câu ngắn."]


def test_split_byline_trailing_line_of_a_paragraph() -> None:
    body, b = split_byline([LONG, LONG + "\nPV"])
    assert body == [LONG, LONG] and b == Byline([], None, "PV")


def test_split_byline_nothing() -> None:
    assert split_byline([]) == ([], None)
    assert split_byline([LONG]) == ([LONG], None)
    blocks = [LONG, LONG]
    out, b = split_byline(blocks)
    assert out == blocks and out is not blocks and b is None


@pytest.mark.parametrize(
    ("lead", "rest", "source"),
    [
        ("(ĐCSVN) - Ngày truyền thống", "Ngày truyền thống", "ĐCSVN"),
        ("(TUHD)- Sáng nay", "Sáng nay", "TUHD"),
        ("HÀ NỘI (TTXVN) – Chiều 13/1", "Chiều 13/1", "TTXVN"),
        ("TTXVN - Sáng nay", "Sáng nay", "TTXVN"),
        ("(BBNĐT) Ngày 10 và 11-2", "(BBNĐT) Ngày 10 và 11-2", None),
        ("COVID - 19 tiếp tục lan rộng", "COVID - 19 tiếp tục lan rộng", None),
        ("Hội nghị (mở rộng) - lần thứ hai", "Hội nghị (mở rộng) - lần thứ hai", None),
        ("Sáng 13/1, hội nghị diễn ra", "Sáng 13/1, hội nghị diễn ra", None),
        ("", "", None),
    ],
)
def test_split_dateline(lead: str, rest: str, source: str | None) -> None:
    assert split_dateline(lead) == (rest, source)


def test_bad_input_is_quick() -> None:
    big = "Đình Bộ " * 700_000
    t = time.perf_counter()
    assert parse_byline(big) is None
    assert split_byline([big, big + "\nPV"])[1] == Byline([], None, "PV")
    assert split_dateline("A" * 5_000_000)[1] is None
    assert split_dateline("(" * 1_000_000 + ") - X")[1] is None
    assert parse_byline("\x00\ufffd\u0301" * 50) is None
    assert time.perf_counter() - t < 5
