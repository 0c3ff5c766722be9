"""Portal boilerplate lines and the markers that end an article body.

Why: CMS templates (NukeViet, mojoPortal, 3cms, DNN ...) put toolbars, counters,
share buttons, copyright footers and "related articles" lists inside or right
after the article container. We match *whole short lines* only (≤ 80 chars, after
NFC + casefold + space collapse + one tone convention, trailing ``:`` and counts
stripped): the same words inside a paragraph ("xem thêm", "chia sẻ", "in ra") are
ordinary Vietnamese and stay.
"""

from __future__ import annotations

import re

from vpcrawl.text.normalize import tone_key

__all__ = [
    "BOILERPLATE_PHRASES",
    "MAX_LINE",
    "STOP_PHRASES",
    "clean_blocks",
    "is_boilerplate_line",
    "is_stop_marker",
    "line_key",
]

MAX_LINE = 80

# Headings of the lists that follow an article: everything from here on is not body.
STOP_PHRASES: tuple[str, ...] = (
    "Các bài viết khác", "Bài viết khác", "Các bài khác", "Bài khác",
    "Tin liên quan", "Bài liên quan", "Tin bài liên quan", "Bài viết liên quan",
    "Các tin liên quan", "Các bài liên quan", "Tin tức liên quan", "Video liên quan",
    "Các tin khác", "Tin khác", "Các tin bài khác", "Tin bài khác",
    "Những tin mới hơn", "Những tin cũ hơn", "Những tin đã đăng", "Những bài viết khác",
    "Tin mới hơn", "Tin cũ hơn", "Tin đã đưa", "Các tin đã đưa", "Các tin, bài đã đưa",
    "Các tin đã đăng", "Các bài đã đăng", "Các tin mới", "Các tin cũ hơn",
    "Theo dòng sự kiện", "Tin cùng chuyên mục", "Bài cùng chuyên mục", "Cùng chuyên mục",
    "Tin cùng loại", "Có thể bạn quan tâm", "Ý kiến bạn đọc", "Ý kiến của bạn",
    "Bình luận mới", "Gửi bình luận", "Viết bình luận", "Gửi ý kiến", "Gửi ý kiến của bạn",
    "Tin nổi bật", "Bài viết này có hữu ích không",
)

# Widget and toolbar labels: dropped when they are (or start) a short line.
BOILERPLATE_PHRASES: tuple[str, ...] = (
    "Xem với cỡ chữ", "Cỡ chữ", "Giảm cỡ chữ", "Tăng cỡ chữ", "Cỡ chữ mặc định",
    "Tương phản", "In bài viết", "In bài viết này", "In bài này", "In trang", "In trang này",
    "In ra", "Bản in", "Phiên bản in", "Gửi bài viết", "Gửi bài viết qua email", "Gửi email",
    "Gửi cho bạn bè", "Gửi bài cho bạn bè", "Giới thiệu bài viết cho bạn bè",
    "Lưu bài viết này", "Lưu bài viết", "Lưu lại", "Chia sẻ", "Chia sẻ bài viết", "Chia sẻ bài",
    "Chia sẻ qua", "Chia sẻ lên", "Share", "Tweet", "Thích", "Like",
    "Xếp hạng bài viết", "Click để xếp hạng bài viết", "Điểm trung bình theo thang điểm 5 là",
    "Đánh giá bài viết", "Báo cáo nội dung lỗi", "Báo lỗi",
    "Về đầu trang", "Đầu trang", "Lên đầu trang", "Trở về đầu trang", "Quay lại đầu trang",
    "Quay lại", "Quay về", "Trở lại", "Trở về", "Trở về trang trước", "Về trang trước",
    "Quay lại trang trước", "Back", "Top",
    "Xem tiếp", "Xem tiếp...", "Xem thêm", "Đọc thêm", "Đọc tiếp", "Xem chi tiết",
    "Tags", "Tag", "Từ khóa", "Từ khoá", "Liên kết website", "Liên kết web", "Tìm theo ngày",
    "URL của bản tin này", "Đóng cửa sổ này", "Đóng cửa sổ", "[Quảng cáo]", "Quảng cáo",
    "Lượt xem", "Đã xem", "Số lượt xem", "Lượt truy cập", "Lượt đọc", "Số lần xem",
    "Bình luận", "Gửi phản hồi",
    "Tải về", "Tải xuống", "Tải file", "Tệp đính kèm", "File đính kèm", "Tài liệu đính kèm",
    "Bản quyền", "Copyright", "Email", "E-mail", "Facebook", "Twitter", "Zalo", "Print",
)

# A phrase that never starts a real sentence: any short line starting with it goes.
_STRONG_PREFIXES: tuple[str, ...] = (
    "Xem với cỡ chữ", "Giảm cỡ chữ", "Tăng cỡ chữ", "Cỡ chữ", "In bài viết",
    "Lưu bài viết này", "Gửi bài viết qua email", "Giới thiệu bài viết cho bạn bè",
    "Click để xếp hạng bài viết", "Điểm trung bình theo thang điểm 5 là", "Xếp hạng bài viết",
    "Đánh giá bài viết", "Báo cáo nội dung lỗi", "URL của bản tin này", "Đóng cửa sổ này",
    "[Quảng cáo]", "Về đầu trang", "Chia sẻ bài viết",
)

# Ordinary words as labels: a short line starting with one goes only when a separator
# follows ("Chia sẻ: Facebook", "Xem thêm: <title>", "Từ khóa: ..."), never a sentence.
_WEAK_PREFIXES: tuple[str, ...] = (
    "Chia sẻ", "Chia sẻ qua", "Chia sẻ lên", "Xem thêm", "Đọc thêm", "Xem tiếp", "Tags", "Tag",
    "Từ khóa", "In ra", "Tải về", "Tải xuống", "Tệp đính kèm", "File đính kèm",
    "Lượt xem", "Đã xem", "Số lượt xem", "Lượt truy cập", "Lượt đọc", "Bản quyền", "Copyright",
    "Liên kết website", "Tìm theo ngày", "Gửi bài viết", "Quay lại", "Trở về", "Về trang trước",
)

# Regular expressions on the casefolded NFC line (boilerplate.json, plus a few).
_LINE_PATTERNS = re.compile(
    "|".join((
        r"^(?:lượt xem|đã xem|số lượt xem|lượt truy cập|lượt đọc|số lần xem|lượt xem bài)\s*:?\s*[\d.,]+(?:\s*lần)?$",
        r"^[\d.,]+\s*(?:lượt xem|lượt đọc|lượt truy cập|lần xem)$",
        r"^bản quyền (?:thuộc|©|\(c\))",
        r"ghi rõ nguồn.*(?:phát hành lại|sử dụng thông tin|đăng tải lại|phát hành|trích dẫn)",
        r"^giấy phép (?:số|xuất bản|hoạt động)",
        r"^(?:©|\(c\)|copyright\b)",
        r"^trang chủ\s*(?:[»>/|›]|$)",
        r"^(?:tags?|từ khóa|từ khoá)\s*:",
        r"^(?:lượt xem:.*\|\s*)?(?:gửi lúc|đăng lúc|cập nhật lúc|cập nhật|ngày đăng|đăng ngày)\s*:?\s*\d",
        # font-size widget 'A a', 'A+ A-', 'A A A'
        r"^(?:a\s*[+-]?\s*){2,4}$",
        # share/print buttons alone
        r"^(?:(?:chia sẻ|share|facebook|twitter|zalo|google\+?|linkedin|email|e-mail|in|print|"
        r"tweet|like|thích|gửi|lưu|0)\s*[|:/,•·-]?\s*){2,}$",
    )),
)
# a toolbar: several short items separated by '|' or bullets
_TOOLBAR_SPLIT = re.compile(r"\s*[|•·]\s*")
# a bare date/time (what a toolbar leaves behind), kept only as a toolbar item
_DATE_ITEM = re.compile(
    r"^(?:(?:thứ (?:hai|ba|tư|năm|sáu|bảy)|chủ nhật|t[2-7]|cn),?\s*)?(?:ngày\s*)?"
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?:\s*[-,]?\s*(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:am|pm|sa|ch))?))*"
    r"(?:\s*\(?gmt\s*\+\s*7\)?)?$"
)
# trailing ':' , counts '(12)', '[3]', ': 7370', and leading bullets/arrows
_TRAIL_SEP_RE = re.compile(r"[\s:：»>›.…|-]+$")
_TRAIL_COUNT_RE = re.compile(r"(?:(?<=[\s:])\d[\d.,]*|[(\[]\s*\d[\d.,]*\s*[)\]])$")
_LEAD_RE = re.compile(r"^[\s»>›•·*+\-–—]+")
_SEPARATOR_START = frozenset(":|/(-–—»>›[,•·")


def _strip_key(key: str) -> str:
    key = _LEAD_RE.sub("", key)
    key = _TRAIL_SEP_RE.sub("", key)
    if key and key[-1] in "0123456789)]":
        key = _TRAIL_SEP_RE.sub("", _TRAIL_COUNT_RE.sub("", key))
    return key


def line_key(line: str) -> str:
    """Comparison form of a short line: tone_key with bullets, trailing ':' and counts stripped."""
    return _strip_key(tone_key(line))


_STOP_KEYS = frozenset(line_key(p) for p in STOP_PHRASES)
_DROP_KEYS = frozenset(line_key(p) for p in BOILERPLATE_PHRASES)
_STRONG_KEYS = tuple(sorted({line_key(p) for p in _STRONG_PREFIXES}, key=len, reverse=True))
_WEAK_KEYS = tuple(sorted({line_key(p) for p in _WEAK_PREFIXES}, key=len, reverse=True))


def _is_widget(key: str, low: str) -> bool:
    if key in _DROP_KEYS or _LINE_PATTERNS.search(low):
        return True
    for p in _STRONG_KEYS:
        if key.startswith(p):
            return True
    for p in _WEAK_KEYS:
        # "Chia sẻ: Facebook", "Xem thêm >>": the label then a separator, never a sentence
        if key.startswith(p) and len(key) > len(p) and (
            key[len(p)] in _SEPARATOR_START
            or (key[len(p)] == " " and len(key) > len(p) + 1 and key[len(p) + 1] in _SEPARATOR_START)
        ):
            return True
    return False


CONTENT, DROP, STOP = 0, 1, 2
_kind_cache: dict[str, int] = {}


def _kind(line: str) -> int:
    """CONTENT / DROP / STOP for one line (cached: a portal repeats its furniture on every page)."""
    if not line or len(line) > MAX_LINE:
        return CONTENT
    kind = _kind_cache.get(line)
    if kind is not None:
        return kind
    if len(_kind_cache) > 50_000:
        _kind_cache.clear()
    low = tone_key(line)  # the regexes spell both tone styles where it matters
    key = _strip_key(low)
    if key in _STOP_KEYS:
        kind = STOP
    elif not key:
        # only bullets / separators ('»', '|'): furniture; a bare number may be content
        kind = DROP if line.strip() and not any(c.isdigit() for c in line) else CONTENT
    elif _is_widget(key, low):
        kind = DROP
    else:
        kind = CONTENT
        items = [i for i in _TOOLBAR_SPLIT.split(low) if i] if _TOOLBAR_SPLIT.search(low) else []
        if len(items) >= 2:  # a toolbar: every item furniture (or the date it shows)
            widgets = 0
            for item in items:
                ikey = _strip_key(item)
                if not ikey or _DATE_ITEM.match(item):
                    continue
                if not _is_widget(ikey, item):
                    widgets = -1
                    break
                widgets += 1
            if widgets > 0:
                kind = DROP
    _kind_cache[line] = kind
    return kind


def is_stop_marker(line: str) -> bool:
    """True for a heading that starts the related-articles lists (``CÁC BÀI VIẾT KHÁC:``)."""
    return _kind(line) == STOP


def is_boilerplate_line(line: str) -> bool:
    """True for a whole short line of portal furniture (toolbar, counter, share, copyright).

    Never true for a line longer than 80 characters, so phrases inside a paragraph stay.
    """
    return _kind(line) == DROP


def clean_blocks(blocks: list[str], dropped: list[str] | None = None) -> list[str]:
    """Drop boilerplate and empty lines, cut everything from the first stop marker on.

    Blocks may hold several lines (``<br>``): each line is judged on its own, and a
    block keeps its remaining lines. ``dropped`` (optional) collects the removed lines
    so the caller can still read a date off a toolbar line.
    """
    out: list[str] = []
    for block in blocks:
        if not block:
            continue
        kept: list[str] = []
        stop = False
        for raw in block.split("\n"):
            line = raw.strip()
            if not line:
                continue
            kind = _kind(line) if len(line) <= MAX_LINE else CONTENT
            if kind == CONTENT:
                kept.append(line)
                continue
            if dropped is not None:
                dropped.append(line)
            if kind == STOP:
                stop = True
                break
        if kept:
            out.append("\n".join(kept))
        if stop:
            break
    return out
