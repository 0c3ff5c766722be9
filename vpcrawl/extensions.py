"""Scrapy extension that opens the crawl state for a crawl and commits it with the data.

The state (`vpcrawl.state.crawlstate.CrawlState`) is persistent when `VPCRAWL_STATE_DIR` is set
(or, under `JOBDIR`, in `JOBDIR/vpcrawl-state` so a paused crawl resumes with its dedup
memory); otherwise it lives in memory for this crawl only. When a feed is configured the
run's articles are committed right before the feed file gets its final name (signal from
`vpcrawl.feeds`); without a feed, when the spider closes.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from vpcrawl import feeds, gctuning
from vpcrawl.state.crawlstate import CrawlState

logger = logging.getLogger(__name__)
STATE_FILE = "state.sqlite3"


def new_run_id() -> str:
    """Sortable and unique: UTC time plus randomness (also a safe file name)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def state_path(settings: Any) -> Path | None:
    state_dir = settings.get("VPCRAWL_STATE_DIR") or ""
    if not state_dir and settings.get("JOBDIR"):
        state_dir = str(Path(settings.get("JOBDIR")) / "vpcrawl-state")
    return Path(state_dir) / STATE_FILE if state_dir else None


class CrawlStateExtension:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        path = state_path(settings)
        self.persistent = path is not None
        self.state = CrawlState.for_path(path or ":memory:", settings.getfloat("VPCRAWL_NEAR_DUP_THRESHOLD", 0.5))
        if self.state.recovered:
            logger.warning("finished interrupted runs: %s", ", ".join(self.state.recovered))
        self.run_id = settings.get("VPCRAWL_RUN_ID") or new_run_id()
        self.has_feed = bool(settings.getdict("FEEDS"))
        self.committed = False
        self.released = False
        crawler.vpcrawl_state = self
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.feed_ready, signal=feeds.feed_ready)
        crawler.signals.connect(self.feed_committed, signal=feeds.feed_committed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlStateExtension:
        return cls(crawler)

    @property
    def site(self) -> str:
        return getattr(self.crawler.spider, "site_id", "") or ""

    def feed_ready(self, part_path: Path, final_path: Path) -> None:
        if self.committed:
            return
        n = self.state.commit_run(self.run_id, self.site, str(part_path), str(final_path))
        self.committed = True
        self.crawler.stats.set_value("vpcrawl/state/committed_articles", n)

    def feed_committed(self, path: Path) -> None:
        if self.committed and not self.released:
            self.state.mark_done(self.run_id)
            self.state.release()
            self.released = True

    def spider_closed(self, spider: Any, reason: str) -> None:
        if not self.has_feed and not self.committed:
            n = self.state.commit_run(self.run_id, self.site)
            self.committed = True
            self.crawler.stats.set_value("vpcrawl/state/committed_articles", n)
        if not self.has_feed and not self.released:
            self.state.release()
            self.released = True


class GarbageCollectorTuning:
    """Tunes Python's garbage collector for the crawl (`VPCRAWL_GC_GEN0`, see
    `vpcrawl.gctuning`) when the crawl is set up, and puts it back when the engine stops.
    Page workers tune their own (`vpcrawl.pagework`)."""

    def __init__(self, crawler: Any, gen0: int) -> None:
        self.tuned = gctuning.tune(gen0)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> GarbageCollectorTuning:
        gen0 = crawler.settings.getint("VPCRAWL_GC_GEN0", 0)
        if gen0 <= 0:
            raise NotConfigured("VPCRAWL_GC_GEN0 is 0: the garbage collector keeps its defaults")
        return cls(crawler, gen0)

    def engine_stopped(self) -> None:
        if self.tuned:
            self.tuned = False
            gctuning.restore()
