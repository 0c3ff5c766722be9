"""The bare spider of the crawl benchmark (run A), and the meter extension both runs load.

`BareSpider` fetches what `scrapy crawl portal` fetches on the benchmark mirror (the start page,
/robots.txt, every same-host link of every navigation page; article pages are not searched for
links, as vpcrawl's spider does not either) and yields a trivial item per article page: no
tree for article pages, no pipelines, no feed export. Engine settings are vpcrawl's with the
usual local-mirror overrides, so the two runs differ only by vpcrawl's own work.

    cd <a dir without scrapy.cfg> && PYTHONPATH=<repo>/benchmarks scrapy runspider \\
        <repo>/benchmarks/bare_spider.py -a url=http://127.0.0.1:PORT/ -a article_re='^/news/.*\\d+\\.html$'

`CrawlMeter` (added to the project's extensions by `-s ADDONS={"bare_spider.MeterAddon": 0}`,
writing to `-s BENCH_METER_FILE=<path>`) records, inside the crawler process, the wall time and
CPU time (`resource.getrusage`, of the crawler and of its page-worker processes, which exit when
the spider closes) from `engine_started` to `engine_stopped` (after the spider and
the feed are closed and the state committed), responses and items, RSS (and the workers' RSS) and
peak RSS when the response count passes each of `BENCH_RSS_AT` (comma-separated), how many
HTML documents were parsed into a tree (`parsel.selector.create_root_node`,
`lxml.html.document_fromstring` and `vpcrawl.extract.tree.build_root` calls), and whether `dateparser` was ever imported.
"""

from __future__ import annotations

import gc
import json
import re
import resource
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

_PAGE = resource.getpagesize()


def _rss_kb() -> int:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * _PAGE // 1024


def _hwm_kb() -> int:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: that keeps the pre-exec peak of
    the forked parent, so a crawler started by a big benchmark process would report its size."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1])
    return 0


def _children_rss_kb() -> int:
    """RSS of the live child processes (vpcrawl's page workers), summed."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a benchmark extra
        return 0
    total = 0
    for child in psutil.Process().children(recursive=True):
        try:
            total += child.memory_info().rss // 1024
        except psutil.Error:
            pass
    return total


def _sample() -> dict[str, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)  # children that have exited (workers, at the end)
    return {"wall": time.time(), "perf": time.perf_counter(), "cpu": ru.ru_utime + ru.ru_stime,
            "user": ru.ru_utime, "sys": ru.ru_stime, "maxrss_kb": _hwm_kb(), "rss_kb": _rss_kb(),
            "children_cpu": ch.ru_utime + ch.ru_stime, "children_maxrss_kb": ch.ru_maxrss,
            "children_rss_kb": _children_rss_kb()}


class _ParseCounter:
    """Counts calls of the functions that build an HTML tree from a whole document."""

    def __init__(self) -> None:
        self.calls = 0
        import lxml.html
        import parsel.selector

        import vpcrawl.extract.tree

        for module, name in ((parsel.selector, "create_root_node"), (lxml.html, "document_fromstring"),
                             (vpcrawl.extract.tree, "build_root")):
            original = getattr(module, name)

            def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                self.calls += 1
                return _original(*args, **kwargs)

            setattr(module, name, counted)


class CrawlMeter:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.path = settings.get("BENCH_METER_FILE")
        self.rss_at = sorted(int(x) for x in settings.getlist("BENCH_RSS_AT"))
        self.stats = crawler.stats
        self.responses = 0
        self.items = 0
        self.start: dict[str, float] = {}
        self.marks: list[dict[str, float]] = []
        self.parses = _ParseCounter()
        self.dateparser_loaded_at_start = "dateparser" in sys.modules
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        self.reason = ""

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlMeter:
        return cls(crawler)

    def engine_started(self) -> None:
        self.start = _sample()
        self.parses.calls = 0

    def response_received(self, response: Response, request: Any, spider: Any) -> None:
        self.responses += 1
        if self.rss_at and self.responses == self.rss_at[0]:
            self.rss_at.pop(0)
            mark = _sample()
            mark["responses"] = self.responses
            self.marks.append(mark)

    def item_scraped(self, item: Any, response: Any, spider: Any) -> None:
        self.items += 1

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.reason = reason

    def engine_stopped(self) -> None:
        end = _sample()
        result = {
            "reason": self.reason,
            "start": self.start,
            "end": end,
            "wall_s": end["perf"] - self.start.get("perf", end["perf"]),
            "cpu_s": end["cpu"] - self.start.get("cpu", end["cpu"]),
            # page workers are started after engine_started and joined when the spider closes
            "children_cpu_s": end["children_cpu"] - self.start.get("children_cpu", end["children_cpu"]),
            "responses": self.responses,
            "items": self.items,
            "tree_parses": self.parses.calls,
            "dateparser_imported": "dateparser" in sys.modules and not self.dateparser_loaded_at_start,
            "rss_marks": self.marks,
            "stats": {k: v for k, v in self.stats.get_stats().items() if isinstance(v, (int, float))},
        }
        if self.path:
            with open(self.path, "w", encoding="utf-8") as f:
                json.dump(result, f)


class GcTuning:
    """For the Agc reference run (`-s BENCH_GC_GEN0=N`): the garbage-collector tuning vpcrawl
    ships (`vpcrawl.gctuning`: freeze what is alive after start-up, collect the young
    generation every N allocations), so that the benchmark also says what that tuning alone
    gives bare Scrapy. Written out here: the bare spider imports nothing of vpcrawl."""

    def __init__(self, gen0: int) -> None:
        threshold = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(gen0, threshold[1], threshold[2])

    @classmethod
    def from_crawler(cls, crawler: Any) -> GcTuning:
        gen0 = crawler.settings.getint("BENCH_GC_GEN0", 0)
        if gen0 <= 0:
            raise NotConfigured
        return cls(gen0)


class MeterAddon:
    """Adds CrawlMeter (and GcTuning, idle unless BENCH_GC_GEN0 is set) to whatever extensions
    the project (or the command line) enables."""

    def update_settings(self, settings: Any) -> None:
        settings["EXTENSIONS"]["bare_spider.CrawlMeter"] = 500
        settings["EXTENSIONS"]["bare_spider.GcTuning"] = 501


class BareSpider(scrapy.Spider):
    name = "bare"
    # vpcrawl's engine settings (vpcrawl/settings.py) with the benchmark's local-mirror overrides
    custom_settings: ClassVar[dict[str, Any]] = {
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "CONCURRENT_ITEMS": 4,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "RETRY_TIMES": 3,
        "DOWNLOAD_TIMEOUT": 30,
        "DEPTH_LIMIT": 12,
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, url: str = "", article_re: str = r"$^", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not url:
            raise ValueError("-a url=http://host:port/ is required")
        self.root = url
        self.article_re = re.compile(article_re)
        self.allowed_domains = [urlsplit(url).hostname or ""]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.root, callback=self.parse)
        yield scrapy.Request(urljoin(self.root, "/robots.txt"), callback=self.parse_robots)

    def parse_robots(self, response: Response) -> None:
        return None

    def parse(self, response: Response) -> Iterator[Any]:
        parts = urlsplit(response.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if self.article_re.search(path):
            yield {"url": response.url}
            return
        for href in response.css("a::attr(href)").getall():
            href = href.strip()
            if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
                yield response.follow(href, callback=self.parse)
