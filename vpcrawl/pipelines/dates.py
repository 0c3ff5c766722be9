"""Resolve the publication date from the candidates the extractor found, against the fetch time.

Candidates come best-first from the page (profile date element, metadata, text after the
title); the listing entry's date and a date in the URL are the fallbacks. The header "today"
clock never reaches here: extractors only look after the title or in named elements.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from vpcrawl.dates import ParsedDate, date_from_url, resolve_date
from vpcrawl.pipelines import is_prepared

logger = logging.getLogger(__name__)


def choose_date(
    candidates: list[tuple[str, str]], listing_raw: str | None, url: str, now: datetime
) -> tuple[ParsedDate, str, str] | None:
    """(parsed date, raw string, source) of the first candidate that holds a date."""
    ordered = list(candidates)
    if listing_raw:
        ordered.append((listing_raw, "listing"))
    for raw, source in ordered:
        parsed = resolve_date(raw, now)
        if parsed is not None:
            return parsed, raw, "relative" if parsed.relative else source
    from_url = date_from_url(url)
    if from_url is not None:
        return from_url, url, "url"
    return None


class DatePipeline:
    def __init__(self, stats: Any, since: date | None = None, crawler: Any = None) -> None:
        self.stats = stats
        self.since = since
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> DatePipeline:
        return cls(crawler.stats, crawler=crawler)

    def open_spider(self) -> None:
        spider = getattr(self.crawler, "spider", None)
        if getattr(spider, "since", None):
            self.since = spider.since

    def prepare(self, item: Any) -> Any:
        """Resolve the publication date (pure: runs in a page worker when there is one)."""
        adapter = ItemAdapter(item)
        fetched = adapter.get("fetched_at")
        now = datetime.fromisoformat(fetched) if fetched else datetime.now(timezone.utc)
        found = choose_date(list(adapter.get("date_candidates") or []), adapter.get("listing_date_raw"),
                            adapter.get("url") or "", now)
        if found is None:
            self.stats.inc_value("vpcrawl/dates/missing")
            adapter["published_at"] = None
            return item
        parsed, raw, source = found
        adapter["published_at"] = parsed.value.isoformat()
        adapter["published_raw"] = raw
        adapter["date_source"] = source
        adapter["date_precision"] = parsed.precision
        self.stats.inc_value(f"vpcrawl/dates/{source}")
        return item

    def process_item(self, item: Any) -> Any:
        if not is_prepared(item, self):
            self.prepare(item)
        published = ItemAdapter(item).get("published_at")
        day = datetime.fromisoformat(published).date() if published else None
        if self.since and day is not None and day < self.since:
            self.stats.inc_value("vpcrawl/dates/before_since")
            raise DropItem(f"published {day} before since={self.since}", log_level="INFO")
        return item
