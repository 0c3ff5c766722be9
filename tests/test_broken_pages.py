"""Bad input is judged and counted, never a crash and never a half-empty item."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.conftest import FIXTURES
from vpcrawl.extract.page import looks_truncated
from vpcrawl.process import process_html
from vpcrawl.sites import FAMILIES
from vpcrawl.text.legacy import decode_html_bytes

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=VN)
PAGE = FIXTURES / "tinhuy-binhphuoc/www/news/xay-dung-dang/day-manh-chuyen-doi-so-trong-cac-co-quan-dang-tinh-2519.html"
URL = "http://tinhuybinhphuoc.vn/news/xay-dung-dang/day-manh-chuyen-doi-so-trong-cac-co-quan-dang-tinh-2519.html"


def run(html: str, family: str | None = "nukeviet") -> dict | None:
    return process_html(html, URL, FAMILIES[family] if family else None, site="t", fetched_at=NOW)


def test_whole_page_is_an_article() -> None:
    item = run(PAGE.read_text(encoding="utf-8"))
    assert item is not None and item["title"] and item["body"]


def test_truncated_page_is_not_emitted() -> None:
    html = PAGE.read_text(encoding="utf-8")
    cut = html[: html.index('id="news-bodyhtml"') + 400]
    assert looks_truncated(cut)
    assert run(cut) is None
    assert run(cut, family=None) is None


def test_page_without_title_or_body_is_not_emitted() -> None:
    html = PAGE.read_text(encoding="utf-8")
    no_title = html.replace('itemprop="headline"', "").replace('<h1 class="title', '<div class="x')
    no_title = no_title.replace("</h1>", "</div>")
    item = run(no_title)
    assert item is None or (item["title"] and item["body"])  # generic fallback may still find a real title
    assert run("<html><body><p>Trang đang bảo trì</p></body></html>") is None


def test_garbage_date_leaves_published_at_empty_not_wrong() -> None:
    html = PAGE.read_text(encoding="utf-8")
    start = html.index('<span class="h5">')
    end = html.index("</span>", start)
    garbled = html[:start] + '<span class="h5">Thứ ?? - ??/??/???? ??:??' + html[end:]
    garbled = garbled.replace('content="2022-06-02', 'content="xxxx-06-02')
    garbled = garbled.replace('itemprop="datePublished"', 'itemprop="x"')
    item = run(garbled)
    assert item is not None
    assert item["published_at"] in (None, "2022-06-02T14:50:00+07:00")


def test_huge_text_is_handled_quickly() -> None:
    html = PAGE.read_text(encoding="utf-8")
    big = "<p>" + ("Văn phòng Tỉnh ủy tổ chức hội nghị giao ban. " * 110_000) + "</p>"  # ~5 MB
    item = run(html.replace('<div id="news-bodyhtml" class="bodytext margin-bottom-lg">',
                            '<div id="news-bodyhtml" class="bodytext margin-bottom-lg">' + big))
    assert item is not None and len(item["body"]) <= 1_100_000  # capped, not choked on


def test_undecodable_bytes_never_raise() -> None:
    text, encoding = decode_html_bytes(bytes(range(256)) * 100, "utf-8")
    assert isinstance(text, str) and encoding
    assert run(text, family=None) is None


def test_category_page_at_an_article_shaped_url_is_navigation_not_a_failure() -> None:
    """mojoPortal category pages are page names like articles' (`/cong-tac-van-phong-cap-uy.aspx`
    has the slug shape of an article URL): the family's listing entries on the page say it
    is a listing, so it is not counted as an unreadable article."""
    from parsel import Selector

    from vpcrawl.extract.page import read_page

    html = (FIXTURES / "tinhuy-bentre/www/tin-hoat-dong.aspx").read_text(encoding="utf-8")
    family = FAMILIES["mojoportal"]
    url = "http://tinhuy.bentre.dcs.vn/cong-tac-van-phong-cap-uy.aspx"
    assert family.is_article_url("/cong-tac-van-phong-cap-uy.aspx")
    for candidate in (False, True):
        assert read_page(Selector(text=html), url, family, candidate=candidate).outcome == "navigation"
    # an article page that lost its text is still a failure at the same URL shape
    article = (FIXTURES / "tinhuy-bentre/www/hoi-nghi-ban-chap-hanh-dang-bo-tinh-lan-thu-12-mo-rong.aspx"
               ).read_text(encoding="utf-8")
    gutted = Selector(text=article)
    for el in gutted.root.xpath("//div[@id='article_text'] | //h1 | //h2"):
        el.getparent().remove(el)
    assert read_page(gutted, url, family).outcome == "failed"
