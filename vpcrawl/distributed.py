"""Distributed crawling on scrapy-redis: several workers share one request queue, one
dupefilter and one deduplication index on a real Redis.

Switched on by one setting, `VPCRAWL_REDIS_URL` (e.g. `redis://10.0.0.5:6379/0`); install with
`pip install 'vpcrawl[redis]'`. Workers of one run share `VPCRAWL_RUN_ID` (default: today's
date, so workers started the same day cooperate); Redis keys are
`vpcrawl:<site>:<run>:requests|dupefilter|activity`, and expire a week after the run.

Deduplication across workers: article ids and content hashes are claimed with SET NX (the
first worker to claim an id or a text emits it); near-duplicate sketches live in Redis too
(32 LSH band sets + a signature hash), so the near-duplicate index never diverges between
workers. The SQLite state of each worker still drives its incremental runs: give each worker
the same sites every run (partition by site), or use `--full`.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from vpcrawl.state.sketch import SKETCH_SCHEME, NearDupIndex, similarity

logger = logging.getLogger(__name__)
KEY_TTL = 7 * 24 * 3600
VN = timezone(timedelta(hours=7))


def default_run_id() -> str:
    return datetime.now(VN).strftime("%Y-%m-%d")


def key_prefix(settings: Any, site: str) -> str:
    run = settings.get("VPCRAWL_RUN_ID") or default_run_id()
    return f"vpcrawl:{site}:{run}"


def configure(settings: Any, site: str) -> None:
    """Point Scrapy's scheduler and dupefilter at Redis (called from the spider's from_crawler,
    while settings can still change, because the keys depend on the site argument)."""
    url = settings.get("VPCRAWL_REDIS_URL")
    if not url:
        return
    prefix = key_prefix(settings, site)
    for name, value in {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # one worker closing must not flush the others' queue
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "REDIS_URL": url,
    }.items():
        settings.set(name, value, priority="spider")


class RedisDedupIndex:
    """Cross-worker article ids, content hashes and near-duplicate sketches on Redis."""

    def __init__(self, client: Any, threshold: float, namespace: str = "vpcrawl:dedup") -> None:
        self.r = client
        # sketches are only comparable with sketches made the same way: the scheme is part of
        # the key, so workers of another version never mix their bands with these
        self.ns = f"{namespace}:{SKETCH_SCHEME}"
        self.threshold = threshold
        # band hashing is the same function the SQLite index uses
        self._bands = NearDupIndex(":memory:", threshold=threshold)

    def claim_id(self, article_id: str) -> bool:
        """True for the first worker to emit this article id."""
        return bool(self.r.set(f"{self.ns}:id:{article_id}", 1, nx=True))

    def claim_hash(self, digest: str, article_id: str) -> str | None:
        """None if this text is new; else the id of the article that already has it."""
        key = f"{self.ns}:hash:{digest}"
        if self.r.set(key, article_id, nx=True):
            return None
        first = self.r.get(key)
        first = first.decode() if isinstance(first, bytes) else first
        return None if first == article_id else first

    def _band_keys(self, signature: bytes) -> list[str]:
        sig = np.frombuffer(signature, dtype="<u4")
        if self._bands.is_empty(sig):  # an empty text's signature would match every other one
            return []
        return [f"{self.ns}:band:{b}:{h}" for b, h in enumerate(self._bands.band_hashes(sig))]

    def query(self, signature: bytes) -> list[tuple[str, float]]:
        keys = self._band_keys(signature)
        if not keys:
            return []
        ids = {i.decode() if isinstance(i, bytes) else i for i in self.r.sunion(keys)}
        if not ids:
            return []
        ordered = sorted(ids)
        sigs = self.r.hmget(f"{self.ns}:sig", ordered)
        out = [(doc, similarity(signature, other)) for doc, other in zip(ordered, sigs, strict=True) if other]
        return sorted([m for m in out if m[1] >= self.threshold], key=lambda m: (-m[1], m[0]))

    def add(self, article_id: str, signature: bytes) -> None:
        pipe = self.r.pipeline()
        pipe.hset(f"{self.ns}:sig", article_id, signature)
        for key in self._band_keys(signature):
            pipe.sadd(key, article_id)
        pipe.execute()


class RedisCoordination:
    """Keeps idle workers alive while another worker of the run is still producing requests,
    and exposes the shared dedup index to the pipelines (`crawler.vpcrawl_redis`)."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        url = settings.get("VPCRAWL_REDIS_URL")
        if not url:
            raise NotConfigured
        import redis

        self.crawler = crawler
        self.client = redis.Redis.from_url(url)
        self.idle_wait = settings.getfloat("VPCRAWL_REDIS_IDLE_WAIT", 5.0)
        self.started = time.time()
        crawler.vpcrawl_redis = RedisDedupIndex(
            self.client, settings.getfloat("VPCRAWL_NEAR_DUP_THRESHOLD", 0.5))
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisCoordination:
        return cls(crawler)

    @property
    def activity_key(self) -> str:
        return f"{key_prefix(self.crawler.settings, self.crawler.spider.site_id)}:activity"

    def response_received(self, **_: Any) -> None:
        self.client.set(self.activity_key, time.time(), ex=KEY_TTL)

    def spider_idle(self, spider: Any) -> None:
        """Stay while any worker of the run was active recently (or we just started): the
        queue is empty now, but their pages are about to add links to it."""
        last = float(self.client.get(self.activity_key) or 0)
        if time.time() - max(last, self.started) < self.idle_wait:
            raise DontCloseSpider

    def spider_closed(self, spider: Any) -> None:
        prefix = key_prefix(self.crawler.settings, spider.site_id)
        for suffix in ("requests", "dupefilter", "activity"):
            self.client.expire(f"{prefix}:{suffix}", KEY_TTL)
