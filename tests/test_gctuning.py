"""The garbage collector is tuned for a crawl (VPCRAWL_GC_GEN0) and put back after it, in the
crawler and in its page workers."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from tests.test_pagework import START, _cases, _job
from vpcrawl import gctuning
from vpcrawl.extensions import GarbageCollectorTuning
from vpcrawl.pagework import PageReader
from vpcrawl.process import CounterStats


@pytest.fixture(autouse=True)
def _collector_as_python_leaves_it() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    while gctuning._users:
        gctuning.restore()
    gc.set_threshold(*before)
    gc.unfreeze()


def test_tune_freezes_what_is_alive_and_restore_puts_the_thresholds_back() -> None:
    before = gc.get_threshold()
    assert not gctuning.tune(0) and gc.get_threshold() == before
    assert gctuning.tune(40_000)
    assert gc.get_threshold() == (40_000, before[1], before[2])
    assert gc.get_freeze_count() > 0
    # a second crawl of the same process shares the tuning; the first to end does not undo it
    assert gctuning.tune(40_000)
    gctuning.restore()
    assert gc.get_threshold()[0] == 40_000
    gctuning.restore()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    gctuning.restore()  # one too many: nothing to undo
    assert gc.get_threshold() == before


def test_the_extension_tunes_for_the_crawl_and_untunes_when_the_engine_stops() -> None:
    before = gc.get_threshold()
    with pytest.raises(NotConfigured):
        GarbageCollectorTuning.from_crawler(get_crawler(settings_dict={"VPCRAWL_GC_GEN0": 0}))
    assert gc.get_threshold() == before
    crawler = get_crawler(settings_dict={"VPCRAWL_GC_GEN0": 30_000})
    ext = GarbageCollectorTuning.from_crawler(crawler)
    assert ext.tuned and gc.get_threshold()[0] == 30_000
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert gc.get_threshold() == before and not ext.tuned


class ReportsCollector:
    """A pipeline whose `prepare` counts the collector's young threshold where it runs."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReportsCollector:
        return cls(crawler.stats)

    def prepare(self, item: Any) -> Any:
        self.stats.inc_value(f"gc_gen0/{gc.get_threshold()[0]}")
        return item

    def process_item(self, item: Any) -> Any:
        return item


@pytest.mark.parametrize("start", START)
def test_page_workers_tune_their_own_collector(start: str) -> None:
    portal, path = _cases()[0]
    settings = get_project_settings()
    settings.set("ITEM_PIPELINES", {"tests.test_gctuning.ReportsCollector": 50})
    settings.set("VPCRAWL_PAGE_WORKER_START", start)
    settings.set("VPCRAWL_GC_GEN0", 12_345)
    reader = PageReader(1, settings, SimpleNamespace(stats=CounterStats()))

    async def scenario() -> Any:
        assert await reader.wait_ready()
        return await reader.read(_job(portal, path))

    try:
        out = asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        reader.close()
    assert out.stats == {"gc_gen0/12345": 1}, "the worker's collector, tuned from the crawl's settings"
    assert gc.get_threshold()[0] != 12_345, "the crawler's own is the extension's to tune"
