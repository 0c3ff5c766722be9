"""The item pipelines on their own: date choice and sources, tone style, cleaning contract."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from scrapy.exceptions import DropItem

from vpcrawl.items import ArticleItem
from vpcrawl.pipelines.clean import CleanTextPipeline
from vpcrawl.pipelines.dates import DatePipeline
from vpcrawl.process import CounterStats

VN = timezone(timedelta(hours=7))
FETCHED = datetime(2021, 1, 16, 10, 0, tzinfo=VN).isoformat()


def item(**fields: object) -> ArticleItem:
    base = {"id": "x", "url": "http://t.vn/news/a/b-1.html", "site": "t", "title": "Hội nghị",
            "body_blocks": ["Nội dung bài viết đủ dài để là một đoạn văn bản."], "fetched_at": FETCHED}
    return ArticleItem(**{**base, **fields})  # type: ignore[arg-type]


def dated(it: ArticleItem) -> ArticleItem:
    return DatePipeline(CounterStats()).process_item(it)


def test_page_date_wins_and_source_is_recorded() -> None:
    it = dated(item(date_candidates=[("Thứ Tư 13/01/2021 14:21", "page"), ("2021-01-12T08:00:00+07:00", "meta")]))
    assert (it.published_at, it.date_source, it.date_precision) == ("2021-01-13T14:21:00+07:00", "page", "minute")
    assert it.published_raw == "Thứ Tư 13/01/2021 14:21"


def test_listing_date_is_used_when_the_page_has_none() -> None:
    it = dated(item(date_candidates=[("Lượt xem: 254", "page")], listing_date_raw="(12/01/2021)"))
    assert (it.published_at, it.date_source, it.date_precision) == ("2021-01-12T00:00:00+07:00", "listing", "day")


def test_relative_dates_resolve_against_the_fetch_time() -> None:
    it = dated(item(date_candidates=[("3 giờ trước", "page")]))
    assert it.published_at == "2021-01-16T07:00:00+07:00" and it.date_source == "relative"
    it = dated(item(date_candidates=[("Hôm qua lúc 08:15", "page")]))
    assert it.published_at == "2021-01-15T08:15:00+07:00" and it.date_source == "relative"


def test_url_date_is_the_last_resort() -> None:
    it = dated(item(url="https://baovinhlong.com.vn/thoi-su/201807/to-chuc-lai-van-phong-2901910/"))
    assert it.date_source == "url" and it.published_at and it.published_at.startswith("2018-07")


def test_no_date_anywhere_leaves_null_and_counts() -> None:
    stats = CounterStats()
    it = DatePipeline(stats).process_item(item(date_candidates=[("không có ngày", "page")]))
    assert it.published_at is None and stats.values["vpcrawl/dates/missing"] == 1


def test_since_drops_older_articles_with_a_count() -> None:
    from datetime import date

    stats = CounterStats()
    with pytest.raises(DropItem):
        DatePipeline(stats, since=date(2021, 1, 14)).process_item(item(date_candidates=[("13/01/2021", "page")]))
    assert stats.values["vpcrawl/dates/before_since"] == 1


@pytest.mark.parametrize(("style", "expected"), [("keep", "Tỉnh uỷ hoà"), ("old", "Tỉnh ủy hòa"), ("new", "Tỉnh uỷ hoà")])
def test_tone_style_setting_rewrites_output(style: str, expected: str) -> None:
    it = item(title="Tỉnh uỷ hoà giải", body_blocks=["Văn phòng Tỉnh uỷ hoà giải các vướng mắc trong công tác."])
    out = CleanTextPipeline(CounterStats(), style).process_item(it)
    assert out.title.startswith(expected)


def test_clean_pipeline_peels_byline_and_stops_at_marker() -> None:
    blocks = ["Đoạn một của bài viết về hội nghị giao ban.", "Xem với cỡ chữ", "Đoạn hai của bài viết.",
              "Đình Bộ- VPTU", "CÁC BÀI VIẾT KHÁC:", "Một bài khác"]
    out = CleanTextPipeline(CounterStats()).process_item(item(body_blocks=blocks))
    assert out.body == "Đoạn một của bài viết về hội nghị giao ban.\n\nĐoạn hai của bài viết."
    assert (out.author, out.source) == ("Đình Bộ", "VPTU")


def test_bad_tone_style_is_refused() -> None:
    with pytest.raises(ValueError, match="VPCRAWL_TONE_STYLE"):
        CleanTextPipeline(CounterStats(), "fancy")
