"""Reading pages in worker processes gives exactly what reading them in the crawler gives.

The contract of vpcrawl.pagework: workers run the `prepare` step of the leading pipelines,
`process_item` skips what was prepared, and the item that leaves the pipelines is the same
either way; a page that breaks reading is reported, never fatal; a pool that breaks is
replaced by inline reading without losing the page.
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import os
import signal
import sys
import threading
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from tests.conftest import MirrorPortal, mirror_portals
from vpcrawl.mirror import content_type_for, path_for
from vpcrawl.pagework import (
    PIPE_BYTES,
    PageJob,
    PageReader,
    ShareOfReads,
    build_stages,
    prepare_stages,
    read_fetched_page,
    run_prepare,
    start_method,
    widen_pipe,
    worker_count,
)
from vpcrawl.pipelines.clean import CleanTextPipeline
from vpcrawl.pipelines.dates import DatePipeline
from vpcrawl.pipelines.validate import ValidatePipeline
from vpcrawl.process import CounterStats
from vpcrawl.state.sketch import fingerprint

VN = timezone(timedelta(hours=7))
FETCHED = datetime(2026, 1, 5, 10, 0, tzinfo=VN)
PURE = [CleanTextPipeline, DatePipeline, ValidatePipeline]  # dedup's process_item needs a crawl state


def _job(portal: MirrorPortal, path: str, **kw: Any) -> PageJob:
    page = path_for(portal.www, path)
    ctype = content_type_for(path, page)
    declared = ctype.split("charset=", 1)[1].strip() if "charset=" in ctype else "utf-8"
    url = f"http://{portal.meta['host']}{path}"
    return PageJob(body=page.read_bytes(), declared_encoding=declared, url=url, site_id=portal.id,
                   fetched_at=FETCHED, own_hosts=frozenset({urlsplit(url).hostname or ""}),
                   family=portal.family, family_fixed=portal.family is not None, candidate=True, **kw)


def _cases() -> list[tuple[MirrorPortal, str]]:
    return [(p, path) for p in mirror_portals() for path in p.meta["articles"]]


def _pipelines(stats: CounterStats) -> list[Any]:
    return [CleanTextPipeline(stats), DatePipeline(stats), ValidatePipeline(stats)]


def _through(item: Any, pipelines: list[Any]) -> dict[str, Any] | None:
    try:
        for p in pipelines:
            item = p.process_item(item)
    except DropItem:
        return None
    data = asdict(item)
    for k in ("crawled_at", "prepared", "signature", "body_json"):
        data.pop(k)
    return data


def _settings() -> dict[str, Any]:
    return {"VPCRAWL_TONE_STYLE": "keep"}


# how a worker starts ("auto" picks by the threads pytest happens to have: say it outright)
START = [m for m in ("spawn", "fork") if m in __import__("multiprocessing").get_all_start_methods()]


def _project(start: str = "spawn") -> Settings:
    settings = get_project_settings()
    settings.set("VPCRAWL_PAGE_WORKER_START", start)
    return settings


@pytest.mark.parametrize(("portal", "path"), _cases(), ids=lambda v: v.id if isinstance(v, MirrorPortal) else v)
def test_prepared_in_a_worker_equals_processed_inline(portal: MirrorPortal, path: str) -> None:
    paths = [f"{c.__module__}.{c.__qualname__}" for c in PURE]
    stages = build_stages(_settings(), paths)
    worker = read_fetched_page(_job(portal, path), stages)
    inline = read_fetched_page(_job(portal, path))
    assert worker.outcome == inline.outcome and worker.error is None
    assert worker.item is not None and inline.item is not None, f"{portal.id}{path}: no article"
    assert worker.item.prepared == paths, "every pure stage prepared in the worker"
    # the worker did the work: its item already has the cleaned body and the date
    assert worker.item.body and worker.item.published_at
    stats_w, stats_i = CounterStats(), CounterStats()
    assert _through(worker.item, _pipelines(stats_w)) == _through(inline.item, _pipelines(stats_i))
    # counts made in the worker come back with the outcome; together they equal inline counts
    merged = stats_w.values.copy()
    merged.update(worker.stats)
    assert merged == stats_i.values


def test_dedup_prepare_is_the_fingerprint_of_the_cleaned_text() -> None:
    portal, path = _cases()[0]
    outcome = read_fetched_page(_job(portal, path), build_stages(_settings(), [
        "vpcrawl.pipelines.clean.CleanTextPipeline", "vpcrawl.pipelines.dates.DatePipeline",
        "vpcrawl.pipelines.dedup.DedupPipeline"]))
    item = outcome.item
    assert item is not None and item.prepared[-1] == "vpcrawl.pipelines.dedup.DedupPipeline"
    assert (item.content_hash, item.signature) == fingerprint(item.title or "", item.body or "")


def test_prepare_stages_are_the_leading_pipelines_that_have_prepare() -> None:
    assert prepare_stages(get_project_settings()) == [
        "vpcrawl.pipelines.clean.CleanTextPipeline", "vpcrawl.pipelines.dates.DatePipeline",
        "vpcrawl.pipelines.dedup.DedupPipeline", "vpcrawl.pipelines.validate.ValidatePipeline"]
    # a pipeline without `prepare` in between: nothing after it may be prepared early
    custom = Settings({"ITEM_PIPELINES": {
        "vpcrawl.pipelines.clean.CleanTextPipeline": 100,
        "tests.test_pagework.RewritesBody": 150,
        "vpcrawl.pipelines.dates.DatePipeline": 200,
    }})
    assert prepare_stages(custom) == ["vpcrawl.pipelines.clean.CleanTextPipeline"]
    assert prepare_stages(Settings({"ITEM_PIPELINES": {}})) == []


class RewritesBody:
    """A user's pipeline with no `prepare`: it changes the item in `process_item`."""

    def process_item(self, item: Any) -> Any:
        return item


def test_a_stage_that_drops_stops_preparation_and_the_pipeline_drops_in_the_crawler() -> None:
    portal, path = _cases()[0]
    stages = build_stages(_settings(), ["vpcrawl.pipelines.clean.CleanTextPipeline",
                                        "vpcrawl.pipelines.dates.DatePipeline"])
    item = read_fetched_page(_job(portal, path)).item
    assert item is not None
    item.body_blocks = []  # nothing left after cleaning: clean drops it
    counts: Counter[str] = Counter()
    run_prepare(item, stages, counts)
    assert item.prepared == [], "a dropping stage is not marked prepared; nothing after it runs"
    with pytest.raises(DropItem):
        CleanTextPipeline(CounterStats()).process_item(item)


def test_a_page_that_breaks_reading_is_reported_not_raised() -> None:
    portal, path = _cases()[0]
    # undecodable bytes are a page like any other (decoded with replacement), not an error
    garbage = PageJob(**{**_job(portal, path).__dict__,
                         "body": b"<html><body><h1>x</h1>" + b"\xff" * 10 + b"</body></html>"})
    assert read_fetched_page(garbage).outcome in ("navigation", "failed")
    # a job that makes reading raise comes back as an error with its traceback, not an exception
    broken = PageJob(**{**_job(portal, path).__dict__, "url": None})  # type: ignore[arg-type]
    out = read_fetched_page(broken)
    assert out.outcome == "error" and out.error and "Traceback" in out.error
    assert out.item is None and out.links is None


def test_worker_count_setting() -> None:
    assert worker_count(0) == 0 and worker_count("3") == 3
    assert 0 <= worker_count("auto") <= 4
    for bad in ("-1", "many", 1.5j):
        with pytest.raises(ValueError, match="VPCRAWL_PAGE_WORKERS"):
            worker_count(bad)


def test_a_broken_pool_falls_back_to_inline_reading_and_loses_nothing() -> None:
    portal, path = _cases()[0]
    stats = CounterStats()
    # spawned: its ~0.5 s of imports is what makes the first read inline
    reader = PageReader(1, _project("spawn"), SimpleNamespace(stats=stats))

    async def scenario() -> None:
        job = _job(portal, path, encode_body=True)
        # before the worker has imported what it runs, pages are read inline, not queued
        early = await reader.read(job)
        assert early.item is not None and early.item.prepared == []
        assert stats.values["vpcrawl/pagework/inline_before_ready"] == 1
        assert await reader.wait_ready()
        first, again = await asyncio.gather(reader.read(job), reader.read(job))
        assert first.item is not None and first.item.prepared, "read and prepared in the worker"
        assert again.item is not None and again.item.title == first.item.title
        # what crossed the pipes is what the worker made (the body travels as UTF-16)
        here = read_fetched_page(job, build_stages(
            reader.pool.settings if reader.pool else {}, reader.paths)).item
        assert here is not None and first.item.body and first.item.body == here.body
        # the pre-encoded body arrives tied to the body string it encodes
        assert first.item.body_json == (first.item.body, here.body_json)
        assert {**asdict(first.item), "crawled_at": None, "body_json": None} == \
            {**asdict(here), "crawled_at": None, "body_json": None}
        assert reader.pool is not None
        for worker in reader.pool.workers:  # kill the worker, as the OOM killer would
            os.kill(worker.process.pid, signal.SIGKILL)
        # pages in flight when it dies, and the ones after: all read, inline
        outs = await asyncio.gather(*(reader.read(_job(portal, path)) for _ in range(3)))
        assert all(o.item is not None and o.item.title == first.item.title for o in outs)
        assert reader.pool is None and stats.values["vpcrawl/pagework/pool_broken"] == 1
        assert all(o.item is not None and o.item.prepared == [] for o in outs)

    try:
        asyncio.run(scenario())
    finally:
        reader.close()


def test_a_worker_that_dies_before_it_is_ready_leaves_inline_reading() -> None:
    portal, path = _cases()[0]
    stats = CounterStats()
    # spawned: killed during its imports (a forked one is ready within milliseconds)
    reader = PageReader(1, _project("spawn"), SimpleNamespace(stats=stats))
    assert reader.pool is not None
    for worker in reader.pool.workers:
        os.kill(worker.process.pid, signal.SIGKILL)

    async def scenario() -> None:
        assert not await reader.wait_ready(), "no worker will ever be ready: no hang"
        out = await reader.read(_job(portal, path))
        assert out.item is not None and out.item.prepared == []
        assert reader.pool is None and stats.values["vpcrawl/pagework/pool_broken"] == 1

    try:
        asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        reader.close()


@pytest.mark.parametrize("start", START)
def test_workers_leave_with_exit_code_0_when_the_crawl_ends(start: str) -> None:
    """They skip the interpreter's teardown (`os._exit`) but still end cleanly, after the
    pages they were given: a crawl's end does not wait ~100 ms per worker in `join`."""
    portal, path = _cases()[0]
    reader = PageReader(1, _project(start), SimpleNamespace(stats=CounterStats()))
    pool = reader.pool
    assert pool is not None

    async def scenario() -> None:
        assert await reader.wait_ready()
        out = await reader.read(_job(portal, path))
        assert out.item is not None and out.item.prepared

    asyncio.run(scenario())
    reader.close()
    assert [w.process.exitcode for w in pool.workers] == [0]


@pytest.mark.parametrize("start", START)
def test_many_pages_in_flight_each_get_their_own_outcome(start: str) -> None:
    """More pages than the pool holds at once (workers x DEPTH): every read gets the outcome
    of its own page, in whatever order they finish, and the workers' pipes are widened.
    A forked worker reads them as a spawned one does."""
    cases = _cases()[:16]
    reader = PageReader(1, _project(start), SimpleNamespace(stats=CounterStats()))
    pool = reader.pool
    assert pool is not None and len(cases) > pool.DEPTH * len(pool.workers)
    if hasattr(fcntl, "F_GETPIPE_SZ"):
        for worker in pool.workers:
            for conn in (worker.job_w, worker.res_r):
                assert fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ) >= min(PIPE_BYTES)
    most = 0

    async def scenario() -> list[Any]:
        nonlocal most
        assert await reader.wait_ready()
        reads = [asyncio.ensure_future(reader.read(_job(p, path))) for p, path in cases]
        while not all(r.done() for r in reads):
            most = max(most, *(len(w.inflight) for w in pool.workers))
            await asyncio.sleep(0)
        return [r.result() for r in reads]

    try:
        outs = asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        reader.close()
    assert 1 < most <= pool.DEPTH
    assert len({out.item.url for out in outs if out.item is not None}) == len(cases)  # all distinct
    stages = build_stages(pool.settings, reader.paths)
    for (portal, path), out in zip(cases, outs, strict=True):
        here = read_fetched_page(_job(portal, path), stages).item
        assert out.item is not None and here is not None and out.item.prepared
        assert (out.item.url, out.item.title, out.item.body) == (here.url, here.title, here.body)


def test_workers_fork_only_from_a_crawler_without_other_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork copies one thread: another thread's held lock would stay held in the child."""
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert start_method() == ("fork" if sys.platform.startswith("linux") else "spawn")
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert start_method() == "spawn"
    for bad in ("forkserver?", "threads", 1):
        with pytest.raises(ValueError, match="VPCRAWL_PAGE_WORKER_START"):
            PageReader(1, _project(bad))  # type: ignore[arg-type]


def test_crawls_that_differ_only_in_their_outputs_share_one_pool() -> None:
    """`vpcrawl run` gives each portal its own feed, run id and rejects file: its crawls share
    the workers (one per spare core), while settings a `prepare` reads keep pools apart."""
    def settings(**kw: Any) -> Settings:
        base = _project("spawn")
        base.setdict(kw)
        return base

    one = PageReader(1, settings(FEEDS={"a.jsonl": {"format": "jsonlines"}}, VPCRAWL_RUN_ID="a",
                                 VPCRAWL_REJECTS_FILE="a.rejects.jsonl", VPCRAWL_STATE_DIR="sa"))
    two = PageReader(1, settings(FEEDS={"b.jsonl": {"format": "jsonlines"}}, VPCRAWL_RUN_ID="b",
                                 VPCRAWL_REJECTS_FILE="b.rejects.jsonl", VPCRAWL_STATE_DIR="sb"))
    other = PageReader(1, settings(VPCRAWL_TONE_STYLE="new"))
    try:
        assert one.pool is not None and one.pool is two.pool and one.pool.users == 2
        assert other.pool is not None and other.pool is not one.pool
        assert not {"FEEDS", "VPCRAWL_RUN_ID", "VPCRAWL_REJECTS_FILE"} & set(one.pool.settings)
    finally:
        for reader in (one, two, other):
            reader.close()


@pytest.mark.skipif("fork" not in START, reason="the system cannot fork")
def test_forked_workers_leave_when_the_crawler_is_gone() -> None:
    """Each forked worker closes the crawler's pipe ends it inherited (its own, and the earlier
    worker's): when the crawler dies, without a word, every worker sees EOF and leaves."""
    reader = PageReader(2, _project("fork"), SimpleNamespace(stats=CounterStats()))
    pool = reader.pool
    assert pool is not None and len(pool.workers) == 2

    async def scenario() -> None:
        assert await reader.wait_ready()
        while not all(w.ready for w in pool.workers):
            await asyncio.sleep(0.01)
        for worker in pool.workers:  # the crawler's ends vanish, as when it is killed
            assert worker.writer is not None
            worker.writer.abort()
            worker.job_w.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    for worker in pool.workers:
        worker.process.join(timeout=20)
    codes = [w.process.exitcode for w in pool.workers]
    reader.close()
    assert codes == [0, 0], "a worker kept its own pipe open and waited for ever"


@pytest.mark.skipif("fork" not in START, reason="the system cannot fork")
def test_a_forked_worker_never_finalizes_what_it_inherited(tmp_path: Any) -> None:
    """Garbage the crawler has not collected yet (think of a feed file's buffered writer) is
    the crawler's to finalize: a forked worker freezes what it inherits, so it is not
    finalized a second time there (a second flush of a buffer would duplicate feed lines)."""
    trace = tmp_path / "finalized.txt"

    class Buffered:
        def __del__(self) -> None:
            with trace.open("a") as f:
                f.write(f"{os.getpid()}\n")

    portal, path = _cases()[0]
    gc.disable()
    try:
        cycle = Buffered()
        cycle.me = cycle  # type: ignore[attr-defined]
        del cycle  # garbage now, collected by the cyclic collector only
        reader = PageReader(1, _project("fork"), SimpleNamespace(stats=CounterStats()))
    finally:
        gc.enable()
    pool = reader.pool
    assert pool is not None

    async def scenario() -> None:
        assert await reader.wait_ready()
        # enough work in the worker for its collector to run many times over
        for _ in range(5):
            out = await reader.read(_job(portal, path))
            assert out.item is not None and out.item.prepared

    asyncio.run(asyncio.wait_for(scenario(), 60))
    reader.close()
    gc.collect()
    assert trace.read_text().split() == [str(os.getpid())], "finalized once, in the crawler"


@pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="pipe sizes are a Linux feature")
def test_widen_pipe_grows_a_pipe_and_survives_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    r, w = os.pipe()
    try:
        assert widen_pipe(w) == fcntl.fcntl(r, fcntl.F_GETPIPE_SZ) >= min(PIPE_BYTES)
        # a system that refuses every size asked for: the pipe stays as it is, and says so
        monkeypatch.setattr("vpcrawl.pagework.PIPE_BYTES", (1 << 40,))
        assert widen_pipe(w) == fcntl.fcntl(r, fcntl.F_GETPIPE_SZ)
    finally:
        os.close(r)
        os.close(w)


def _export(exporter_cls: Any, items: list[Any]) -> bytes:
    import io

    from vpcrawl.items import EXPORT_FIELDS

    buf = io.BytesIO()
    exporter = exporter_cls(buf, fields_to_export=list(EXPORT_FIELDS), encoding="utf-8")
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return buf.getvalue()


def test_bodies_encoded_in_the_worker_export_byte_for_byte_as_scrapy_would() -> None:
    from scrapy.exporters import JsonLinesItemExporter

    from vpcrawl.feeds import JsonLinesExporter
    from vpcrawl.pagework import _from_wire, _to_wire

    stages = build_stages(_settings(), prepare_stages(get_project_settings()))
    items = []
    for portal, path in _cases():
        out = _from_wire(_to_wire(read_fetched_page(_job(portal, path, encode_body=True), stages)))
        assert out.item is not None and isinstance(out.item.body_json, tuple), f"{portal.id}{path}"
        items.append(out.item)
    spliced = _export(JsonLinesExporter, items)
    assert spliced == _export(JsonLinesItemExporter, items)
    assert spliced.count(b"\n") == len(items)
    # a pipeline that replaces the body voids the pre-encoded one: the new body is written
    items[0].body = items[0].body + " (sửa)"
    line = _export(JsonLinesExporter, items[:1])
    assert line == _export(JsonLinesItemExporter, items[:1]) and "(sửa)".encode() in line


class StoresUnpicklable:
    """A user's pipeline whose `prepare` leaves an object in the item that cannot be pickled."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoresUnpicklable:
        return cls()

    def prepare(self, item: Any) -> Any:
        item.tags = [lambda: "not picklable"]
        return item

    def process_item(self, item: Any) -> Any:
        return item


def test_an_item_that_cannot_travel_is_an_error_outcome_and_the_worker_lives_on() -> None:
    portal, path = _cases()[0]
    settings = get_project_settings()
    settings.set("ITEM_PIPELINES", {"tests.test_pagework.StoresUnpicklable": 50})
    reader = PageReader(1, settings, SimpleNamespace(stats=CounterStats()))

    async def scenario() -> None:
        assert await reader.wait_ready()
        bad = await reader.read(_job(portal, path))
        assert bad.outcome == "error" and bad.error and "pickle" in bad.error.lower()
        assert reader.pool is not None and all(w.alive for w in reader.pool.workers)
        # the worker still reads the next page (and the one after fails the same way)
        again = await reader.read(_job(portal, path))
        assert again.outcome == "error" and reader.pool is not None

    try:
        asyncio.run(scenario())
    finally:
        reader.close()


def test_bodies_are_pre_encoded_only_for_a_json_lines_feed_we_write() -> None:
    from vpcrawl.feeds import splices_bodies

    def crawl(**settings: Any) -> Settings:
        base = get_project_settings()
        base.setdict(settings, priority="cmdline")
        return base

    assert splices_bodies(crawl(FEEDS={"out.jsonl": {"format": "jsonl"}}))
    assert splices_bodies(crawl(FEEDS={"runs/x.jsonl.gz": {"format": "jsonlines"}}))
    assert not splices_bodies(crawl(FEEDS={"out.csv": {"format": "csv"}}))
    assert not splices_bodies(crawl(FEEDS={}))
    # another exporter for the format: nothing would splice the bytes in
    assert not splices_bodies(crawl(FEEDS={"out.jsonl": {"format": "jsonl"}},
                                    FEED_EXPORTERS={"jsonl": "scrapy.exporters.JsonLinesItemExporter"}))
    portal, path = _cases()[0]
    stages = build_stages(_settings(), prepare_stages(get_project_settings()))
    assert read_fetched_page(_job(portal, path), stages).item.body_json is None  # type: ignore[union-attr]


# --- the crawler's share of the reads ------------------------------------------------------


def _warm(sharing: ShareOfReads, worker_ms: float, other_ms: float, read_ms: float | None = None) -> None:
    """Estimates as a crawl would leave them: the worker's CPU per page it read, the crawler's
    per page (one window of pages, none read by itself), its own reads if any."""
    for _ in range(ShareOfReads.WARMUP):
        sharing.worker_read(worker_ms / 1000)
    cpu = 10.0
    sharing.page(cpu)
    for _ in range(ShareOfReads.WINDOW):
        cpu += other_ms / 1000
        sharing.page(cpu)
    if read_ms is not None:
        for _ in range(4):
            sharing.crawler_read(read_ms / 1000)


def test_the_crawler_takes_the_share_that_evens_out_its_cpu_and_the_workers() -> None:
    cold = ShareOfReads()
    assert cold.share(1) == 0.0, "no estimates yet: the crawler reads nothing"
    assert not any(cold.take(1, backlog=True) for _ in range(200))

    sharing = ShareOfReads()
    _warm(sharing, worker_ms=3.0, other_ms=2.5)
    # c + f*s = (1 - f)*w with w = s = 3.0 ms, c = 2.5 ms
    assert sharing.share(1) == pytest.approx(0.5 / 6.0)
    assert sharing.share(2) == 0.0, "two workers keep up (1.5 ms each per page)"
    assert sharing.share(0) == 0.0
    # its own reads measured dearer than a worker's: a smaller share
    sharing = ShareOfReads()
    _warm(sharing, worker_ms=3.0, other_ms=2.5, read_ms=4.0)
    assert sharing.share(1) == pytest.approx(0.5 / 7.0)
    # a crawler that is itself the slower one takes nothing
    sharing = ShareOfReads()
    _warm(sharing, worker_ms=2.0, other_ms=2.5)
    assert sharing.share(1) == 0.0
    # the share is capped: reads 3x cheaper in the crawler still leave the worker half the pages
    sharing = ShareOfReads()
    _warm(sharing, worker_ms=30.0, other_ms=1.0, read_ms=10.0)
    assert sharing.share(1) == ShareOfReads.MAX_SHARE


def test_the_crawler_reads_its_share_only_while_the_workers_lag() -> None:
    sharing = ShareOfReads()
    _warm(sharing, worker_ms=3.0, other_ms=2.0)  # share (3 - 2) / (3 + 3) = 1/6
    taken = [sharing.take(1, backlog=True) for _ in range(120)]
    # one page in six (give or take the last one, to rounding), once the credit has built up
    assert 19 <= sum(taken) <= 20 and not any(taken[:5])
    assert not any(sharing.take(1, backlog=False) for _ in range(100)), "idle workers read every page"
    # a long stretch without backlog banks at most two pages, not a burst of them
    assert sum(sharing.take(1, backlog=True) for _ in range(3)) == 2


def test_the_crawlers_cpu_per_page_leaves_out_its_own_reads() -> None:
    sharing = ShareOfReads()
    cpu = 0.0
    sharing.page(cpu)
    for i in range(ShareOfReads.WINDOW):
        cpu += 0.002
        if i % 4 == 0:  # a page it read itself: 3 ms more, measured as such
            sharing.crawler_read(0.003)
            cpu += 0.003
        sharing.page(cpu)
    assert sharing.other_cpu.value == pytest.approx(0.002)
    assert sharing.read_cpu.value == pytest.approx(0.003)


@pytest.mark.parametrize("shares", [True, False])
def test_pages_the_crawler_reads_itself_are_read_as_a_worker_reads_them(shares: bool) -> None:
    """With its share forced up, the crawler reads some pages of a backlog itself: each read
    gets its own page, prepared by the same stages, its body encoded and tied as a worker's
    is; with VPCRAWL_CRAWLER_READS off it reads none."""
    cases = _cases()[:16] * 3
    stats = CounterStats()
    settings = _project("fork" if "fork" in START else "spawn")
    settings.set("VPCRAWL_CRAWLER_READS", shares)
    reader = PageReader(1, settings, SimpleNamespace(stats=stats))
    pool = reader.pool
    assert pool is not None

    async def scenario() -> list[Any]:
        assert await reader.wait_ready()
        _warm(pool.sharing, worker_ms=30.0, other_ms=1.0)  # a share of 29/60
        return await asyncio.gather(*(reader.read(_job(p, path, encode_body=True)) for p, path in cases))

    try:
        outs = asyncio.run(asyncio.wait_for(scenario(), 120))
    finally:
        reader.close()
    here_by_crawler = stats.values.get("vpcrawl/pagework/read_by_crawler", 0)
    if not shares:
        assert here_by_crawler == 0
    else:
        # the first DEPTH pages fill the worker; of the backlog after them, about half
        assert 0 < here_by_crawler < len(cases) - pool.DEPTH
        assert pool.sharing.read_cpu.n == here_by_crawler
    stages = build_stages(pool.settings, reader.paths)
    for (portal, path), out in zip(cases, outs, strict=True):
        here = read_fetched_page(_job(portal, path, encode_body=True), stages).item
        assert out.item is not None and here is not None
        assert out.item.prepared == here.prepared and out.item.prepared
        assert out.item.body_json == (out.item.body, here.body_json)
        assert {**asdict(out.item), "crawled_at": None, "body_json": None} == \
            {**asdict(here), "crawled_at": None, "body_json": None}


def test_a_page_dropped_in_preparation_is_logged_once_wherever_it_was_read(
        caplog: pytest.LogCaptureFixture) -> None:
    """`prepare` may run where the page is read (a worker, or the crawler reading its share)
    and stop at a drop; only the pipeline's `process_item` logs it, once."""
    portal, path = _cases()[0]
    stages = build_stages(_settings(), ["vpcrawl.pipelines.clean.CleanTextPipeline"])
    item = read_fetched_page(_job(portal, path)).item
    assert item is not None
    item.body_blocks = []  # nothing left after cleaning: clean drops it
    with caplog.at_level("INFO"):
        run_prepare(item, stages, Counter())  # as `_PagePool.read_here` does, in this process
        assert item.prepared == [] and not caplog.records
        with pytest.raises(DropItem, match="no body after cleaning"):
            CleanTextPipeline(CounterStats()).process_item(item)
    assert [r.getMessage() for r in caplog.records] == [f"dropped {item.url}: no body after cleaning"]
