"""Party documents: official document numbers (số hiệu) in text, and news vs document pages.

A Party document number is `<serial>-<TYPE>/<ISSUER>` (Quy định 66-QĐ/TW on Party document
formats): `23-NQ/TW` (a resolution of the Central Committee), `05-CT/TU` (a directive of a
provincial committee), `08-QĐi/TW` (a regulation: `QĐi`, not `QĐ` = decision), `12-HD/BTGTW`.
The type abbreviation comes from a closed list and must be written in capitals; the issuer is
an upper-case abbreviation. That shape never occurs in dates (`19/11/2021`), scores (`3-2`),
state documents (`13/2023/NĐ-CP`) or URL slugs (`23-nq-tw`), so there are no false positives
from those.

    find_documents(text) -> [{"number", "type", "issuer", "raw", "date"}]
    documents_of(item)   -> the same over title, summary, body and attachment titles
    classify(item)       -> "document" | "news"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

__all__ = ["DOCUMENT_TYPES", "ISSUERS", "classify", "documents_of", "find_documents"]

# Abbreviation -> Vietnamese name (Quy định 66-QĐ/TW and common practice).
DOCUMENT_TYPES: dict[str, str] = {
    "NQLT": "Nghị quyết liên tịch",
    "NQ": "Nghị quyết",
    "CT": "Chỉ thị",
    "CTr": "Chương trình",
    "KL": "Kết luận",
    "QĐi": "Quy định",
    "QĐ": "Quyết định",
    "QC": "Quy chế",
    "TTr": "Tờ trình",
    "TT": "Thông tri",
    "HDLT": "Hướng dẫn liên tịch",
    "HD": "Hướng dẫn",
    "BC": "Báo cáo",
    "KH": "Kế hoạch",
    "TB": "Thông báo",
    "TC": "Thông cáo",
    "CV": "Công văn",
    "BB": "Biên bản",
    "ĐA": "Đề án",
    "CĐ": "Công điện",
}
# Common issuers (informative; any upper-case abbreviation is accepted).
ISSUERS: dict[str, str] = {
    "TW": "Ban Chấp hành Trung ương (also Bộ Chính trị, Ban Bí thư)",
    "BCT": "Bộ Chính trị",
    "BBT": "Ban Bí thư",
    "VPTW": "Văn phòng Trung ương Đảng",
    "BTGTW": "Ban Tuyên giáo Trung ương",
    "BTGDVTW": "Ban Tuyên giáo và Dân vận Trung ương",
    "BTCTW": "Ban Tổ chức Trung ương",
    "BDVTW": "Ban Dân vận Trung ương",
    "UBKTTW": "Ủy ban Kiểm tra Trung ương",
    "TU": "Tỉnh ủy / Thành ủy",
    "VPTU": "Văn phòng Tỉnh ủy / Thành ủy",
    "BTGTU": "Ban Tuyên giáo Tỉnh ủy / Thành ủy",
    "BTCTU": "Ban Tổ chức Tỉnh ủy / Thành ủy",
    "HU": "Huyện ủy",
    "QU": "Quận ủy",
    "ĐU": "Đảng ủy",
}
# Label word(s) -> type, for the optional label before a number ("Kết luận số 127-KL/TW").
_LABELS: dict[str, str] = {
    "nghị quyết liên tịch": "NQLT",
    "nghị quyết": "NQ",
    "chỉ thị": "CT",
    "chương trình": "CTr",
    "kết luận": "KL",
    "quy định": "QĐi",
    "quyết định": "QĐ",
    "quy chế": "QC",
    "tờ trình": "TTr",
    "thông tri": "TT",
    "hướng dẫn liên tịch": "HDLT",
    "hướng dẫn": "HD",
    "báo cáo": "BC",
    "kế hoạch": "KH",
    "thông báo kết luận": "TB",
    "thông báo": "TB",
    "thông cáo": "TC",
    "công văn": "CV",
    "biên bản": "BB",
    "đề án": "ĐA",
    "công điện": "CĐ",
}
# ASCII spellings seen in file names and careless typing -> canonical type.
_TYPE_ALIASES = {"QD": "QĐ", "QDi": "QĐi", "QĐI": "QĐi", "DA": "ĐA", "CD": "CĐ"}

_LABEL_RX = "|".join(sorted((re.escape(k) for k in _LABELS), key=len, reverse=True))
_TYPE_RX = "|".join(
    sorted((re.escape(k) for k in (*DOCUMENT_TYPES, *_TYPE_ALIASES)), key=len, reverse=True)
)
_UP = "A-ZĐƯ"
_DASH = r"\-\u2010-\u2014"  # a character-class body: ASCII hyphen and U+2010..2014
_SYMBOL = (
    rf"(?<![\w/.{_DASH}])(?P<num>\d{{1,5}})[ \u00a0]?[{_DASH}][ \u00a0]?(?P<type>{_TYPE_RX})"
    rf"[ \u00a0]?/[ \u00a0]?(?P<issuer>[{_UP}][{_UP}0-9]*(?:[-&][{_UP}][{_UP}0-9]*)*)(?![\w])"
)
_DOC_RE = re.compile(rf"(?:(?P<label>(?i:{_LABEL_RX}))\s+(?:(?i:số)\s*:?\s*)?)?{_SYMBOL}")
_SYMBOL_RE = re.compile(_SYMBOL)
_LABEL_BEFORE = re.compile(rf"(?<!\w)(?i:{_LABEL_RX})\s+(?:(?i:số)\s*:?\s*)?$")
_LABEL_WINDOW = 40  # characters looked at before a number for its label
_DATE_AFTER = re.compile(
    r"\s*[,(]?\s*(?:(?i:được\s+)?(?i:ban\s+hành\s+)?)?(?i:ngày)\s+"
    r"(?:(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})"
    r"|(?P<d2>\d{1,2})\s+(?i:tháng)\s+(?P<m2>\d{1,2})\s+(?i:năm)\s+(?P<y2>\d{4}))"
)
_QUICK = re.compile(rf"\d[ \u00a0]?[{_DASH}]")


def _canonical_type(raw: str) -> str:
    return _TYPE_ALIASES.get(raw, raw)


_TU_ISSUER = re.compile(r"TƯ(?=$|[-&])")


def _canonical_issuer(raw: str) -> str:
    # "TƯ" (Trung ương) is written for "TW" on some portals: one spelling for joins.
    return _TU_ISSUER.sub("TW", raw) if "TƯ" in raw else raw


def _date_after(text: str, pos: int) -> str | None:
    m = _DATE_AFTER.match(text, pos)
    if not m:
        return None
    d, mo, y = (m["d"], m["m"], m["y"]) if m["d"] else (m["d2"], m["m2"], m["y2"])
    try:
        value = date(int(y), int(mo), int(d))
    except ValueError:
        return None
    return value.isoformat() if 1930 <= value.year <= 2100 else None


_SLASH_UPPER = re.compile(rf"/[ \u00a0]?[{_UP}]")
_SYMBOL_REACH = 24  # a number-type prefix ("12345 - QĐi ") is never longer than this


def _symbols(text: str) -> Iterable[re.Match[str]]:
    """Matches of `_SYMBOL_RE`, found from the `/ISSUER` anchors: a literal-led scan, far
    faster on long bodies than trying the full pattern at every position."""
    end = -1
    for anchor in _SLASH_UPPER.finditer(text):
        if anchor.start() < end:
            continue
        m = _SYMBOL_RE.search(text, max(0, anchor.start() - _SYMBOL_REACH), anchor.end() + 40)
        if m is not None and m.start() <= anchor.start() < m.end():
            end = m.end()
            yield m


def find_documents(text: str | None) -> list[dict[str, Any]]:
    """Party document numbers in `text`, in order of first mention, each number once.

    Each entry: `number` (normalised `05-CT/TU`: serial zero-padded to two digits, `TƯ` ->
    `TW`), `type` (`NQ`, `CT`, `KL`, `QĐ`, `QĐi` ...), `issuer` (`TW`, `TU`, `BTGTW` ...),
    `raw` (as found, with its label: `Kết luận số 127-KL/TW`) and `date` (ISO date when
    `ngày dd/mm/yyyy` follows the number, else None).
    """
    if not text or "/" not in text or not _QUICK.search(text):
        return []
    text = unicodedata.normalize("NFC", text)
    out: dict[str, dict[str, Any]] = {}
    for m in _symbols(text):  # numbers first, labels looked up behind them: fast
        doc_type = _canonical_type(m["type"])
        issuer = _canonical_issuer(m["issuer"])
        number = f"{int(m['num']):02d}-{doc_type}/{issuer}"
        window = text[max(0, m.start() - _LABEL_WINDOW) : m.start()]
        label = _LABEL_BEFORE.search(window)
        raw = " ".join((window[label.start() :] if label else "").split() + m.group(0).split())
        found = _date_after(text, m.end())
        if number in out:
            if found and not out[number]["date"]:
                out[number]["date"] = found
            continue
        out[number] = {"number": number, "type": doc_type, "issuer": issuer, "raw": raw, "date": found}
    return list(out.values())


def _texts(item: Mapping[str, Any]) -> Iterable[str]:
    for name in ("title", "summary", "body"):
        value = item.get(name)
        if value:
            yield value
    for att in item.get("attachments") or ():
        if isinstance(att, Mapping) and att.get("title"):
            yield att["title"]


def documents_of(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Document numbers cited anywhere in an item (title, summary, body, attachment titles)."""
    merged: dict[str, dict[str, Any]] = {}
    for text in _texts(item):
        for doc in find_documents(text):
            seen = merged.get(doc["number"])
            if seen is None:
                merged[doc["number"]] = doc
            elif doc["date"] and not seen["date"]:
                seen["date"] = doc["date"]
    return list(merged.values())


# --- news or document ----------------------------------------------------------------------

SHORT_BODY = 500  # characters: a body this short next to a document file is a cover note
_DOC_FILE_TYPES = frozenset({"pdf", "doc", "docx", "rtf", "odt"})
_FULL_TEXT = re.compile(r"^\W*(?i:toàn\s+văn)\b")
_LEAD_IN = r"^\W*(?:(?i:toàn\s+văn)\s*:?\s*)?[\"“”'«]?\s*"
_TITLE_LABEL = re.compile(rf"{_LEAD_IN}(?P<label>(?i:{_LABEL_RX}))\b")
# What follows the number in a document's own title: its date, issuer or subject.
_TITLE_TAIL = re.compile(
    r"^\s*(?:$|[,(]|[-–:]\s*(?i:về|của|v/v)\b|(?i:ngày|của|về|v/v|năm|khóa|khoá|hội nghị|"
    r"triển khai|thực hiện|tổ chức|tăng cường|tiếp tục|sơ kết|tổng kết|lãnh đạo|ban hành|"
    r"phê duyệt|kiện toàn|chỉ định|bổ nhiệm|quy định|hướng dẫn|nâng cao|đẩy mạnh)\b)"
)
_OF_BODY = re.compile(
    r"^\s+(?i:số\s+\S+\s+)?(?i:của)\s+(?i:bộ chính trị|ban bí thư|ban chấp hành|ban thường vụ|"
    r"ban tuyên giáo|ban tổ chức|ban dân vận|ban kiểm tra|ủy ban kiểm tra|uỷ ban kiểm tra|"
    r"văn phòng|tỉnh ủy|tỉnh uỷ|thành ủy|thành uỷ|huyện ủy|huyện uỷ|quận ủy|quận uỷ|đảng ủy|"
    r"đảng uỷ|trung ương)"
)
_HEADER = re.compile(r"ĐẢNG CỘNG SẢN VIỆT NAM|(?:^|\n)\s*(?i:số)\s*:?\s*\d{1,5}\s?[-–]\s?[A-ZĐ]")


def _title_is_document(title: str) -> bool:
    title = unicodedata.normalize("NFC", title).strip()
    start = re.match(_LEAD_IN, title)
    rest = title[start.end() if start else 0 :]
    m = _DOC_RE.match(rest)
    if m:  # the title starts with a (labelled) number: the document's own title?
        tail = rest[m.end() :]
        after_date = _DATE_AFTER.match(tail)
        if after_date:
            tail = tail[after_date.end() :]
        return bool(_TITLE_TAIL.match(tail))
    label = _TITLE_LABEL.match(title)
    if label is None:
        return False
    after = title[label.end() :]
    return bool(_OF_BODY.match(after))


def classify(item: Mapping[str, Any]) -> str:
    """`"document"` when the page essentially is an official document, else `"news"`.

    A document: its title is the document's own title (`Nghị quyết số 23-NQ/TW ngày ... của
    Bộ Chính trị về ...`, `Chỉ thị của Ban Bí thư về ...`, `Toàn văn ...`), or its body opens
    with a document header (`ĐẢNG CỘNG SẢN VIỆT NAM`, `Số 05-CT/TU`), or the text is in
    attached PDF/DOC files and the body is a short cover note. Titles that only cite a
    document (`Triển khai Nghị quyết 57-NQ/TW`, `Nghị quyết 57-NQ/TW: động lực ...`) are news.
    """
    title = item.get("title") or ""
    body = item.get("body") or ""
    if title and (_FULL_TEXT.match(title) or _title_is_document(title)):
        return "document"
    if _HEADER.search(body[:400]):
        return "document"
    files = [
        a for a in item.get("attachments") or ()
        if isinstance(a, Mapping) and (a.get("type") or "").lower() in _DOC_FILE_TYPES
    ]
    if files and len(body) < SHORT_BODY:
        return "document"
    return "news"
