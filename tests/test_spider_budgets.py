"""The spider's page budgets on their own: pagination is budgeted per listing, and the trap guard
(navigation pages per URL pattern) does not cut a CMS whose categories share one pager URL."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.depth import DepthMiddleware
from scrapy.utils.test import get_crawler

from vpcrawl.extract.listing import Link, PageLinks
from vpcrawl.middlewares import ListingDepthMiddleware
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


def _walk_next_only_pager(spider: PortalSpider, middleware: Any, pages: int) -> tuple[list[Request], list[Request]]:
    """Follow a "next"-only pager page by page through the depth middleware, as the engine
    would: (pager requests kept, article requests kept)."""
    first = Request(f"{BASE}/cat-7.aspx", meta={"depth": 1})
    response = HtmlResponse(first.url, body=b"<html></html>", request=first)
    pager, articles = [], []
    for n in range(2, pages + 2):
        links = PageLinks(items=[Link(f"{BASE}/bai-viet-{n}-{i}.aspx") for i in range(2)],
                          next_pages=[f"{BASE}/Article/CategoryPage.aspx?pageid=673&catid=7&pagenumber={n}"])
        out = list(middleware.process_spider_output(response, spider.follow(links, response)))
        nexts = [r for r in out if "pagenumber" in r.url]
        pager += nexts
        articles += [r for r in out if "bai-viet" in r.url]
        if not nexts:
            break
        response = HtmlResponse(nexts[0].url, body=b"<html></html>", request=nexts[0])
    return pager, articles


def test_a_pager_deeper_than_depth_limit_is_followed_to_its_own_budget() -> None:
    """DEPTH_LIMIT bounds the navigation, not the length of a pager: behind a "next"-only
    pager every listing page keeps the depth of the first, and its articles are one deeper."""
    spider = _spider(DEPTH_LIMIT=3, VPCRAWL_MAX_LISTING_PAGES=30)
    pager, articles = _walk_next_only_pager(spider, ListingDepthMiddleware.from_crawler(spider.crawler), 40)
    assert len(pager) == 30  # page 1 was not counted by follow: 30 more pages of the budget
    assert {r.meta["depth"] for r in pager} == {1} and {r.meta["depth"] for r in articles} == {2}
    assert len(articles) == 2 * 31
    assert all("vp_same_depth" not in r.meta for r in pager)  # consumed, never inherited
    # Scrapy's own middleware stops this pager at DEPTH_LIMIT
    spider = _spider(DEPTH_LIMIT=3, VPCRAWL_MAX_LISTING_PAGES=30)
    pager, _ = _walk_next_only_pager(spider, DepthMiddleware.from_crawler(spider.crawler), 40)
    assert len(pager) == 2


def test_depth_limit_still_bounds_navigation() -> None:
    spider = _spider(DEPTH_LIMIT=3)
    middleware = ListingDepthMiddleware.from_crawler(spider.crawler)
    deep = Request(f"{BASE}/lich/2024.aspx", meta={"depth": 3})
    response = HtmlResponse(deep.url, body=b"<html></html>", request=deep)
    links = PageLinks(links=[Link(f"{BASE}/lich/2024-{m}.aspx") for m in range(1, 4)])
    assert list(middleware.process_spider_output(response, spider.follow(links, response))) == []
    assert spider.crawler.stats.get_value("depth/request_ignored_count") == 3


def test_a_crawl_cut_by_its_listing_budget_says_so(caplog: pytest.LogCaptureFixture) -> None:
    spider = _spider(VPCRAWL_MAX_LISTING_PAGES=4)
    _follow(spider, f"{BASE}/cat-101.aspx", PageLinks(next_pages=_pager(101, range(2, 30))))
    with caplog.at_level("INFO"):
        spider.closed("finished")
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "24 listing pages past max_pages=4 (raise -a max_pages=N)" in warnings[0].getMessage()


def test_trap_guards_alone_are_an_info_line_and_a_clean_crawl_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    spider = _spider(VPCRAWL_MAX_PATTERN_PAGES=3)
    days = [Link(f"{BASE}/lich/2024/01/{day:02d}.aspx") for day in range(1, 11)]
    _follow(spider, f"{BASE}/lich.aspx", PageLinks(links=days))
    with caplog.at_level("INFO"):
        spider.closed("finished")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if "unfetched" in r.getMessage()]
    assert lines == [("INFO", "trap guards left pages unfetched: 7 navigation pages past "
                              "VPCRAWL_MAX_PATTERN_PAGES=3 per URL pattern")]
    caplog.clear()
    with caplog.at_level("INFO"):
        _spider().closed("finished")
    assert not [r for r in caplog.records if "unfetched" in r.getMessage()]
