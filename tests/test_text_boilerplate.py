"""vpcrawl.text.boilerplate against the shared phrase list and a real article's blocks."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from vpcrawl.text.boilerplate import clean_blocks, is_boilerplate_line, is_stop_marker
from vpcrawl.text.byline import split_byline
from vpcrawl.text.normalize import clean_text

DATA = Path(__file__).resolve().parent / "data" / "text"
ENTRIES: list[dict[str, Any]] = json.loads((DATA / "boilerplate.json").read_text(encoding="utf-8"))["entries"]
SEED: str = json.loads((DATA / "seed_haiduong_vptu.json").read_text(encoding="utf-8"))["text"]

# Lines the regex entries of boilerplate.json are about (the phrase itself is a pattern).
REGEX_SAMPLES: dict[str, list[str]] = {
    r"^(?:lượt xem|đã xem|số lượt xem|lượt truy cập)\s*:?\s*[\d.,]+$":
        ["Lượt xem: 7370", "Đã xem: 254", "Số lượt xem 1.234", "LƯỢT TRUY CẬP: 12,345"],
    r"^[\d.,]+\s*lượt xem$": ["24114 Lượt xem", "1.024 lượt xem"],
    r"^bản quyền (?:thuộc|©)": ["Bản quyền thuộc Tỉnh ủy Hải Dương", "Bản quyền © 2021 Ban Tuyên giáo"],
    r"ghi rõ nguồn.*(?:phát hành lại|sử dụng thông tin)": [
        "Ghi rõ nguồn gốc khi phát hành lại thông tin trên website này",
        "Đề nghị ghi rõ nguồn khi sử dụng thông tin trang này",
    ],
    r"^giấy phép (?:số|xuất bản)": ["Giấy phép số 12/GP-TTĐT ngày 10/3/2015", "Giấy phép xuất bản số 45"],
    r"^(?:©|copyright)\b": ["© 2021 Tỉnh ủy Hải Dương", "Copyright 2020 by VPTU", "©Cổng TTĐT"],
    r"^trang chủ\s*(?:[»>/|]|\s{2,})": ["Trang chủ » Tin tức", "Trang chủ > Hoạt động", "Trang chủ / Tin"],
    r"^(?:tags?|từ khóa|từ khoá)\s*:": ["Tags: Covid-19, Hải Dương", "Từ khóa: đại hội", "Từ khoá: văn phòng"],
    r"^(?:lượt xem:.*\|\s*)?(?:gửi lúc|đăng lúc|cập nhật)\s*:?\s*\d": [
        "Lượt xem: 7370 | Gửi lúc: 14:21 13/01/2021",
        "Cập nhật: 13/01/2021 14:21",
        "Đăng lúc 08:30",
    ],
}
# an ordinary paragraph that happens to contain the phrase, short and long
SHORT_CONTEXT = "Tỉnh đã {} nhiều nội dung mới"
LONG_CONTEXT = ("Đồng chí nhấn mạnh: {} là nội dung được nhiều đại biểu quan tâm, thảo luận sôi nổi "
                "tại hội nghị tổng kết công tác năm 2020 của Văn phòng Tỉnh uỷ.")


def _is_stop(entry: dict[str, Any]) -> bool:
    return entry["action"].startswith("stop")


def _is_regex(entry: dict[str, Any]) -> bool:
    return entry["match"].startswith("regex")


def _samples(entry: dict[str, Any]) -> list[str]:
    if _is_regex(entry):
        return REGEX_SAMPLES[entry["phrase"]]
    p = entry["phrase"]
    return [p, p.upper(), p + ":", f"  {p} ", f"» {p}"]


def _words(entry: dict[str, Any]) -> str:
    """The plain words of an entry (a regex entry: its first sample)."""
    return _samples(entry)[0]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["phrase"][:30])
def test_phrase_alone_matches_with_its_action(entry: dict[str, Any]) -> None:
    for line in _samples(entry):
        if _is_stop(entry):
            assert is_stop_marker(line), line
            assert not is_boilerplate_line(line), line
        else:
            assert is_boilerplate_line(line), line
            assert not is_stop_marker(line), line


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["phrase"][:30])
def test_phrase_inside_sentence_is_kept(entry: dict[str, Any]) -> None:
    words = _words(entry)
    for sentence in (SHORT_CONTEXT.format(words[0].lower() + words[1:]), LONG_CONTEXT.format(words)):
        assert not is_boilerplate_line(sentence), sentence
        assert not is_stop_marker(sentence), sentence
        assert clean_blocks(["Đoạn đầu.", sentence, "Đoạn cuối."]) == ["Đoạn đầu.", sentence, "Đoạn cuối."]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if _is_stop(e)], ids=lambda e: e["phrase"])
def test_stop_marker_truncates(entry: dict[str, Any]) -> None:
    blocks = ["Đoạn một.", "Đoạn hai.", entry["phrase"] + ":", "Tiêu đề bài khác", "Một bài khác nữa"]
    assert clean_blocks(blocks) == ["Đoạn một.", "Đoạn hai."]


@pytest.mark.parametrize(
    "line",
    ["CÁC BÀI VIẾT KHÁC:", "Tin liên quan", "Bài liên quan:", "Các tin khác", "Những tin mới hơn",
     "Những tin cũ hơn:", "Theo dòng sự kiện", "Tin cùng chuyên mục", "Bài viết khác", "Tin bài liên quan",
     "TIN LIÊN QUAN (5)", "» Các tin khác ..."],
)
def test_brief_stop_markers(line: str) -> None:
    assert is_stop_marker(line)


@pytest.mark.parametrize(
    "line",
    ["Lượt xem: 7370", "Đã xem: 254", "Xem với cỡ chữ", "Xem với cỡ chữ : A a", "In ra", "Lưu bài viết này",
     "A a", "A+ A-", "Quay lại", "In bài viết", "Bản quyền thuộc Văn phòng Tỉnh ủy",
     "Giấy phép số 45/GP-TTĐT", "Chia sẻ: Facebook | Zalo", "Facebook Twitter Zalo",
     "In ra | Lưu bài viết này | Gửi bài viết qua email", "Thứ Tư 13/01/2021 14:21 | In bài viết",
     "Xem thêm >>", "Bình luận (0)", "»", "|"],
)
def test_brief_boilerplate_lines(line: str) -> None:
    assert is_boilerplate_line(line)
    assert not is_stop_marker(line)


@pytest.mark.parametrize(
    "line",
    ["Chia sẻ kinh nghiệm với các đồng chí cơ sở", "Xem thêm các quy định tại Điều 5", "In ra 500 bản tài liệu",
     "Quay lại với vấn đề cán bộ", "Tin liên quan đến công tác cán bộ được đăng tải", "Thứ Tư 13/01/2021 14:21",
     "Năm 2021", "2021", "Đ/c Nguyễn Viết Hải, TUV, Chánh Văn phòng Tỉnh uỷ chủ trì điểm cầu tại Hải Dương",
     "Đánh giá kết quả công tác", "Lượt xem của người dân tăng mạnh", "Trang chủ của Đảng bộ tỉnh", ""],
)
def test_ordinary_lines_are_kept(line: str) -> None:
    assert not is_boilerplate_line(line)
    assert not is_stop_marker(line)


def test_long_line_never_matches() -> None:
    line = "Lượt xem: 7370 " + "x" * 80
    assert not is_boilerplate_line(line)
    assert not is_stop_marker("Tin liên quan " + "x" * 80)


def test_multiline_blocks_and_dropped() -> None:
    dropped: list[str] = []
    blocks = ["Xem với cỡ chữ\nĐoạn mở đầu.", "", "  ", "Đoạn hai.\nIn ra | Lưu bài viết này",
              "Tin cuối.\nTin liên quan:\nBài khác", "Bài khác nữa"]
    assert clean_blocks(blocks, dropped) == ["Đoạn mở đầu.", "Đoạn hai.", "Tin cuối."]
    assert dropped == ["Xem với cỡ chữ", "In ra | Lưu bài viết này", "Tin liên quan:"]


def _seed_blocks() -> list[str]:
    return [clean_text(b) for b in re.split(r"\n\s*\n", SEED)]


def test_seed_article_body_and_byline() -> None:
    body, byline = split_byline(clean_blocks(_seed_blocks()))
    assert body[-1].startswith("Năm 2021, nguy cơ lây nhiễm dịch bệnh Covid-19")
    assert not any("Xem với cỡ chữ" in b for b in body)
    assert not any("CÁC BÀI VIẾT KHÁC" in b for b in body)
    assert body[3].startswith("Sáng ngày 13/01/2021")  # the widget line left its block
    assert byline is not None
    assert (byline.authors, byline.source, byline.raw) == (["Đình Bộ"], "VPTU", "Đình Bộ- VPTU")
    assert byline.author == "Đình Bộ"


def test_clean_blocks_speed() -> None:
    blocks = _seed_blocks()
    clean_blocks(blocks)
    t = time.perf_counter()
    for _ in range(200):
        clean_blocks(blocks)
    assert (time.perf_counter() - t) / 200 < 0.005


def test_bad_input_is_quick() -> None:
    t = time.perf_counter()
    big = "Xem với cỡ chữ " * 400_000
    assert clean_blocks([big, "\x00\ufffd", "Tin liên quan", big]) == [big.strip(), "\x00\ufffd"]
    assert not is_boilerplate_line(big) and not is_stop_marker(big)
    assert time.perf_counter() - t < 5
