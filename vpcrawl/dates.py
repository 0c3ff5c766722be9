"""Vietnamese portal date strings -> aware datetimes in Vietnam time (+07:00).

Why it is built this way: plain dateparser answers ~1k strings/s, misses label-prefixed and
`14h21` forms and misreads `08 giờ 30 phút, ngày 14/01/2021`. So a cheap pre-clean (NFKC,
space/zero-width folding, labels, weekdays, GMT, counters) feeds anchored regexes for the common
numeric and ISO forms (the fast path), then small hand-written matchers for relative and
year-less forms, and only then dateparser as a fallback for the long tail. Everything is pure:
`now` (the fetch time) is passed in, nothing reads the clock.

Public API: `ParsedDate`, `resolve_date`, `parse_date`, `date_from_url`. `_fast_path` and
`_fallback` are module-level on purpose, so tests and the benchmark can call or monkeypatch them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = ["VN_TZ", "ParsedDate", "date_from_url", "parse_date", "resolve_date"]

VN_TZ = timezone(timedelta(hours=7))
MAX_SCAN = 300  # characters looked at after whitespace folding: a date string is short
_RAW_WINDOW = 4000  # raw characters kept before folding (HTML text may carry long space runs)
FUTURE_SLACK = timedelta(minutes=5)  # clock skew allowed between a portal and the crawler
_MIN_YEAR = 1900


@dataclass(frozen=True)
class ParsedDate:
    """A resolved date. `precision` is "minute" (a time was given) or "day" (date only, 00:00);
    `date_from_url` may also give "month" for a `YYYYMM` folder (day set to 1)."""

    value: datetime  # aware, tzinfo = VN_TZ
    precision: str
    relative: bool  # resolved against `now`: "x giờ trước", "hôm qua", year-less, time-only


# A matcher returns a ParsedDate, None (not my form: try the next one) or False (my form, but
# invalid or in the future: the answer is None and no other matcher should guess).
_Result = ParsedDate | None | Literal[False]

# ---------------------------------------------------------------------------------------------
# pre-clean

_TRANSLATE = str.maketrans(
    {
        "\u200b": " ",
        "\u2060": " ",
        "\ufeff": " ",
        "\u00ad": None,
        "\u200c": None,
        "\u200d": None,
        "\u00d0": "Đ",  # Ð (eth) typed for Đ
        "\u00f0": "đ",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2019": "'",
        "\u2032": "'",
    }
)

_ODD_CHAR_RE = re.compile("[" + "".join(chr(c) for c in _TRANSLATE) + "]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_GMT_RE = re.compile(r"[(\[]?\s*(?:(?:gmt|utc)\s*\+\s*0?7(?::?00)?|\bict\b)\s*[)\]]?")
_COUNTER_RE = re.compile(
    r"(?:lượt xem|lượt đọc|lượt truy cập|số lượt xem|số lần xem|đã xem|lượt thích|lượt chia sẻ"
    r"|phản hồi|bình luận|views?)\s*:?\s*\d[\d.,]*"
)
_WEEKDAY_RE = re.compile(
    r"\b(?:thứ\s*(?:hai|ba|tư|bốn|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|cn|t[2-7]"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
)
# Leading labels ("Cập nhật lúc:", "Đăng ngày", "Ngày xuất bản:", "Posted on") and the
# separators around them. Only at the start: inside the string these words mean other things.
_LABEL_RE = re.compile(
    r"^(?:[\s|,:;.\-]*(?:cập nhật|cap nhat|ngày đăng|ngay dang|đăng tải|đăng|dang|gửi|gui"
    r"|xuất bản|ban hành|phát hành|thời gian|thời điểm|ngày|ngay|lúc|luc|vào|vao"
    r"|posted|published|updated|on|at|date)\b)*[\s|,:;.\-]*"
)
_PLACE_RE = re.compile(r"^[^\d,|]{2,40},\s*(?=ngày\s*\d)")  # "Hà Nội, ngày 07 tháng 02 ..."
_HCLOCK_RE = re.compile(
    r"(?<![\d:/.])(\d{1,2})\s*(?:h|g|giờ|gio)\s*(\d{1,2})(?:\s*(?:phút|phut|ph|p)\b|')?(?!\d)"
    r"(?!\s*(?:phút\s*)?(?:trước|nữa|tới|sau))"
)
_HOUR_ONLY_RE = re.compile(
    r"(?<![\d:/.])(\d{1,2})\s*(?:h|giờ)"
    r"(?=\s*(?:sáng|chiều|tối|trưa|đêm)?\s*(?:[,|-]|ngày|\d{1,2}\s*[/.-]\s*\d|$))"
)
_APPROX_WORDS = ("cách đây", "cách", "khoảng", "chừng", "gần", "hơn", "độ", "tầm")
_INLINE_WORD_RE = re.compile(r"\b(?:vào\s+)?(?:lúc|luc|ngày|ngay|hồi)\s*(?=\d)|\bvào\s+(?=\d)")
_MONTH_WORDS = {
    "giêng": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
    "bẩy": 7, "tám": 8, "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12, "chạp": 12,
}  # fmt: skip
_MONTH_WORD_RE = re.compile(
    r"\btháng\s+(mười một|mười hai|mười|giêng|chạp|một|hai|ba|tư|bốn|năm|sáu|bảy|bẩy|tám|chín)\b"
)
_THG_RE = re.compile(r"\b(?:thg|th)\.?\s*(?=\d)")
_WORDS_DMY_RE = re.compile(
    r"(?<!\d)(\d{1,2})\s*[-/]?\s*tháng\s*(\d{1,2})\s*[-/,]?\s*(?:năm\s+)?(\d{4})(?!\d)"
)
_WORDS_MDY_RE = re.compile(r"(?<!\d)tháng\s*(\d{1,2})\s+(\d{1,2})\s*,\s*(\d{4})(?!\d)")
_WORDS_DM_RE = re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s*(\d{1,2})(?!\s*[\d/,-])")


def _month_word(m: re.Match[str]) -> str:
    return f"tháng {_MONTH_WORDS[m.group(1)]}"


def _hour_only(m: re.Match[str]) -> str:
    """`14h` / `8 giờ` -> `14:00`, except a duration ("cách đây 3 giờ", a bare "3 giờ")."""
    before = m.string[: m.start()].rstrip()
    if m.end() == len(m.string.rstrip()) and (not before or before.endswith(_APPROX_WORDS)):
        return m.group(0)
    return f"{m.group(1)}:00"


def _fold(text: str) -> str:
    """NFKC, one space for every space kind, lower case, at most MAX_SCAN characters."""
    s = text.lstrip()[:_RAW_WINDOW]
    if not s.isascii():
        if not unicodedata.is_normalized("NFKC", s):
            s = unicodedata.normalize("NFKC", s)
        if _ODD_CHAR_RE.search(s):  # translate() is slow on non-ASCII text: only when needed
            s = s.translate(_TRANSLATE)
    return " ".join(s.split())[:MAX_SCAN].lower()


def _preclean(text: str) -> str:
    """Reduce a page's date string to its date words and numbers (lower case).

    Each substitution is gated by a cheap substring test: most strings need none of them.
    """
    s = _fold(text)
    if not s or _LETTER_RE.search(s) is None:
        return s  # digits and punctuation only: nothing to strip or rewrite
    if "gmt" in s or "utc" in s or "ict" in s:
        s = _GMT_RE.sub(" ", s)
    if "xem" in s or "đọc" in s or "phản" in s or "bình" in s or "view" in s or "lượt" in s:
        s = _COUNTER_RE.sub(" | ", s)
    if "t" in s or "cn" in s or "day" in s:
        s = _WEEKDAY_RE.sub(" ", s)
    if "," in s:
        s = _PLACE_RE.sub("", s)
    if not s[:1].isdigit():
        s = _LABEL_RE.sub("", s)
    if "h" in s or "g" in s:
        s = _HCLOCK_RE.sub(r"\1:\2", s)
        s = _HOUR_ONLY_RE.sub(_hour_only, s)
    if "l" in s or "ng" in s or "hồi" in s or "vào" in s:
        s = _INLINE_WORD_RE.sub(" ", s)
    if "th" in s:
        s = _MONTH_WORD_RE.sub(_month_word, s)
        s = _THG_RE.sub("tháng ", s)
        s = _WORDS_DMY_RE.sub(r"\1/\2/\3", s)
        s = _WORDS_MDY_RE.sub(r"\2/\1/\3", s)
        s = _WORDS_DM_RE.sub(r"\1/\2", s)
    return " ".join(s.split())


# ---------------------------------------------------------------------------------------------
# shared pieces

_AMPM = r"sa|ch|am|pm|a\.m\.|p\.m\.|sáng|chiều|tối|trưa|đêm"
_PM_WORDS = frozenset({"ch", "pm", "p.m.", "chiều", "tối"})
_AM_WORDS = frozenset({"sa", "am", "a.m.", "sáng"})


def _time_re(n: int) -> str:
    return (
        rf"(?P<h{n}>\d{{1,2}}):(?P<m{n}>\d{{2}})(?::(?P<s{n}>\d{{2}}))?'?"
        rf"(?:\s*(?P<a{n}>{_AMPM})(?!\w))?"
    )


_TIME_GROUPS = {n: (f"h{n}", f"m{n}", f"s{n}", f"a{n}") for n in (1, 2)}
_SEP = r"[\s,|\-(\[]*"
_TAIL = r"[\s,|\-)\].]*(?:\|.*)?$"  # closing punctuation, then "| author | counters" junk


_last_now: tuple[datetime, datetime] | None = None  # (given, converted): one fetch, many strings


def _vn_now(now: datetime) -> datetime:
    """The fetch time as Vietnam wall time (a naive `now` is taken as already in +07:00)."""
    global _last_now
    last = _last_now
    if last is not None and last[0] is now:
        return last[1]
    if now.tzinfo is None:
        vn = now.replace(tzinfo=VN_TZ, microsecond=0)
    else:
        vn = now.astimezone(VN_TZ).replace(microsecond=0)
    _last_now = (now, vn)
    return vn


def _clock(m: re.Match[str], n: int) -> tuple[int, int, int] | None:
    """(hour, minute, second) of time group `n`; None when absent, (-1, -1, -1) when impossible."""
    h, mi, se, ampm = m.group(*_TIME_GROUPS[n])
    if h is None:
        return None
    hour, minute, sec = int(h), int(mi), int(se or 0)
    if ampm:
        if ampm in _PM_WORDS:
            if hour > 12:
                return (-1, -1, -1)
            if hour < 12:
                hour += 12
        elif ampm in _AM_WORDS:
            if hour > 12:
                return (-1, -1, -1)
            if hour == 12:
                hour = 0
        elif ampm == "trưa" and hour < 6:
            hour += 12
        elif ampm == "đêm" and 6 <= hour < 12:
            hour += 12
    if hour > 23 or minute > 59 or sec > 59:
        return (-1, -1, -1)
    return hour, minute, sec


def _build(
    y: int, mo: int, d: int, clock: tuple[int, int, int] | None, relative: bool
) -> ParsedDate | None:
    if clock is not None and clock[0] < 0:
        return None
    try:
        if clock is None:
            return ParsedDate(datetime(y, mo, d, tzinfo=VN_TZ), "day", relative)
        return ParsedDate(datetime(y, mo, d, *clock, tzinfo=VN_TZ), "minute", relative)
    except ValueError:
        return None


def _not_future(pd: ParsedDate | None, now: datetime) -> ParsedDate | Literal[False]:
    if pd is None or pd.value > now + FUTURE_SLACK:
        return False
    return pd


def _year(raw: str, now: datetime) -> int:
    y = int(raw)
    if len(raw) == 2:
        y += 2000
        if y > now.year:
            y -= 100
    return y


# ---------------------------------------------------------------------------------------------
# fast path: anchored regexes for numeric and ISO forms

_ISO_RE = re.compile(
    r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<mo>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:(?:t|\s+|(?P<tzb>[+-]\d{2}(?=\d{1,2}:)|ict))"  # NukeViet `Y-m-dTH:i:s`: "+07" or "ICT"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})(?::(?P<s1>\d{2})(?:[.,]\d+)?)?"
    r"(?:\s*(?P<a1>" + _AMPM + r")(?!\w))?"
    r"\s*(?P<tz>z|[+-]\d{2}(?::?\d{2})?)?)?" + _TAIL
)
_NUMERIC_RE = re.compile(
    r"^(?P<pre>[^\d]*?)"
    r"(?:" + _time_re(1) + _SEP + r")?"
    r"(?P<d>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<mo>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4}|\d{2})(?!\d)"
    r"(?:" + _SEP + _time_re(2) + r")?" + _TAIL
)
# Words that make a leading free-text prefix more than a label/author/place: let the slower
# matchers or the fallback judge such strings.
_BAD_PREFIX_RE = re.compile(r"trước|sau|đến|tới|từ|hôm|tháng|tuần|hạn")


def _match_iso(s: str, now: datetime) -> _Result:
    m = _ISO_RE.match(s)
    if m is None:
        return None
    clock = _clock(m, 1)
    pd = _build(int(m["y"]), int(m["mo"]), int(m["d"]), clock, False)
    if pd is None:
        return False
    tz = m["tz"]
    if tz and tz != "z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 14 or minutes > 59:
            return False
        offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
        pd = ParsedDate(pd.value.replace(tzinfo=offset).astimezone(VN_TZ), pd.precision, False)
    elif tz == "z":
        pd = ParsedDate(
            pd.value.replace(tzinfo=timezone.utc).astimezone(VN_TZ), pd.precision, False
        )
    return _not_future(pd, now)


def _match_numeric(s: str, now: datetime) -> _Result:
    m = _NUMERIC_RE.match(s)
    if m is None:
        return None
    if m["pre"] and _BAD_PREFIX_RE.search(m["pre"]):
        return None
    c1, c2 = _clock(m, 1), _clock(m, 2)
    if c1 is not None and c2 is not None:
        return None  # two times: not a single timestamp, let the fallback judge
    year = _year(m["y"], now)
    if year < _MIN_YEAR:
        return False
    return _not_future(_build(year, int(m["mo"]), int(m["d"]), c1 or c2, False), now)


def _match_fast(s: str, now: datetime) -> _Result:
    if s[:4].isdigit():
        return _match_iso(s, now)
    return _match_numeric(s, now)


def _fast_path(text: str, now: datetime) -> ParsedDate | None:
    """Pre-clean and anchored regexes only (numeric and ISO forms): never calls dateparser."""
    r = _match_fast(_preclean(text), _vn_now(now))
    return r or None


# ---------------------------------------------------------------------------------------------
# relative forms, year-less dates, bare times

_NUMBERS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7,
    "tám": 8, "chín": 9, "mười": 10,
}  # fmt: skip
_APPROX = r"(?:(?:khoảng|chừng|gần|hơn|độ|tầm)\s+)?"
_REL_RE = re.compile(
    r"^"
    + _APPROX
    + r"(?P<ago1>cách đây\s+)?"
    + _APPROX
    + r"(?:(?P<n>\d{1,4}|một|hai|ba|bốn|tư|năm|sáu|bảy|bẩy|tám|chín|mười|nửa)\s*)?"
    r"(?P<u>giây|phút|giờ|tiếng|ngày|tuần|tháng|năm)(?:\s+đồng hồ)?"
    r"(?P<ago2>\s+(?:về\s+)?trước)?"
    r"(?:" + _SEP + _time_re(2) + r")?" + _TAIL
)
_DAYWORD_RE = re.compile(
    r"^(?:" + _time_re(1) + _SEP + r")?"
    r"(?P<w>(?:hôm|bữa)\s+(?:nay|qua|kia)|(?:sáng|trưa|chiều|tối|đêm)\s+(?:nay|qua|hôm qua)"
    r"|vừa xong|vừa mới|mới đây|vừa đăng|bây giờ|năm ngoái|năm rồi|tuần rồi|tháng rồi)"
    r"(?:" + _SEP + _time_re(2) + r")?" + _TAIL
)
_YEARLESS_RE = re.compile(
    r"^(?:(?:sáng|trưa|chiều|tối|đêm|hôm|ngày)\s*)*"
    r"(?:" + _time_re(1) + _SEP + r")?"
    r"[(\[]?\s*(?P<d>\d{1,2})\s*(?P<sep>[/.-])\s*(?P<mo>\d{1,2})(?!\d)(?!\s*(?P=sep)\s*\d)"
    r"\s*[)\]]?(?:" + _SEP + _time_re(2) + r")?" + _TAIL
)
_TIME_ONLY_RE = re.compile(r"^" + _time_re(1) + _TAIL)


def _minus_months(d: date, months: int) -> date:
    """`d` moved back by calendar months, the day clamped to the target month's length."""
    total = d.year * 12 + d.month - 1 - months
    y, mo = divmod(total, 12)
    mo += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, mo, min(d.day, day))
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover - day 28 always exists


def _day_result(d: date, clock: tuple[int, int, int] | None, now: datetime) -> _Result:
    return _not_future(_build(d.year, d.month, d.day, clock, True), now)


def _match_relative(s: str, now: datetime) -> _Result:
    m = _REL_RE.match(s)
    if m is not None:
        n_raw, unit = m["n"], m["u"]
        if not (m["ago1"] or m["ago2"]):
            return None
        if n_raw is None:
            if unit not in ("tuần", "tháng", "năm") or not m["ago2"]:
                return None
            n: float = 1
        elif n_raw == "nửa":
            if unit not in ("giờ", "tiếng"):
                return None
            n = 0.5
        else:
            n = int(n_raw) if n_raw.isdigit() else _NUMBERS[n_raw]
        clock = _clock(m, 2)
        if unit in ("giây", "phút", "giờ", "tiếng"):
            if clock is not None:
                return None
            seconds = {"giây": 1, "phút": 60, "giờ": 3600, "tiếng": 3600}[unit] * n
            try:
                return ParsedDate(now - timedelta(seconds=seconds), "minute", True)
            except OverflowError:
                return False
        days = {"ngày": 1, "tuần": 7}.get(unit)
        try:
            if days is not None:
                d = now.date() - timedelta(days=days * int(n))
            else:
                d = _minus_months(now.date(), int(n) * (12 if unit == "năm" else 1))
        except (OverflowError, ValueError):
            return False
        return _day_result(d, clock, now)

    m = _DAYWORD_RE.match(s)
    if m is None:
        return None
    word = m["w"]
    c1, c2 = _clock(m, 1), _clock(m, 2)
    if c1 is not None and c2 is not None:
        return None
    clock = c1 or c2
    if word in ("vừa xong", "vừa mới", "mới đây", "vừa đăng", "bây giờ"):
        return None if clock else ParsedDate(now, "minute", True)
    today = now.date()
    if word.endswith("nay"):
        d = today
    elif word.endswith("kia"):
        d = today - timedelta(days=2)
    elif word.endswith("qua"):
        d = today - timedelta(days=1)
    elif word.startswith("năm"):
        d = _minus_months(today, 12)
    elif word.startswith("tuần"):
        d = today - timedelta(days=7)
    else:
        d = _minus_months(today, 1)
    return _day_result(d, clock, now)


def _match_yearless(s: str, now: datetime) -> _Result:
    m = _YEARLESS_RE.match(s)
    if m is not None:
        c1, c2 = _clock(m, 1), _clock(m, 2)
        if c1 is not None and c2 is not None:
            return None
        clock = c1 or c2
        day, month = int(m["d"]), int(m["mo"])
        if not (1 <= month <= 12 and 1 <= day <= 31) or (clock is not None and clock[0] < 0):
            return False
        limit = now + FUTURE_SLACK
        for year in range(now.year, now.year - 9, -1):  # 9 years reach a 29 Feb
            pd = _build(year, month, day, clock, True)
            if pd is not None and pd.value <= limit:
                return pd
        return False
    m = _TIME_ONLY_RE.match(s)
    if m is None:
        return None
    clock = _clock(m, 1)
    if clock is None or clock[0] < 0:
        return False
    pd = _build(now.year, now.month, now.day, clock, True)
    if pd is None:
        return False
    if pd.value > now + FUTURE_SLACK:  # a clock time later than the fetch: yesterday's
        pd = ParsedDate(pd.value - timedelta(days=1), pd.precision, True)
    return pd


# ---------------------------------------------------------------------------------------------
# dateparser fallback

_DP_OPTIONS: dict[str, Any] = {
    "DATE_ORDER": "DMY",
    "PREFER_LOCALE_DATE_ORDER": False,
    # A fixed +07:00, not "Asia/Ho_Chi_Minh": the tz database gives old dates +08:00 (1960).
    "TIMEZONE": "+0700",
    "TO_TIMEZONE": "+0700",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DATES_FROM": "past",
    "PARSERS": ["relative-time", "custom-formats", "absolute-time"],  # no bare epoch numbers
}
_dp_settings_obj: Any = None  # dateparser Settings, built on first fallback use
_NUMBER_RE = re.compile(r"\d+")
_RELATIVE_HINT_RE = re.compile(r"trước|qua|nay|kia|tới|sau|nữa|hôm|vừa|cách")
_DMY_SEARCH_RE = re.compile(r"(?<!\d)(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)")


def _dp_settings() -> Any:
    """The module's dateparser Settings (without RELATIVE_BASE), built once, lazily."""
    global _dp_settings_obj
    if _dp_settings_obj is None:
        from dateparser.conf import settings as defaults

        _dp_settings_obj = defaults.replace(mod_settings=_DP_OPTIONS, **_DP_OPTIONS)
    return _dp_settings_obj


def _dp_settings_for(now: datetime) -> Any:
    """Settings for a dateparser call at fetch time `now`: RELATIVE_BASE is NAIVE Vietnam wall
    time (an aware base plus TIMEZONE breaks time-only strings, dateparser #1213)."""
    base = _vn_now(now).replace(tzinfo=None)
    return _dp_settings().replace(
        mod_settings={**_DP_OPTIONS, "RELATIVE_BASE": base}, RELATIVE_BASE=base
    )


def _fallback(s: str, now: datetime) -> ParsedDate | None:
    """dateparser on a pre-cleaned string; only answers that name at least a day are kept."""
    if _RELATIVE_HINT_RE.search(s):
        return None  # relative forms dateparser gets wrong ("hôm qua 8 giờ", "1 năm 2 tháng trước")
    try:
        from dateparser.date import DateDataParser

        data = DateDataParser(languages=["vi"], settings=_dp_settings_for(now)).get_date_data(s)
    except Exception:  # dateparser raises on odd input (overflow, recursion): not a date
        return None
    value, parts = data.date_obj, data.parts or ()
    if value is None or "day" not in parts or "month" not in parts:
        return None  # "Tháng 2/2025", "quý III/2018", "ngày 13": not a publication day
    value = value.replace(tzinfo=VN_TZ) if value.tzinfo is None else value.astimezone(VN_TZ)
    m = _DMY_SEARCH_RE.search(s)
    if m and (int(m[1]), int(m[3]), int(m[4])) != (value.day, value.month, value.year):
        return None  # dateparser contradicts the string's own dd/mm/yyyy
    relative = "year" not in parts
    if "time" in parts:
        return ParsedDate(value.replace(microsecond=0), "minute", relative)
    return ParsedDate(value.replace(hour=0, minute=0, second=0, microsecond=0), "day", relative)


# ---------------------------------------------------------------------------------------------
# public API


def resolve_date(text: str, now: datetime) -> ParsedDate | None:
    """The date a portal's date string names, resolved against the fetch time `now`.

    `now` may be in any zone (naive = Vietnam wall time). The answer is aware in +07:00, never
    more than 5 minutes after `now`; None when the text holds no date.
    """
    if not text or not isinstance(text, str):
        return None
    now_vn = _vn_now(now)
    s = _preclean(text)
    if not s:
        return None
    for matcher in (_match_fast, _match_relative, _match_yearless):
        r = matcher(s, now_vn)
        if r is not None:
            return r or None
    if len(_NUMBER_RE.findall(s)) < 2:
        return None  # a day needs a day and a month: "3 giờ", "2025", "tháng Giêng" are not dates
    pd = _fallback(s, now_vn)
    if pd is None or pd.value > now_vn + FUTURE_SLACK:
        return None
    return pd


def parse_date(text: str, now: datetime) -> datetime | None:
    """`resolve_date(text, now).value`, or None."""
    pd = resolve_date(text, now)
    return pd.value if pd is not None else None


# ---------------------------------------------------------------------------------------------
# dates in URLs

_URL_VPCP_RE = re.compile(r"-1\d{2}(\d{12})\d{3}\.html?$")  # 1 CC YYMMDDhhmmss NNN (18 digits)
_URL_EPOCH_MS_RE = re.compile(r"/(1\d{12})(?=/|$)")
_URL_YMD_RE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?=/)")
_URL_YYYYMM_RE = re.compile(r"/((?:19|20)\d{2})(\d{2})(?=/)")
_URL_YM_RE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})(?=/[^/\d])")
_EPOCH_MS_MIN = 1_104_537_600_000  # 2005-01-01: older ids are not timestamps on these portals
_EPOCH_MS_MAX = 4_102_444_800_000  # 2100-01-01
_URL_MIN_YEAR = 1995


def date_from_url(url: str) -> ParsedDate | None:
    """A date encoded in an article URL's path, or None when unsure.

    Known shapes: vpcp/baochinhphu ids `-1CCYYMMDDhhmmssNNN.htm` (minute), a 13-digit epoch-ms
    path segment (Liferay `view-article/1/<cat>/<id>`: the last one, minute), `/YYYY/MM/DD/`
    (day), `/YYYYMM/` and `/YYYY/MM/<slug>` folders (precision "month", day 1).
    """
    if not url or not isinstance(url, str):
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    if not path:
        return None

    m = _URL_VPCP_RE.search(path)
    if m:
        s = m.group(1)
        pd = _build(
            2000 + int(s[0:2]), int(s[2:4]), int(s[4:6]),
            (int(s[6:8]), int(s[8:10]), int(s[10:12])), False,
        )  # fmt: skip
        if pd is not None and pd.value.year >= 2005:
            return pd

    stamps = [int(x) for x in _URL_EPOCH_MS_RE.findall(path)]
    stamps = [x for x in stamps if _EPOCH_MS_MIN <= x < _EPOCH_MS_MAX]
    if stamps:
        value = datetime.fromtimestamp(stamps[-1] / 1000, tz=VN_TZ).replace(microsecond=0)
        return ParsedDate(value, "minute", False)

    m = _URL_YMD_RE.search(path)
    if m:
        pd = _build(int(m[1]), int(m[2]), int(m[3]), None, False)
        if pd is not None and pd.value.year >= _URL_MIN_YEAR:
            return pd

    for rx in (_URL_YYYYMM_RE, _URL_YM_RE):
        m = rx.search(path)
        if m and int(m[1]) >= _URL_MIN_YEAR and 1 <= int(m[2]) <= 12:
            return ParsedDate(datetime(int(m[1]), int(m[2]), 1, tzinfo=VN_TZ), "month", False)
    return None
