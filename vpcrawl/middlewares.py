"""Middlewares: the last guard that nothing leaves the portal's own hosts; Scrapy's
meta-refresh redirects without decoding every page in the crawler process; Scrapy's depth
limit, with the pages of a listing at one depth."""

from __future__ import annotations

import codecs
import functools
import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as _ScrapyMetaRefresh
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.depth import DepthMiddleware

logger = logging.getLogger(__name__)
ALLOWED_SCHEMES = ("http", "https")


class OffsiteGuardMiddleware:
    """Drops any request (including a redirect target) off the spider's allowed hosts or schemes.

    The spider already filters links; this catches redirects and anything a future code path
    forgets, so a crawl of a Party portal never wanders onto another site.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> OffsiteGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        spider = self.crawler.spider
        parts = urlsplit(request.url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            self.crawler.stats.inc_value("vpcrawl/skipped/scheme")
            raise IgnoreRequest(f"scheme not allowed: {request.url}")
        hosts = getattr(spider, "allowed_hosts", None)
        if hosts and (parts.hostname or "").lower() not in hosts:
            self.crawler.stats.inc_value("vpcrawl/skipped/offsite")
            logger.info("not fetching off-site URL %s", request.url)
            raise IgnoreRequest(f"off-site: {request.url}")
        return None


_PROBE = "<meta http-equiv=refresh>"


@functools.lru_cache(maxsize=64)
def writes_ascii_as_ascii(encoding: str) -> bool:
    """Whether an encoding writes ASCII text as the same bytes (UTF-8, windows-125x, TCVN3 and
    VNI pages, ...; not UTF-16/32, EBCDIC, or UTF-7, which may also spell ASCII in base64):
    then an ASCII word absent from the bytes is absent from the text."""
    try:
        if codecs.lookup(encoding).name == "utf-7":
            return False
        return codecs.encode(_PROBE, encoding) == _PROBE.encode("ascii")
    except (LookupError, UnicodeError, TypeError):
        return False


class MetaRefreshMiddleware(_ScrapyMetaRefresh):
    """Scrapy's `MetaRefreshMiddleware` (same settings, same redirects) that rules a refresh out
    from the page's bytes before decoding it.

    Why: for every HTML response Scrapy decodes the whole body (`response.text`) and scans its
    first 4,096 characters with w3lib's tag patterns. In vpcrawl pages are decoded and parsed
    in a page worker, so that work was the crawler's alone: ~140 us a page on the benchmark
    mirror's 46 KB pages, against ~40 us for this check. A refresh needs the word "refresh" in
    those characters; in an encoding that writes ASCII as ASCII they lie within the first
    `HEAD_BYTES` bytes (4 bytes a character at most, twice that for escape sequences), so a
    page without the word there cannot redirect. Every other page goes through Scrapy's own
    check.
    """

    HEAD_BYTES = 8 * 4096

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if (isinstance(response, HtmlResponse)
                and b"refresh" not in response.body[: self.HEAD_BYTES].lower()
                and writes_ascii_as_ascii(response.encoding)):
            return response
        return super().process_response(request, response)


class ListingDepthMiddleware(DepthMiddleware):
    """Scrapy's `DepthMiddleware` (same DEPTH_LIMIT, DEPTH_PRIORITY and stats), except that a
    request marked `vp_same_depth` (the next pages of a listing's pager) keeps the depth of the
    page that links it instead of one more.

    Why: with Scrapy's count every listing page is one level deeper than the one before, so
    DEPTH_LIMIT (12, the guard against navigation traps) also capped pagination: behind a
    "next"-only pager the articles of page 12 and later were never fetched, whatever
    `-a max_pages=N` said. The length of a pager has its own budgets (`max_pages` per listing,
    and the listings one pager pattern may open); DEPTH_LIMIT now bounds only how far the
    navigation goes.
    """

    def get_processed_request(self, request: Any, response: Any) -> Any:
        if response is None or not request.meta.pop("vp_same_depth", False):
            return super().get_processed_request(request, response)
        depth = response.meta["depth"]  # already within DEPTH_LIMIT: the page linking it was
        request.meta["depth"] = depth
        if self.prio:
            request.priority -= depth * self.prio
        if self.verbose_stats:
            self.stats.inc_value(f"request_depth_count/{depth}")
        return request
