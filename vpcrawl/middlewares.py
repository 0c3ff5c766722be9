"""Downloader middlewares: the last guard that nothing leaves the portal's own hosts."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

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
