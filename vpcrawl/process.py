"""One page through extraction and the item pipelines, without the Scrapy engine.

What a crawl does to an article page, as a function: the fixture tests and `vpcrawl extract`
use it, so "extraction matches the expected item" means the same thing offline and in a crawl.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from vpcrawl.extract.article import RawArticle
from vpcrawl.extract.page import PageResult, legacy_font_hint, looks_truncated, read_page
from vpcrawl.extract.query import compile_css, node
from vpcrawl.extract.tree import html_selector
from vpcrawl.items import EXPORT_FIELDS, ArticleItem
from vpcrawl.pipelines.clean import CleanTextPipeline
from vpcrawl.pipelines.dates import DatePipeline
from vpcrawl.pipelines.validate import ValidatePipeline
from vpcrawl.sites.base import Family
from vpcrawl.state.canonical import CanonicalRules, article_id, canonicalize


class CounterStats:
    """The part of Scrapy's stats collector the pipelines use."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count


def item_from_raw(raw: RawArticle, url: str, site: str, fetched_at: datetime,
                  listing_date: str | None = None, font_hint: str | None = None) -> ArticleItem:
    """The item the pipelines receive: raw fields plus identity and fetch context.
    `url` is the canonical article URL (see `canonical_url`)."""
    return ArticleItem(
        id=article_id(url), url=url, site=site, title=raw.title, summary=raw.summary,
        category=raw.category, tags=raw.tags, images=raw.images, attachments=raw.attachments,
        family=raw.family, layout=raw.layout, body_blocks=raw.body_blocks,
        byline_lines=raw.byline_lines, date_candidates=raw.date_candidates,
        listing_date_raw=listing_date, fetched_at=fetched_at.isoformat(),
        crawled_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        legacy_font_hint=font_hint,
    )


_CANONICAL = compile_css("link[rel=canonical]::attr(href)")  # the `<link>` elements, not a page walk


def canonical_url(sel: Selector, page_url: str, rules: CanonicalRules | None,
                  own_host: Callable[[str], bool]) -> str:
    """The article's canonical URL: the page's `<link rel=canonical>` when it points to the
    portal itself (how one article reached under two URLs gets one id), else the page URL,
    canonicalized with the family's rules."""
    href = _CANONICAL.first(node(sel))
    url = page_url
    if href:
        candidate = urljoin(page_url, href.strip())
        if own_host(candidate):
            url = candidate
    return canonicalize(url, rules)


def read_article(
    sel: Selector,
    html: str,
    url: str,
    family: type[Family] | None,
    family_fixed: bool,
    site: str,
    fetched_at: datetime,
    own_host: Callable[[str], bool],
    *,
    candidate: bool = False,
    truncated: bool = False,
    listing_date: str | None = None,
) -> tuple[PageResult, ArticleItem | None]:
    """What a page is (`read_page`'s verdict) and, for an article, the item the pipelines
    receive: the one recipe a crawl's page reader (vpcrawl.pagework) and `process_html` share."""
    result = read_page(sel, url, family, family_fixed, candidate=candidate, truncated=truncated)
    if result.raw is None:
        return result, None
    canonical = canonical_url(sel, url, family.canonical if family else None, own_host)
    return result, item_from_raw(result.raw, canonical, site, fetched_at, listing_date=listing_date,
                                 font_hint=legacy_font_hint(html))


def process_html(
    html: str,
    url: str,
    family: type[Family] | None = None,
    site: str = "",
    fetched_at: datetime | None = None,
    family_fixed: bool | None = None,
) -> dict[str, Any] | None:
    """The exported item for one page (a dict of the public fields), or None if no article."""
    fixed = family is not None if family_fixed is None else family_fixed
    host = urlsplit(url).hostname
    _, item = read_article(html_selector(html), html, url, family, fixed, site,
                           fetched_at or datetime.now(timezone.utc),
                           lambda u: urlsplit(u).hostname == host, truncated=looks_truncated(html))
    if item is None:
        return None
    stats = CounterStats()
    for stage in (CleanTextPipeline(stats), DatePipeline(stats), ValidatePipeline(stats)):
        item = stage.process_item(item)
    data = asdict(item)
    return {k: data[k] for k in EXPORT_FIELDS}
