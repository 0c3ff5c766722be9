"""The one spider: `portal`. It decides what to fetch next and which profile applies; nothing else.

Two ways in:
  scrapy crawl portal -a site=<id>            a built-in profile from the registry
  scrapy crawl portal -a url=<root URL>       zero-config: fingerprint the CMS, else heuristics
  scrapy crawl portal -a site=<id> -a url=<root URL>   a profile at another address (a mirror)
Common arguments: since=YYYY-MM-DD, max_articles=N, max_pages=N (listing pages per listing).
Incremental (with VPCRAWL_STATE_DIR): known articles are not fetched again and listings stop
paginating at pages holding only known articles; full=1 backfills everything;
recheck_days=N refetches known articles published in the last N days (revisions, takedowns).
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse

from vpcrawl import distributed
from vpcrawl.extract.listing import PageLinks, listing_key
from vpcrawl.extract.page import NON_ARTICLE, url_path
from vpcrawl.pagework import PageJob, PageOutcome, PageReader
from vpcrawl.sites import FAMILIES, Family, UnknownSite, get_portal, portals
from vpcrawl.state.canonical import CanonicalRules, article_id, canonicalize, strip_session

_DIGITS = re.compile(r"\d+")


def classify_failure(failure: Any) -> tuple[str, str]:
    """(kind, reason) of a failed request, for stats keys and one log line."""
    from scrapy.spidermiddlewares.httperror import HttpError

    exc = failure.value
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}", f"HTTP {exc.response.status}"
    if "robots" in text.lower():
        return "robots_txt", text
    if "off-site" in text or "scheme not allowed" in text:
        return "offsite", text
    if "redirect" in text.lower():
        return "redirect_loop", text
    if "Timeout" in name or "timed out" in text.lower():
        return "timeout", text or name
    if "maxsize" in text.lower().replace(" ", "") or "max size" in text.lower() or "warnsize" in text.lower():
        return "too_large", text
    if name in ("ResponseDataLossError", "ConnectionLost", "ResponseFailed", "ConnectionRefusedError",
                "ConnectionDone", "PotentialDataLoss", "TCPTimedOutError", "ConnectError",
                "ConnectionResetError"):
        return "connection", f"{name}: {text}"[:200]
    if name in ("error", "BadGzipFile", "DecompressionMaxSizeExceeded", "OSError", "EOFError"):
        return "bad_encoding", f"{name}: {text}"[:200]
    return name.lower(), text[:200]


def _parse_since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"-a since={value!r}: expected a date as YYYY-MM-DD, e.g. since=2024-01-31") from None


def _positive_int(name: str, value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1
    if number < 1:
        raise UsageError(f"-a {name}={value!r}: expected a whole number >= 1")
    return number


def _root_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"-a url={value!r}: expected an absolute http(s) URL such as https://tinhuy.example.dcs.vn/"
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def fetch_time(response: Response) -> datetime:
    """When the page was served: its Date header, else now (the 'now' for relative dates)."""
    header = response.headers.get(b"Date")
    if header:
        try:
            return parsedate_to_datetime(header.decode("latin-1"))
        except (TypeError, ValueError):
            pass
    return datetime.now(timezone.utc)


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(
        self,
        site: str | None = None,
        url: str | None = None,
        since: str | None = None,
        max_articles: str | int | None = None,
        max_pages: str | int | None = None,
        full: str | int | None = None,
        recheck_days: str | int | None = None,
        site_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if site or url:
            self.point_at(site, url, site_id)
        elif os.environ.get("SCRAPY_CHECK"):
            # `scrapy check`: each contract points the spider at its page (vpcrawl.contracts)
            self.portal, self.site_id, self.start_urls = None, "", []
            self.family, self.family_fixed, self.allowed_hosts = None, False, set()
        else:
            raise UsageError(
                "give -a site=<id> (one of: " + ", ".join(portals()) + ") or -a url=<portal root URL>"
            )
        self.since = _parse_since(since)
        self.max_articles = _positive_int("max_articles", max_articles)
        self.max_pages_arg = _positive_int("max_pages", max_pages)
        self.full = str(full or "").lower() in ("1", "true", "yes")
        self.recheck_days = _positive_int("recheck_days", recheck_days)
        self.articles_emitted = 0
        self.listing_pages: defaultdict[str, set[str]] = defaultdict(set)
        self.pattern_pages: Counter[str] = Counter()
        self.pattern_listings: defaultdict[str, set[str]] = defaultdict(set)  # pager pages' listings
        self.pages_scheduled = 0
        self.requested: set[str] = set()
        self.all_known_pages: Counter[str] = Counter()
        self.known: set[str] = set()

    def point_at(self, site: str | None, url: str | None, site_id: str | None = None) -> None:
        """What to crawl: a registry profile (`site`), a root URL in zero-config mode (`url`),
        or a profile at another address (both: a mirror, a moved portal)."""
        self.portal = None
        if site:
            try:
                self.portal = get_portal(site)
            except UnknownSite as exc:
                raise UsageError(str(exc)) from None
        # zero-config items carry the host as their site id unless one is given (-a site_id=)
        self.site_id = site or site_id or urlsplit(_root_url(url or "")).hostname or ""
        self.start_urls = self._start_urls(url)
        self.family: type[Family] | None = (
            FAMILIES[self.portal.family] if self.portal and self.portal.family else None
        )
        self.family_fixed = self.family is not None
        hosts = {urlsplit(u).hostname or "" for u in self.start_urls}
        if self.portal and not url:
            # the live portal's alias hosts; a crawl at another address (-a url=, e.g. a
            # mirror) must never wander onto the live hosts
            hosts.update(self.portal.aliases)
        self.allowed_hosts = {h.lower() for h in hosts if h}

    def _start_urls(self, url: str | None) -> list[str]:
        if self.portal is None:
            return [_root_url(url or "")]
        if not url:
            return list(self.portal.start_urls)
        root = urlsplit(_root_url(url))
        # Same paths, another address: how a profile crawls a mirror or a moved portal.
        return [
            urlunsplit((root.scheme, root.netloc, urlsplit(u).path or "/", urlsplit(u).query, ""))
            for u in self.portal.start_urls
        ]

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        try:
            spider.page_reader = PageReader.from_settings(settings, crawler)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        crawler.signals.connect(spider.page_reader.close, signal=signals.spider_closed)
        spider.max_listing_pages = spider.max_pages_arg or settings.getint("VPCRAWL_MAX_LISTING_PAGES", 50)
        spider.max_site_pages = settings.getint("VPCRAWL_MAX_SITE_PAGES", 20000)
        spider.max_pattern_pages = settings.getint("VPCRAWL_MAX_PATTERN_PAGES", 50)
        spider.allowed_hosts.update(h.lower() for h in settings.getlist("VPCRAWL_HOST_ALIASES"))
        spider.known_page_tolerance = settings.getint("VPCRAWL_INCREMENTAL_TOLERANCE", 1)
        distributed.configure(settings, spider.site_id)  # no-op unless VPCRAWL_REDIS_URL is set
        return spider

    # --- helpers -------------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"vpcrawl/{key}", n)

    def is_own_host(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.allowed_hosts

    @property
    def canonical_rules(self) -> CanonicalRules | None:
        return self.family.canonical if self.family else None

    def _budget_left(self) -> bool:
        return self.max_articles is None or self.articles_emitted < self.max_articles

    # --- requests ------------------------------------------------------------------------
    @property
    def crawl_state(self) -> Any:
        """The crawl-state extension (not to be confused with Scrapy's JOBDIR `spider.state`)."""
        return getattr(self.crawler, "vpcrawl_state", None)

    @property
    def incremental(self) -> bool:
        return bool(self.crawl_state and self.crawl_state.persistent and not self.full)

    def is_known(self, url: str) -> bool:
        return self.incremental and canonicalize(url, self.canonical_rules) in self.known

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.set_value("vpcrawl/pagework/workers", self.page_reader.workers)
        if self.incremental:
            # Under JOBDIR, a resumed job keeps the set of articles known BEFORE the job began:
            # articles the job itself emitted before its pause must not stop its listings.
            job = getattr(self, "state", None)
            if isinstance(job, dict) and "vpcrawl_known" in job:
                self.known = job["vpcrawl_known"]
            else:
                self.known = self.crawl_state.state.known_urls(self.site_id)
                if isinstance(job, dict):
                    job["vpcrawl_known"] = self.known
            self.crawler.stats.set_value("vpcrawl/incremental/known_at_start", len(self.known))
        if self.recheck_days and self.crawl_state and self.crawl_state.persistent:
            since = datetime.now(timezone.utc) - timedelta(days=self.recheck_days)
            for url in self.crawl_state.state.recent_urls(self.site_id, since):
                self._count("incremental/recheck")
                yield scrapy.Request(url, callback=self.parse_page, priority=3, dont_filter=True,
                                     meta={"vp_recheck": True, "vp_candidate": True,
                                           "handle_httpstatus_list": [404, 410]})
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                 meta={"vp_home": True}, priority=10)
            parts = urlsplit(url)
            robots = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
            yield scrapy.Request(robots, callback=self.parse_robots, priority=5,
                                 meta={"dont_obey_robotstxt": True}, errback=self._ignore)

    def _ignore(self, failure: Any) -> None:
        self.logger.debug("discovery request failed: %s", failure.value)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """Sitemaps advertised in robots.txt: extra discovery, never the only path.

        @mirror tinhuy-binhphuoc /robots.txt
        @returns requests 1 1
        """
        for line in response.text.splitlines() if isinstance(response, TextResponse) else ():
            if line.lower().startswith("sitemap:"):
                url = response.urljoin(line.split(":", 1)[1].strip())
                if self.is_own_host(url):
                    yield scrapy.Request(url, callback=self.parse_feed, errback=self._ignore)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """Sitemap (urlset / sitemapindex) or RSS/Atom: article candidates.

        @mirror tinhuy-binhphuoc /sitemap.xml
        @returns requests 1
        """
        from vpcrawl.extract.feeds import feed_links

        for url, is_index in feed_links(response.body):
            if not self.is_own_host(url):
                self._count("skipped/offsite")
                continue
            self._count("discovery/feed_links")
            if is_index:
                yield scrapy.Request(url, callback=self.parse_feed, errback=self._ignore)
            elif (request := self._article_request(url, None)) is not None:
                yield request

    def page_request(self, url: str, priority: int = 0, listing: str | None = None,
                     **meta: Any) -> scrapy.Request | None:
        """A request for a page of the portal, or None when a budget says no.

        Session ids are stripped first (endless "new" URLs are a trap); navigation pages
        (everything but article candidates) share a per-pattern budget (the URL with its
        numbers masked: calendars, archives by day) and a per-site page budget.

        A page of a listing's pager (`listing`: its listing key) is counted per listing in
        `follow` instead, and its pattern budget counts listings, not pages: mojoPortal pages
        every category as `CategoryPage.aspx?pageid=N&catid=N&pagenumber=N`, one pattern for
        all categories, whose 50 pages were the whole portal's pagination.
        """
        url = strip_session(url)
        if url in self.requested:
            return None  # budgets count distinct pages, not every link to them
        self.requested.add(url)
        if listing is not None:
            listings = self.pattern_listings[_DIGITS.sub("N", url_path(listing))]
            if listing not in listings:
                if len(listings) >= self.max_pattern_pages:
                    self._count("skipped/pattern_budget")
                    return None
                listings.add(listing)
        elif not meta.get("vp_candidate"):
            pattern = _DIGITS.sub("N", url_path(url))
            if self.pattern_pages[pattern] >= self.max_pattern_pages:
                self._count("skipped/pattern_budget")
                return None
            self.pattern_pages[pattern] += 1
        if self.pages_scheduled >= self.max_site_pages:
            self._count("skipped/site_budget")
            return None
        self.pages_scheduled += 1
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                              priority=priority, meta=meta)

    def _article_request(self, url: str, listing_date: str | None) -> scrapy.Request | None:
        if self.is_known(url):
            self._count("incremental/skipped_known")
            return None
        return self._candidate_request(url, listing_date)

    def _candidate_request(self, url: str, listing_date: str | None) -> scrapy.Request | None:
        # articles first: the backlog of article requests stays small (memory stays flat)
        return self.page_request(url, priority=20, vp_candidate=True, vp_listing_date=listing_date)

    def on_error(self, failure: Any) -> None:
        """A request that finally failed (after retries): logged once with its reason, counted."""
        request = failure.request
        kind, reason = classify_failure(failure)
        self._count(f"errors/{kind}")
        if kind in ("robots_txt", "offsite"):
            return
        self.logger.warning("%s: %s (%s)", kind, request.url, reason)

    # --- pages ---------------------------------------------------------------------------
    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """Every fetched page: read it (in a page worker, see vpcrawl.pagework), then count,
        emit the article, or follow the links.

        @mirror tinhuy-binhphuoc /news/xay-dung-dang/dai-hoi-diem-chi-bo-phong-tong-hop-van-phong-tinh-uy-nhiem-ky-2025-2027-4108.html
        @returns items 1 1
        @extracts title body_blocks date_candidates images
        """
        if response.meta.get("vp_recheck") and response.status in (404, 410):
            self.record_removal(response)
            return
        if not isinstance(response, TextResponse):
            self._count("pages/not_html")
            return
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if "xml" in ctype or "rss" in ctype:
            for request in self.parse_feed(response):
                yield request
            return
        if ctype and "html" not in ctype:
            self._count("pages/not_html")
            return
        outcome = await self.page_reader.read(self.page_job(response))
        for entry in self.handle_page(outcome, response):
            yield entry

    def page_job(self, response: TextResponse) -> PageJob:
        """What reading this page needs. The reader decodes the bytes itself: a wrong declared
        charset (UTF-8 sent as latin-1, windows-1258) is caught there, not left as mojibake."""
        home = bool(response.meta.get("vp_home"))
        return PageJob(
            body=response.body, declared_encoding=response.encoding, url=response.url,
            site_id=self.site_id, fetched_at=fetch_time(response),
            own_hosts=frozenset(self.allowed_hosts), family=self.family.name if self.family else None,
            family_fixed=self.family_fixed, candidate=bool(response.meta.get("vp_candidate")),
            listing_date=response.meta.get("vp_listing_date"), home=home,
            detect_family=home and self.family is None and not self.family_fixed
            and self.settings.getbool("VPCRAWL_FINGERPRINT", True),
            encode_body=self.page_reader.encode_bodies,
        )

    def handle_page(self, outcome: PageOutcome, response: Response) -> Iterator[Any]:
        """Count what the page was, then emit its article or follow its links."""
        if outcome.encoding and outcome.encoding != response.encoding:
            self._count(f"decode/{outcome.encoding}")
        if outcome.detected_family and self.family is None:
            self.family = FAMILIES[outcome.detected_family]
            self.logger.info("%s looks like %s; using its profile", response.url, self.family.label)
            self.crawler.stats.set_value("vpcrawl/family", self.family.name)
        for url in outcome.feeds:
            if self.is_own_host(url):
                yield scrapy.Request(url, callback=self.parse_feed, errback=self._ignore)
        if outcome.truncated:
            # a cut or empty 200 answer is usually transient: ask again before giving up
            retry = get_retry_request(response.request, spider=self,
                                      reason="empty_page" if outcome.empty else "truncated_page")
            if retry is not None:
                yield retry
                return
        for key, n in outcome.stats.items():
            self.crawler.stats.inc_value(key, n)
        if outcome.outcome == "error":
            # a page that breaks extraction is logged and counted, never fatal
            kind = (outcome.error or "Exception").split(":", 1)[0]
            self._count(f"errors/{kind}")
            self.logger.error("extraction failed on %s: %s", response.url, outcome.error)
            return
        if outcome.outcome == "truncated":
            self._count("extract/truncated")
            what = "empty page" if outcome.empty else "page truncated (no closing </html>)"
            self.logger.warning("%s, not emitted: %s", what, response.url)
        elif outcome.outcome == "failed":
            self._count("extract/failed")
            self.logger.warning("article page unreadable (no title or body): %s", response.url)
        elif outcome.outcome == "generic_fallback":
            self._count("extract/generic_fallback")
        elif outcome.outcome == "not_article":
            self._count("pages/not_article")
        if outcome.item is not None:
            if self._budget_left():
                self.articles_emitted += 1
                self._count("pages/article")
                yield outcome.item
            return
        self._count("pages/navigation")
        if outcome.links is not None:
            yield from self.follow(outcome.links, response)

    def follow(self, links: PageLinks, response: Response) -> Iterator[scrapy.Request]:
        if not self._budget_left():
            return
        key = listing_key(response.url)
        self.listing_pages[key].add(response.url)  # budgets count pages fetched or scheduled
        # which listed articles the state knows: canonicalized once per link, used twice below
        known = {link.url for link in links.items if self.is_known(link.url)} if self.incremental else set()
        if links.items and known and len(known) == len({link.url for link in links.items}):
            self.all_known_pages[key] += 1
        if links.items and self.since and self._all_older_than_since(links, response):
            self._count("skipped/listing_older_than_since")
        elif self.incremental and self.all_known_pages[key] >= max(1, self.known_page_tolerance):
            self._count("incremental/listing_stop")
        else:
            for url in links.next_pages:
                if not self.is_own_host(url):
                    continue
                listing = listing_key(url)
                pages = self.listing_pages[listing]
                if url in pages:
                    continue
                if len(pages) >= self.max_listing_pages:
                    self._count("skipped/listing_budget")
                    continue
                pages.add(url)
                # a listing's pages share its depth (see ListingDepthMiddleware): max_pages
                # bounds how deep a pager goes, DEPTH_LIMIT how deep the navigation goes
                if (request := self.page_request(url, priority=1, listing=listing, vp_same_depth=True)) is not None:
                    yield request
        for link in links.items:
            if not self.is_own_host(link.url) or NON_ARTICLE.search(url_path(link.url)):
                continue
            if link.url in known:
                self._count("incremental/skipped_known")
            elif (request := self._candidate_request(link.url, link.date_raw)) is not None:
                yield request
        for link in links.links:
            if not self.is_own_host(link.url):
                continue
            path = url_path(link.url)
            if NON_ARTICLE.search(path):
                continue
            if self.family and self.family.is_article_url(path):
                request = self._article_request(link.url, None)
            else:
                request = self.page_request(link.url)
            if request is not None:
                yield request

    def closed(self, reason: str) -> None:
        """Say what the budgets left unfetched: a dataset cut short must not look complete.
        A WARNING when pagination or the site budget stopped (articles were likely missed;
        the remedy is named), an INFO line when only the trap guards did (their job)."""
        stats = self.crawler.stats
        listing, site, pattern, depth = (
            stats.get_value(key, 0) or 0
            for key in ("vpcrawl/skipped/listing_budget", "vpcrawl/skipped/site_budget",
                        "vpcrawl/skipped/pattern_budget", "depth/request_ignored_count"))
        data, traps = [], []
        if listing:
            data.append(f"{listing} listing pages past max_pages={self.max_listing_pages} (raise -a max_pages=N)")
        if site:
            data.append(f"{site} pages past VPCRAWL_MAX_SITE_PAGES={self.max_site_pages}")
        if pattern:
            traps.append(f"{pattern} navigation pages past VPCRAWL_MAX_PATTERN_PAGES="
                         f"{self.max_pattern_pages} per URL pattern")
        if depth:
            traps.append(f"{depth} links past DEPTH_LIMIT={self.settings.getint('DEPTH_LIMIT')}")
        if data:
            self.logger.warning("budgets left pages unfetched, the data may be incomplete: %s",
                                "; ".join(data + traps))
        elif traps:
            self.logger.info("trap guards left pages unfetched: %s", "; ".join(traps))

    def record_removal(self, response: Response) -> None:
        """A known article now answers 404/410: a takedown, recorded in the state and stats."""
        url = canonicalize(response.url, self.canonical_rules)
        self._count("incremental/removed")
        self.logger.warning("known article removed (HTTP %s): %s", response.status, url)
        self.crawl_state.state.add_removal(self.crawl_state.run_id, article_id(url), url, response.status)
        removed = self.crawler.stats.get_value("vpcrawl/removed_urls") or []
        self.crawler.stats.set_value("vpcrawl/removed_urls", [*removed, url])

    def _all_older_than_since(self, links: PageLinks, response: Response) -> bool:
        from vpcrawl.dates import parse_date

        now = fetch_time(response)
        dated = [parse_date(link.date_raw, now) for link in links.items if link.date_raw]
        dated = [d for d in dated if d is not None]
        return bool(dated) and self.since is not None and all(d.date() < self.since for d in dated)
