"""The spider's page budgets on their own: pagination is budgeted per listing, and the trap guard
(navigation pages per URL pattern) does not cut a CMS whose categories share one pager URL."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from vpcrawl.extract.listing import Link, PageLinks
from vpcrawl.spiders.portal import PortalSpider

BASE = "http://127.0.0.1:8000"


def _spider(**settings: Any) -> PortalSpider:
    crawler = get_crawler(PortalSpider, {"VPCRAWL_PAGE_WORKERS": 0, **settings})
    spider = PortalSpider.from_crawler(crawler, site="tinhuy-bentre", url=BASE + "/")
    crawler.spider = spider
    return spider


def _pager(cat: int, pages: range) -> list[str]:
    """mojoPortal's pager: every category's pages under one URL shape."""
    return [f"{BASE}/Article/CategoryPage.aspx?pageid=673&catid={cat}&pagenumber={n}" for n in pages]


def _follow(spider: PortalSpider, page_url: str, links: PageLinks) -> list[str]:
    return [r.url for r in spider.follow(links, HtmlResponse(page_url, body=b"<html></html>"))]


def _stat(spider: PortalSpider, key: str) -> int:
    return spider.crawler.stats.get_value(f"vpcrawl/{key}", 0)


def test_the_pagers_of_many_categories_are_not_cut_by_the_pattern_budget() -> None:
    spider = _spider(VPCRAWL_MAX_PATTERN_PAGES=5, VPCRAWL_MAX_LISTING_PAGES=50)
    requested = []
    for cat in range(101, 105):  # 4 categories x 10 more pages: 40 pages of one URL pattern
        requested += _follow(spider, f"{BASE}/cat-{cat}.aspx", PageLinks(next_pages=_pager(cat, range(2, 12))))
    assert len(requested) == 40 == len(set(requested))
    assert _stat(spider, "skipped/pattern_budget") == 0


def test_the_listings_one_pager_pattern_opens_are_budgeted() -> None:
    """A trap that makes ever-new listings (an archive by day with a pager on each) still ends:
    the pattern budget counts the listings of a pager pattern."""
    spider = _spider(VPCRAWL_MAX_PATTERN_PAGES=5)
    requested = []
    for cat in range(200, 220):
        requested += _follow(spider, f"{BASE}/cat-{cat}.aspx", PageLinks(next_pages=_pager(cat, range(2, 4))))
    cats = {u.split("catid=")[1].split("&")[0] for u in requested}
    assert len(cats) == 5 and len(requested) == 10
    assert _stat(spider, "skipped/pattern_budget") == 15 * 2


def test_each_listing_keeps_its_own_page_budget() -> None:
    spider = _spider(VPCRAWL_MAX_LISTING_PAGES=4)
    requested = _follow(spider, f"{BASE}/cat-101.aspx", PageLinks(next_pages=_pager(101, range(2, 30))))
    assert len(requested) == 4
    assert _stat(spider, "skipped/listing_budget") == 24


@pytest.mark.parametrize("budget", [3, 7])
def test_other_navigation_pages_share_a_budget_per_pattern(budget: int) -> None:
    """A calendar linked as ordinary links (not a pager): pages per pattern, as before."""
    spider = _spider(VPCRAWL_MAX_PATTERN_PAGES=budget)
    days = [Link(f"{BASE}/lich/2024/01/{day:02d}.aspx") for day in range(1, 29)]
    requested = _follow(spider, f"{BASE}/lich.aspx", PageLinks(links=days))
    assert len(requested) == budget
    assert _stat(spider, "skipped/pattern_budget") == 28 - budget
