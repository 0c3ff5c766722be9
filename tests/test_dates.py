"""Tests for vpcrawl.dates: the shared vectors, hand-checked portal shapes, the fast path's
independence from dateparser, the never-in-the-future rule and URL dates."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vpcrawl import dates
from vpcrawl.dates import VN_TZ, ParsedDate, date_from_url, parse_date, resolve_date

DATA = Path(__file__).parent / "data"
VECTORS = json.loads((DATA / "date_cases.json").read_text(encoding="utf-8"))
EXTRA = json.loads((DATA / "date_cases_extra.json").read_text(encoding="utf-8"))
REF = datetime.fromisoformat(VECTORS["reference_time"])
# Vector categories written with digits (or month words the pre-clean turns into digits): the
# fast path must answer all of them on its own.
FAST_CATEGORIES = {"numeric", "weekday", "label", "ampm", "hclock", "yy", "words"}


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['category']}:{case['input']!r}"


def _check(case: dict[str, Any], got: ParsedDate | None) -> None:
    """Compare an answer with a vector (exact datetime, or the calendar date in +07:00)."""
    if case["expected"] is None:
        assert got is None, got
        return
    expected = datetime.fromisoformat(case["expected"])
    assert got is not None, "no date"
    assert got.value.utcoffset() == timedelta(hours=7)
    if case["match"] == "exact":
        assert got.value == expected
    else:
        assert got.value.astimezone(VN_TZ).date() == expected.date()
        assert got.precision == "day"
        assert (got.value.hour, got.value.minute, got.value.second) == (0, 0, 0)
    if "precision" in case:
        assert got.precision == case["precision"]
    if "relative" in case:
        assert got.relative is case["relative"]


def _forbid_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: str, now: datetime) -> None:
        raise AssertionError(f"dateparser fallback used for {text!r}")

    monkeypatch.setattr(dates, "_fallback", fail)


# --- the shared vectors -----------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["cases"], ids=_case_id)
def test_vectors(case: dict[str, Any]) -> None:
    got = resolve_date(case["input"], REF)
    _check(case, got)
    if case["match"] == "exact":
        assert got is not None and got.precision == "minute"
    if case["category"] == "relative":
        assert got is not None and got.relative
    elif case["category"] in FAST_CATEGORIES:
        assert got is not None and not got.relative


@pytest.mark.parametrize("case", EXTRA["cases"], ids=_case_id)
def test_extra_vectors(case: dict[str, Any]) -> None:
    now = datetime.fromisoformat(case.get("reference_time", EXTRA["reference_time"]))
    _check(case, resolve_date(case["input"], now))


def test_vector_files_are_complete() -> None:
    assert len(VECTORS["cases"]) == 82
    assert len(EXTRA["cases"]) >= 60


# --- fast path and fallback -------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", [c for c in VECTORS["cases"] if c["category"] in FAST_CATEGORIES], ids=_case_id
)
def test_fast_path_answers_numeric_vectors(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_fallback(monkeypatch)
    _check(case, dates._fast_path(case["input"], REF))
    _check(case, resolve_date(case["input"], REF))


def test_all_vectors_answered_without_importing_dateparser() -> None:
    """The shared vectors never reach dateparser, and importing vpcrawl.dates does not load it."""
    code = (
        "import json, sys\n"
        "from datetime import datetime\n"
        "import vpcrawl.dates as d\n"
        "assert 'dateparser' not in sys.modules, 'imported at module load'\n"
        f"v = json.load(open({str(DATA / 'date_cases.json')!r}, encoding='utf-8'))\n"
        "now = datetime.fromisoformat(v['reference_time'])\n"
        "answered = sum(d.resolve_date(c['input'], now) is not None for c in v['cases'])\n"
        "assert 'dateparser' not in sys.modules, 'fallback used'\n"
        "print(answered)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "82"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021, 13 tháng 1", datetime(2021, 1, 13, tzinfo=VN_TZ)),
        ("13/01/2021 14:21 +0000", datetime(2021, 1, 13, 21, 21, tzinfo=VN_TZ)),
        ("13/01/2021 14.21", datetime(2021, 1, 13, 14, 21, tzinfo=VN_TZ)),
        ("năm 2021 tháng 1 ngày 13", datetime(2021, 1, 13, tzinfo=VN_TZ)),
    ],
)
def test_fallback_covers_the_long_tail(text: str, expected: datetime) -> None:
    assert dates._fast_path(text, REF) is None
    got = resolve_date(text, REF)
    assert got is not None and got.value == expected and not got.relative


@pytest.mark.parametrize(
    "text",
    [
        "Tháng 2/2025",  # a month, not a day
        "quý III/2018",
        "ngày 13",  # a day of no month
        "3 giờ",  # a duration
        "1 năm 2 tháng trước",  # dateparser answers 2020-11-01
        "13/01/2021 14:21 15",
        "Thứ sáu - 19/11/2021 09:35 1094",  # spam-mirror counter glued on: not guessed
        "(18/10/1930-18/10/2025)",  # a range
    ],
)
def test_fallback_refuses_non_days(text: str) -> None:
    assert resolve_date(text, REF) is None


def test_fallback_rejects_contradicting_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer that disagrees with the string's own dd/mm/yyyy is dropped."""

    class FakeParser:
        def __init__(self, **kwargs: Any) -> None:
            pass

        def get_date_data(self, text: str) -> Any:
            class Data:
                date_obj = datetime(2021, 1, 16, 1, 30)  # the known `08 giờ 30 phút` misread
                parts = ("year", "month", "day", "time")

            return Data()

    import dateparser.date

    monkeypatch.setattr(dateparser.date, "DateDataParser", FakeParser)
    assert dates._fallback("08 phut 30, 14/01/2021", REF) is None


def test_dateparser_settings_are_built_once_and_naive_base() -> None:
    first = dates._dp_settings()
    assert dates._dp_settings() is first
    s = dates._dp_settings_for(datetime(2021, 1, 16, 3, 0, tzinfo=timezone.utc))
    assert s.RELATIVE_BASE == datetime(2021, 1, 16, 10, 0)  # naive Vietnam wall time
    assert s.DATE_ORDER == "DMY" and s.PREFER_DATES_FROM == "past"


# --- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\u200b\u200b\ufeff",
        "Trang chủ",
        "Đảng Cộng sản Việt Nam",
        "Lượt xem: 7370",
        "|||,,,---",
        "99/99/9999 99:99",
        "0/0/0",
        "1/1/1/1/1/1/1/1/1",
        "9999999999 ngày trước",
        "99999 năm trước",
        "x" * 1000,
    ],
)
def test_garbage_is_none(text: str) -> None:
    assert resolve_date(text, REF) is None
    assert parse_date(text, REF) is None


def test_non_string_is_none() -> None:
    assert resolve_date(None, REF) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Lorem ipsum 13/01/2021 dolor sit amet, " * 130_000,  # ~5 MB
        "1/" * 2_500_000,
        " " * 5_000_000 + "13/01/2021 14:21",
        "\u200b" * 5_000_000,
        "Thứ " * 1_250_000,
    ],
    ids=["lorem", "slashes", "spaces-then-date", "zwsp", "weekday-words"],
)
def test_huge_input_is_fast(text: str) -> None:
    start = time.perf_counter()
    got = resolve_date(text, REF)
    assert time.perf_counter() - start < 0.5
    assert got is None or isinstance(got, ParsedDate)


def test_huge_input_scans_only_the_start() -> None:
    got = resolve_date(" " * 5_000_000 + "13/01/2021 14:21", REF)
    assert got is not None and got.value == datetime(2021, 1, 13, 14, 21, tzinfo=VN_TZ)
    assert resolve_date("x" * 400 + " 13/01/2021", REF) is None  # beyond MAX_SCAN


# --- never in the future ----------------------------------------------------------------------

_TOKENS = [
    "13/01/2021", "16/1/2021", "17/01/2021", "31/12/2099", "29/02", "30/12", "16-01", "(15/01)",
    "14:21", "23:59", "09:05 SA", "2:21 CH", "11:59 PM", "14h21", "08 giờ 30 phút", "Thứ Tư,",
    "Chủ nhật", "T4", "ngày", "tháng", "năm", "Tháng Giêng", "thg 1", "2021", "2022", "Hôm nay",
    "hôm qua", "hôm kia", "Vừa xong", "5 phút trước", "2 ngày tới", "lúc", "Cập nhật:", "|",
    "-", ",", "(GMT+7)", "Lượt xem: 12", "2021-01-16T23:00:00Z", "2021-01-16T10:04:00+07:00",
    "Sáng", "khoảng", "trước", "sau", "01/2021", "quý III/2018",
]  # fmt: skip
_ZONES = [timezone.utc, VN_TZ, timezone(timedelta(hours=-5)), timezone(timedelta(hours=14))]


def _assert_sane(text: str, now: datetime) -> None:
    got = resolve_date(text, now)
    if got is None:
        return
    assert got.value.utcoffset() == timedelta(hours=7)
    aware = now if now.tzinfo is not None else now.replace(tzinfo=VN_TZ)
    assert got.value <= aware + timedelta(minutes=5), (text, now, got)
    assert got.precision in ("minute", "day")
    if got.precision == "day":
        assert (got.value.hour, got.value.minute, got.value.second) == (0, 0, 0)


def test_never_in_future_seeded() -> None:
    """Always runs (hypothesis is optional): token soups against fetch times in four zones."""
    rng = random.Random(20210116)
    for _ in range(400):
        text = " ".join(rng.choice(_TOKENS) for _ in range(rng.randint(1, 4)))
        base = datetime(2021, 1, 16, 10, 0, tzinfo=VN_TZ) + timedelta(
            minutes=rng.randint(-3 * 1440, 3 * 1440)
        )
        _assert_sane(text, base.astimezone(rng.choice(_ZONES)))
    for case in VECTORS["cases"] + EXTRA["cases"]:
        for now in (datetime(2021, 1, 13, 14, 0, tzinfo=timezone.utc), datetime(2000, 1, 1)):
            _assert_sane(case["input"], now)


def test_never_in_future_hypothesis() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    texts = st.one_of(
        st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=5).map(" ".join),
        st.lists(st.sampled_from("0123456789/:-., hgiờphútrướcCHSAT"), max_size=40).map("".join),
    )
    nows = st.builds(
        lambda dt, tz: dt.replace(tzinfo=tz),
        st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2099, 1, 1)),
        st.sampled_from(_ZONES),
    )

    @hypothesis.settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @hypothesis.given(texts, nows)
    def check(text: str, now: datetime) -> None:
        _assert_sane(text, now)

    check()


def test_later_today_is_none_not_tomorrow() -> None:
    assert resolve_date("Hôm nay lúc 23:30", REF) is None
    assert resolve_date("17/01/2021", REF) is None
    assert resolve_date("16/01/2021 10:04", REF) is not None  # within the 5-minute slack
    assert resolve_date("16/01/2021 10:06", REF) is None


# --- year-less, time-only, zones --------------------------------------------------------------


def test_yearless_rolls_back_a_year() -> None:
    got = resolve_date("30/12", datetime(2021, 1, 16, 10, 0, tzinfo=VN_TZ))
    assert got == ParsedDate(datetime(2020, 12, 30, tzinfo=VN_TZ), "day", True)
    got = resolve_date("Ngày 12/01", datetime(2021, 1, 16, 10, 0, tzinfo=VN_TZ))
    assert got == ParsedDate(datetime(2021, 1, 12, tzinfo=VN_TZ), "day", True)


def test_yearless_uses_vietnam_calendar_day() -> None:
    now = datetime(2021, 1, 15, 17, 30, tzinfo=timezone.utc)  # already 16/01 00:30 in Hà Nội
    got = resolve_date("16/01", now)
    assert got is not None and got.value == datetime(2021, 1, 16, tzinfo=VN_TZ)


def test_time_only_is_the_latest_such_time() -> None:
    assert parse_date("08:30", REF) == datetime(2021, 1, 16, 8, 30, tzinfo=VN_TZ)
    assert parse_date("15:39", REF) == datetime(2021, 1, 15, 15, 39, tzinfo=VN_TZ)


def test_now_in_other_zones_and_naive() -> None:
    utc = datetime(2021, 1, 16, 3, 0, tzinfo=timezone.utc)
    assert parse_date("2 giờ trước", utc) == datetime(2021, 1, 16, 8, 0, tzinfo=VN_TZ)
    assert parse_date("Hôm nay, 08:30", utc) == datetime(2021, 1, 16, 8, 30, tzinfo=VN_TZ)
    naive = datetime(2021, 1, 16, 10, 0)  # taken as Vietnam wall time
    assert parse_date("hôm qua", naive) == datetime(2021, 1, 15, tzinfo=VN_TZ)


def test_header_today_clock_is_still_a_date() -> None:
    """Telling the header clock from the article date is the extractor's job, not this one's."""
    got = resolve_date("Thứ bảy, ngày 16/1/2021", REF)
    assert got == ParsedDate(datetime(2021, 1, 16, tzinfo=VN_TZ), "day", False)
    got = resolve_date("Thứ Bảy, ngày 29 tháng 2 năm 2020 - 8:28:19 PM", REF)
    assert got is not None and got.value == datetime(2020, 2, 29, 20, 28, 19, tzinfo=VN_TZ)


def test_dateparser_misread_is_fixed() -> None:
    got = resolve_date("08 giờ 30 phút, ngày 14/01/2021", REF)
    assert got == ParsedDate(datetime(2021, 1, 14, 8, 30, tzinfo=VN_TZ), "minute", False)


def test_parse_date_and_frozen() -> None:
    got = resolve_date("13/01/2021 14:21", REF)
    assert got is not None and parse_date("13/01/2021 14:21", REF) == got.value
    with pytest.raises(FrozenInstanceError):
        got.precision = "day"  # type: ignore[misc]


# --- dates in URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected", "precision"),
    [
        (
            "https://vpcp.chinhphu.vn/quan-triet-thuc-hien-nghi-quyet-18-nq-tw-115241201164520419.htm",
            datetime(2024, 12, 1, 16, 45, 20, tzinfo=VN_TZ),
            "minute",
        ),
        (
            " /phoi-hop-lan-toa-thong-diep-ve-tang-truong-xanh-ben-vung-102241128182240327.htm",
            datetime(2024, 11, 28, 18, 22, 40, tzinfo=VN_TZ),
            "minute",
        ),
        (
            "https://vinhlinh.quangtri.gov.vn/vi/chi-tiet/-/view-article/1/1647698202167/1750662283729",
            datetime(2025, 6, 23, 14, 4, 43, tzinfo=VN_TZ),  # the last epoch-ms segment
            "minute",
        ),
        ("https://example.vn/2021/01/13/slug/", datetime(2021, 1, 13, tzinfo=VN_TZ), "day"),
        (
            "https://baovinhlong.com.vn/thoi-su/201807/to-chuc-lai-van-phong-cap-uy-2901910/",
            datetime(2018, 7, 1, tzinfo=VN_TZ),
            "month",
        ),
        (
            "https://baobariavungtau.com.vn/chinh-tri/202112/abc-940766",
            datetime(2021, 12, 1, tzinfo=VN_TZ),
            "month",
        ),
        ("https://example.vn/2021/01/slug", datetime(2021, 1, 1, tzinfo=VN_TZ), "month"),
    ],
)
def test_date_from_url(url: str, expected: datetime, precision: str) -> None:
    got = date_from_url(url)
    assert got == ParsedDate(expected, precision, False)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "http://[::1",
        "https://dangcongsan.vn/thoi-su/abc-476939.html",
        "https://x.vn/2021/13/45/a",
        "https://x.vn/news/a-123456789012345678.htm",  # 18 digits, month 78
        "https://x.vn/a-199999999999999999.htm",
        "https://x.vn/tin/2024/",
        "https://x.vn/201899/abc",
        "https://x.vn/a?d=2021/01/13/",  # query strings are not read
        "https://x.vn/view/9999999999999",  # epoch ms in 2286
        "https://x.vn/view/1000000000000",  # epoch ms in 2001: an id, not a date
    ],
)
def test_date_from_url_unsure_is_none(url: str) -> None:
    assert date_from_url(url) is None
