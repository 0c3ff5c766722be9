"""One page through extraction and the item pipelines, without the Scrapy engine.

What a crawl does to an article page, as a function: the fixture tests and `vpcrawl extract`
use it, so "extraction matches the expected item" means the same thing offline and in a crawl.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from parsel import Selector

from vpcrawl.extract.page import PageResult, legacy_font_hint, looks_truncated, read_page
from vpcrawl.items import EXPORT_FIELDS, ArticleItem
from vpcrawl.pipelines.clean import CleanTextPipeline
from vpcrawl.pipelines.dates import DatePipeline
from vpcrawl.pipelines.validate import ValidatePipeline
from vpcrawl.sites.base import Family
from vpcrawl.state.canonical import article_id, canonicalize


class CounterStats:
    """The part of Scrapy's stats collector the pipelines use."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count


def item_from_page(result: PageResult, url: str, site: str, family: type[Family] | None,
                   fetched_at: datetime) -> ArticleItem | None:
    raw = result.raw
    if raw is None:
        return None
    canonical = canonicalize(url, family.canonical if family else None)
    return ArticleItem(
        id=article_id(canonical), url=canonical, site=site, title=raw.title, summary=raw.summary,
        category=raw.category, tags=raw.tags, images=raw.images, attachments=raw.attachments,
        family=raw.family, layout=raw.layout, body_blocks=raw.body_blocks,
        byline_lines=raw.byline_lines, date_candidates=raw.date_candidates,
        fetched_at=fetched_at.isoformat(),
        crawled_at=fetched_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
    )


def process_html(
    html: str,
    url: str,
    family: type[Family] | None = None,
    site: str = "",
    fetched_at: datetime | None = None,
    family_fixed: bool | None = None,
) -> dict[str, Any] | None:
    """The exported item for one page (a dict of the public fields), or None if no article."""
    sel = Selector(text=html)
    fixed = family is not None if family_fixed is None else family_fixed
    result = read_page(sel, url, family, fixed, truncated=looks_truncated(html))
    now = fetched_at or datetime.now(timezone.utc)
    item = item_from_page(result, url, site, family, now)
    if item is None:
        return None
    item.legacy_font_hint = legacy_font_hint(html)
    stats = CounterStats()
    for stage in (CleanTextPipeline(stats), DatePipeline(stats), ValidatePipeline(stats)):
        item = stage.process_item(item)
    data = asdict(item)
    return {k: data[k] for k in EXPORT_FIELDS}
