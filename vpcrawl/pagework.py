"""Reading a fetched page, as one pure job that can run in a worker process.

Why: Scrapy runs every callback and pipeline on one thread. On a page of 30-60 KB with a
20k-character article, parsing the tree, extracting, cleaning, dating and fingerprinting it
costs several times what Scrapy spends fetching it, so one core would cap the crawl at the
pace of our own CPU, not at the pace politeness allows. `read_fetched_page` does all the
per-page work that needs no crawl state (decode, the one tree build, extraction or the
page's links, and the `prepare` step of each item pipeline); the spider sends it to a pool
of worker processes (`VPCRAWL_PAGE_WORKERS`) and keeps for itself only what needs the crawl:
budgets, requests, stats and the pipelines' state lookups.

The contract for pipelines (`prepare_stages`): a pipeline may define `prepare(item)`, the part
of its work that is a pure function of the item and the settings (not the per-crawl ones,
`CRAWL_ONLY_SETTINGS`: the crawls of one process share their workers). Workers run the `prepare`
of the leading pipelines of `ITEM_PIPELINES` that have one, in order, and record each in
`item.prepared`; `process_item` then skips that part. A `prepare` reads only what extraction
and earlier `prepare` steps set, never what a `process_item` adds from the crawl state.

With `VPCRAWL_PAGE_WORKERS=0` (one core, or tests) the same function runs in the crawler
process and the pipelines do all their work in `process_item`, as in any Scrapy project.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import struct
import sys
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.misc import load_object

from vpcrawl import gctuning
from vpcrawl.extract.fingerprint import detect_family
from vpcrawl.extract.listing import PageLinks, extract_links
from vpcrawl.extract.page import looks_truncated
from vpcrawl.extract.tree import html_selector
from vpcrawl.feeds import encode_body, splices_bodies
from vpcrawl.items import ArticleItem
from vpcrawl.pipelines import stage_name
from vpcrawl.process import CounterStats, read_article
from vpcrawl.sites import FAMILIES
from vpcrawl.text.legacy import decode_html_bytes, utf8_source

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)
MAX_AUTO_WORKERS = 4
# Capacity asked for each worker pipe (Linux's default is 64 KB). A 46 KB page goes in and a
# ~70 KB result (a 20k-character body twice: as text and as encoded JSON) comes out: at 64 KB
# the worker blocked mid-result until the crawler's loop read it, and the crawler took each
# result in two wakeups. 700-page crawls of the benchmark mirror (medians of 5, DEPTH 6),
# pages/s: 64 KB 226, 256 KB 266, 512 KB 265, 1 MB 262. Since the crawler also reads pages
# itself (`ShareOfReads`) it is away from the pipes ~3 ms at a time, and a worker must then
# hold `DEPTH` = 12 jobs and their results: 1 MB (Linux's pipe-max-size), 1,500-page crawls
# with the crawler reading, pages/s, medians of 3: NukeViet 308 -> 330, 3CMS 311 -> 350. The
# kernel counts pipe capacity against a per-user quota (/proc/sys/fs/pipe-user-pages-soft,
# 64 MB by default): 2 MB per worker leaves room for many crawls side by side.
PIPE_BYTES = (1 << 20, 1 << 18, 1 << 17)
_HEADER = struct.Struct("!i")  # multiprocessing.Connection's message framing
_READY = b"\x00ready"  # a worker's first message (no pickle starts with a zero byte)


@dataclass
class PageJob:
    """What reading one fetched page needs; small and picklable."""

    body: bytes
    declared_encoding: str
    url: str
    site_id: str
    fetched_at: datetime
    own_hosts: frozenset[str]
    family: str | None = None  # name in vpcrawl.sites.FAMILIES
    family_fixed: bool = False
    candidate: bool = False  # reached as an article candidate (listing entry, sitemap)
    listing_date: str | None = None
    home: bool = False  # a start page: also advertised feeds, and the CMS fingerprint if asked
    detect_family: bool = False
    encode_body: bool = False  # pre-encode the body for the JSON Lines feed (vpcrawl.feeds)


@dataclass
class PageOutcome:
    """What the page is, with its item or its links; `error` when reading it raised."""

    encoding: str = ""
    truncated: bool = False
    empty: bool = False
    outcome: str = ""  # see vpcrawl.extract.page.PageResult, plus "error"
    item: ArticleItem | None = None
    links: PageLinks | None = None
    feeds: list[str] = field(default_factory=list)
    detected_family: str | None = None
    stats: dict[str, int] = field(default_factory=dict)  # counted by the prepare steps
    error: str | None = None  # "ExceptionType: message" and the traceback, one string
    cpu_s: float = 0.0  # CPU the worker spent on the page (see `ShareOfReads`)


class PreparedStage:
    """A pipeline instance whose `prepare` a worker runs, with the stats it counts into."""

    def __init__(self, name: str, pipeline: Any, stats: CounterStats) -> None:
        self.name, self.pipeline, self.stats = name, pipeline, stats


def prepare_stages(settings: BaseSettings) -> list[str]:
    """Dotted paths of the leading `ITEM_PIPELINES` that define `prepare`, in order."""
    pipelines = settings.getwithbase("ITEM_PIPELINES")
    ordered = sorted(((prio, path) for path, prio in pipelines.items() if prio is not None),
                     key=lambda x: x[0])
    out = []
    for _, path in ordered:
        cls = load_object(path) if isinstance(path, str) else path
        if not callable(getattr(cls, "prepare", None)):
            break
        out.append(stage_name(cls))
    return out


class _WorkerCrawler:
    """What a pipeline's `from_crawler` may touch in a worker: settings and stats."""

    def __init__(self, settings: Settings, stats: CounterStats) -> None:
        self.settings, self.stats, self.spider = settings, stats, None


def build_stages(settings: dict[str, Any], paths: list[str]) -> list[PreparedStage]:
    """The pipelines of `paths`, built by their own `from_crawler` on the crawl's settings,
    each counting into its own stats (sent back with every page)."""
    stages = []
    for path in paths:
        stats = CounterStats()
        cls = load_object(path)
        crawler = _WorkerCrawler(Settings(settings), stats)
        pipeline = cls.from_crawler(crawler) if hasattr(cls, "from_crawler") else cls()
        stages.append(PreparedStage(path, pipeline, stats))
    return stages


def run_prepare(item: ArticleItem, stages: list[PreparedStage], counts: Counter[str]) -> None:
    """Run each stage's `prepare` in order; stop at the first that drops or fails (the
    pipeline itself then runs in the crawler and drops or fails there, the Scrapy way)."""
    for stage in stages:
        stage.stats.values.clear()
        try:
            stage.pipeline.prepare(item)
        except (DropItem, Exception):
            return
        counts.update(stage.stats.values)
        item.prepared.append(stage.name)


def page_selector(body: bytes, html: str, encoding: str, url: str) -> Selector:
    """The page's one tree, from `html` as `decode_html_bytes(body)` made it: parsed from the
    fetched bytes when they are its UTF-8 (`utf8_source`), else from the text."""
    return html_selector(html, base_url=url, utf8=utf8_source(body, html, encoding))


def read_fetched_page(job: PageJob, stages: list[PreparedStage] | None = None) -> PageOutcome:
    """Decode, parse once, and read the page: its article item, or its links. Never raises."""
    out = PageOutcome()
    try:
        html, out.encoding = decode_html_bytes(job.body, job.declared_encoding)
        out.empty = not html or html.isspace()  # (`strip()` would copy the page to say so)
        out.truncated = looks_truncated(html)
        sel = page_selector(job.body, html, out.encoding, job.url)
        family = FAMILIES.get(job.family) if job.family else None
        if job.detect_family:
            detected = detect_family(html)
            if detected is not None:
                family = detected
                out.detected_family = detected.name
        if job.home:
            out.feeds = [urljoin(job.url, href) for href in sel.css(
                "link[type='application/rss+xml']::attr(href), "
                "link[type='application/atom+xml']::attr(href)").getall()]
        result, out.item = read_article(
            sel, html, job.url, family, job.family_fixed, job.site_id, job.fetched_at,
            lambda u: (urlsplit(u).hostname or "").lower() in job.own_hosts,
            candidate=job.candidate, truncated=out.truncated, listing_date=job.listing_date)
        out.outcome = result.outcome
        if out.item is not None:
            if stages:
                counts: Counter[str] = Counter()
                run_prepare(out.item, stages, counts)
                out.stats = dict(counts)
                if job.encode_body and out.item.body:
                    out.item.body_json = encode_body(out.item.body)
        else:
            out.links = extract_links(sel, job.url, family)
    except Exception as exc:  # a page that breaks reading is reported, never fatal
        out.outcome = "error"
        out.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        out.item, out.links = None, None
    return out


# ---------------------------------------------------------------- in the worker process
def _to_wire(out: PageOutcome) -> bytes:
    """Pickled outcome, the article body as UTF-16: a 20k-character Vietnamese text unpickles
    from UTF-8 in ~75 µs and from UTF-16 in ~20 µs, and the crawler's CPU is the scarce one."""
    body = out.item.body if out.item is not None else None
    if body:
        out.item.body = None  # type: ignore[union-attr]
    wire = (out, body.encode("utf-16-le", "surrogatepass") if body else None)
    return pickle.dumps(wire, pickle.HIGHEST_PROTOCOL)


def _from_wire(message: bytes) -> PageOutcome:
    out, body = pickle.loads(message)
    if body is not None:
        out.item.body = body.decode("utf-16-le", "surrogatepass")
        _bind_body_json(out)
    return out


def _bind_body_json(out: PageOutcome) -> None:
    """Tie a pre-encoded body to the very string it encodes (what `JsonLinesExporter` checks):
    a pipeline that replaces the body voids it."""
    if out.item is not None and isinstance(out.item.body_json, bytes):
        out.item.body_json = (out.item.body, out.item.body_json)


def _worker_main(jobs: Any, results: Any, settings: dict[str, Any], paths: list[str]) -> None:
    """A worker: build the prepare stages once, then read pages until an empty message.
    Workers do not log: a stage that would log (a drop, an error) stops there and its
    pipeline redoes it, and logs, in the crawler. Ctrl-C is the crawler's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.disable(logging.CRITICAL)
    stages = build_stages(settings, paths)
    gctuning.tune(int(settings.get("VPCRAWL_GC_GEN0") or 0))  # as the crawler's (vpcrawl.gctuning)
    try:
        results.send_bytes(_READY)  # imports done: pages may come (the crawler read inline so far)
    except BrokenPipeError:  # the crawler is gone
        return
    while True:
        try:
            data = jobs.recv_bytes()
        except EOFError:  # the crawler is gone
            return
        if not data:
            return
        try:
            started = time.process_time()
            out = read_fetched_page(pickle.loads(data), stages)
            out.cpu_s = time.process_time() - started
            message = _to_wire(out)
        except Exception as exc:  # an item that cannot travel (a user's pipeline stored an
            # unpicklable object in it) is reported like a page that broke, not a dead worker
            message = _to_wire(PageOutcome(outcome="error", error=f"{type(exc).__name__}: {exc}\n"
                                           f"{traceback.format_exc()}"))
        try:
            results.send_bytes(message)
        except BrokenPipeError:  # the crawler is gone
            return


def _worker_process(jobs: Any, results: Any, settings: dict[str, Any], paths: list[str],
                    crawler_fds: tuple[int, ...] | None = None) -> None:
    """A worker process's target: `_worker_main`, then exit without the interpreter's teardown
    (freeing every module takes ~100 ms, which the crawler would spend waiting in `join` at the
    end of each crawl). Nothing is left to flush: results go out as they are made.

    A forked worker (`crawler_fds` given) first lets go of what it inherited from the crawler:
    the crawler's ends of the worker pipes (or it would never see EOF on its own when the
    crawler dies), the crawler's signal handlers and wakeup fd, and every inherited object
    (frozen, so that no inherited garbage, say a half-written feed file, is ever finalized
    here); it never unwinds into the crawler's stack and exits with `os._exit`."""
    forked = crawler_fds is not None
    if forked:
        gc.freeze()
        gc.enable()  # (as in a spawned worker, whatever the crawler did with it)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        for fd in crawler_fds or ():
            with contextlib.suppress(OSError):
                os.close(fd)
    _worker_main(jobs, results, settings, paths)
    if not forked:  # a forked worker has nothing of its own there; what is, is the crawler's
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    os._exit(0)


class ShareOfReads:
    """Which pages the crawler reads itself while its workers lag behind.

    Why: with one worker on two cores, a long article costs the worker more CPU than the
    crawler spends fetching it (padded benchmark pages: ~3.0 against ~2.5 ms), so the worker
    sets the pace and the crawler idles a fifth of the time. Reading a share `f` of the pages
    in the crawler evens the two out: the crawler then spends `c + f*s` per page and each of
    the `W` workers `(1 - f)*w/W`, equal at `f = (w/W - c) / (w/W + s)`, where `w` is a
    worker's CPU per page (it reports it with each page), `s` the crawler's for a page it
    reads itself (taken to be `w` until it has read a few), and `c` its CPU per page for
    everything else. Where the workers keep up (more cores, short articles) `f` is 0 and
    nothing changes; a page is only ever taken while the workers have a backlog, so the
    crawler never reads a page an idle worker could have read. Estimates are moving
    averages; until `w` and `c` have `WARMUP` samples each the crawler reads nothing.
    """

    ALPHA = 0.05  # weight of one sample in the moving averages (~the last 20-40 pages count)
    WARMUP = 16
    WINDOW = 32  # pages between two measurements of the crawler's own CPU per page
    MAX_SHARE = 0.5

    def __init__(self) -> None:
        self.worker_cpu = _Average(self.ALPHA)  # a worker's CPU per page it reads
        self.read_cpu = _Average(self.ALPHA)  # the crawler's CPU per page it reads itself
        self.other_cpu = _Average(self.ALPHA)  # the crawler's CPU per page for the rest
        self.credit = 0.0
        self._pages = 0
        self._read_since = 0.0  # CPU of the crawler's own reads since the window began
        self._window: tuple[int, float] | None = None

    def share(self, workers: int) -> float:
        """The share of pages the crawler should read itself, with `workers` live workers."""
        if workers <= 0 or min(self.worker_cpu.n, self.other_cpu.n) < self.WARMUP:
            return 0.0
        per_worker = self.worker_cpu.value / workers
        own = self.read_cpu.value if self.read_cpu.n >= 4 else self.worker_cpu.value
        f = (per_worker - self.other_cpu.value) / (per_worker + own)
        return min(max(f, 0.0), self.MAX_SHARE)

    def page(self, cpu_now: float) -> None:
        """A page came to be read (`cpu_now`: the crawler's CPU time so far)."""
        self._pages += 1
        if self._window is None:
            self._window = (self._pages, cpu_now)
            self._read_since = 0.0
        elif self._pages - self._window[0] >= self.WINDOW:
            pages, cpu = self._pages - self._window[0], cpu_now - self._window[1]
            self.other_cpu.add_many(max(cpu - self._read_since, 0.0) / pages, pages)
            self._window = (self._pages, cpu_now)
            self._read_since = 0.0

    def take(self, workers: int, backlog: bool) -> bool:
        """Whether the crawler reads this page itself: its share is due and the workers lag."""
        self.credit = min(self.credit + self.share(workers), 2.0)
        if backlog and self.credit >= 1.0:
            self.credit -= 1.0
            return True
        return False

    def worker_read(self, cpu_s: float) -> None:
        if cpu_s > 0:
            self.worker_cpu.add(cpu_s)

    def crawler_read(self, cpu_s: float) -> None:
        self.read_cpu.add(cpu_s)
        self._read_since += cpu_s


class _Average:
    """Exponentially weighted moving average that starts as a plain mean."""

    def __init__(self, alpha: float) -> None:
        self.alpha, self.value, self.n = alpha, 0.0, 0

    def add(self, x: float) -> None:
        self.n += 1
        self.value += (x - self.value) * max(self.alpha, 1 / self.n)

    def add_many(self, x: float, count: int) -> None:
        """`count` samples of the same value `x` (a window's mean)."""
        for _ in range(min(count, 64)):
            self.add(x)


# ---------------------------------------------------------------- in the crawler process
def worker_count(value: Any) -> int:
    """`VPCRAWL_PAGE_WORKERS`: a number, or "auto" = the cores left after the crawler's own."""
    if value in (None, "", "auto"):
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            cores = os.cpu_count() or 1
        return max(0, min(MAX_AUTO_WORKERS, cores - 1))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"VPCRAWL_PAGE_WORKERS={value!r}: expected a whole number >= 0 or 'auto'") from None
    if number < 0:
        raise ValueError(f"VPCRAWL_PAGE_WORKERS={value!r}: expected a whole number >= 0 or 'auto'")
    return number


def start_method() -> str:
    """How page workers start: "fork" when the crawler has no other Python thread yet (a
    plain `scrapy crawl`: the pool starts while the spider is built, before the reactor runs),
    "spawn" otherwise and off Linux.

    Why: a spawned worker imports Scrapy, lxml, numpy and vpcrawl again, ~0.45 s of CPU per
    crawl (~0.6 ms per page of a 700-page crawl, on a 2-core machine a tenth of the crawl's
    CPU); a forked one starts with them imported. Fork is unsafe only where another thread
    may hold a lock (a mirror server's threads in `vpcrawl demo`, a user's own), and on
    macOS, whose system libraries do not survive it (`VPCRAWL_PAGE_WORKER_START` overrides)."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _start_setting(value: Any) -> str:
    """`VPCRAWL_PAGE_WORKER_START`: "auto" (`start_method`), "fork" or "spawn"."""
    if value in (None, "", "auto"):
        return start_method()
    if value in ("fork", "spawn") and value in multiprocessing.get_all_start_methods():
        return str(value)
    raise ValueError(f"VPCRAWL_PAGE_WORKER_START={value!r}: expected 'auto', 'spawn' or "
                     f"(where the system has it) 'fork'")


# Settings that differ between the crawls of one process (`vpcrawl run`/`demo` give each
# portal its own feed, run id and rejects file) and that no `prepare` step may read: workers
# do not get them, so those crawls share one pool (with them, every portal of `vpcrawl demo`
# had a pool of its own: 9 workers on a 2-core machine, each with its own imports and memory).
CRAWL_ONLY_SETTINGS = frozenset({
    "FEEDS", "FEED_URI", "FEED_FORMAT", "LOG_FILE", "JOBDIR",
    "VPCRAWL_RUN_ID", "VPCRAWL_REJECTS_FILE", "VPCRAWL_STATE_DIR", "VPCRAWL_CRAWLER_READS",
})


def _picklable_settings(settings: BaseSettings) -> dict[str, Any]:
    """The settings a worker's pipelines are built from (values that survive pickling; not
    `CRAWL_ONLY_SETTINGS`)."""
    out = {}
    for key, value in settings.copy_to_dict().items():
        if key in CRAWL_ONLY_SETTINGS:
            continue
        try:
            pickle.dumps(value)
        except Exception:
            continue
        out[key] = value
    return out


def widen_pipe(fd: int) -> int:
    """Grow a pipe to the first of `PIPE_BYTES` the system allows (Linux); its capacity after.
    Where it cannot grow (another OS, a lowered /proc/sys/fs/pipe-max-size, a user's pipe
    quota spent) the pipe works as it is, only with more wakeups per page."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:  # pragma: no cover - not Linux
        return 0
    for size in PIPE_BYTES:
        try:
            return fcntl.fcntl(fd, setsize, size)
        except OSError:
            continue
    return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)


class PoolBroken(RuntimeError):
    """A page worker died (killed, out of memory) with pages in flight."""


class _ResultReader(asyncio.Protocol):
    """Reads a worker's length-prefixed results (multiprocessing's framing) on the loop."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.buf = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while len(self.buf) >= 4:
            (size,) = _HEADER.unpack_from(self.buf)
            if len(self.buf) < 4 + size:
                return
            message = bytes(self.buf[4 : 4 + size])
            del self.buf[: 4 + size]
            self.worker.done(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker.lost()


class _Worker:
    """One worker process and its two pipes, driven by the event loop: no threads, no
    blocking writes (the write transport buffers), at most `depth` jobs in the worker."""

    # The crawler's ends of every worker pipe, which a forked worker closes
    _crawler_fds: ClassVar[set[int]] = set()

    def __init__(self, pool: _PagePool, ctx: Any, settings: dict[str, Any], paths: list[str]) -> None:
        self.pool = pool
        job_r, self.job_w = ctx.Pipe(duplex=False)
        self.res_r, res_w = ctx.Pipe(duplex=False)
        for conn in (self.job_w, self.res_r):
            widen_pipe(conn.fileno())
        self.fds = (self.job_w.fileno(), self.res_r.fileno())
        self._crawler_fds.update(self.fds)
        inherited: tuple[int, ...] | None = None  # spawned: it inherits nothing
        if ctx.get_start_method() == "fork":
            # (a number recorded for a pipe since closed may now be the worker's own end)
            own = {job_r.fileno(), res_w.fileno()}
            inherited = tuple(sorted(fd for fd in self._crawler_fds if fd > 2 and fd not in own))
        self.process = ctx.Process(target=_worker_process, args=(job_r, res_w, settings, paths, inherited),
                                   name="vpcrawl-page-worker", daemon=True)
        self.process.start()
        job_r.close()
        res_w.close()
        self.inflight: deque[asyncio.Future[PageOutcome]] = deque()
        self.writer: asyncio.WriteTransport | None = None
        self.alive = True
        self.ready = False  # it has imported what it runs and built its stages

    async def connect(self, loop: asyncio.AbstractEventLoop) -> None:
        self.writer, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, self.job_w)
        await loop.connect_read_pipe(lambda: _ResultReader(self), self.res_r)

    def send(self, data: bytes, future: asyncio.Future[PageOutcome]) -> None:
        assert self.writer is not None
        self.inflight.append(future)
        self.writer.write(_HEADER.pack(len(data)) + data)

    def done(self, message: bytes) -> None:
        if not self.ready:
            if message == _READY:
                self.ready = True
                self.pool.worker_ready()
                return
        future = self.inflight.popleft()
        out = _from_wire(message)
        self.pool.sharing.worker_read(out.cpu_s)
        if not future.done():
            future.set_result(out)
        self.pool.dispatch()

    def lost(self) -> None:
        if not self.alive:
            return
        self.alive = False
        code = self.process.exitcode
        while self.inflight:
            future = self.inflight.popleft()
            if not future.done():
                future.set_exception(PoolBroken(f"page worker {self.process.pid} exited (code {code})"))
        self.pool.worker_lost(self)

    def stop(self) -> None:
        """Ask the worker to finish (an empty message); closes the crawler's pipe ends."""
        self.alive = False
        try:
            if self.writer is not None and not self.writer.is_closing():
                self.writer.write(_HEADER.pack(0))
                self.writer.close()
                return
        except RuntimeError:  # the event loop is already closed (end of a test, interpreter exit)
            pass
        for conn in (self.job_w, self.res_r):
            with contextlib.suppress(OSError):
                conn.close()


class _PagePool:
    """Worker processes fed from the event loop, shared by the crawls of one process
    (`vpcrawl run`/`demo` crawl many portals side by side); stopped with its last user.

    Not concurrent.futures.ProcessPoolExecutor: its feeder and manager threads cost ~200 µs
    of the crawler's CPU per page (measured with a 46 KB page), most of what this saves."""

    _pools: ClassVar[dict[bytes, _PagePool]] = {}
    # Jobs per worker: one being read, the rest waiting in its pipe. With wide pipes a worker
    # then never waits for the crawler, and the crawler takes several results per wakeup
    # (700-page 3CMS crawls with wide pipes, pages/s: 2 -> 276, 4 -> 304, 6 -> 325; on
    # mojoPortal 8 and 12 did no better than 6). 12 since the crawler reads a share of pages
    # itself (`ShareOfReads`): a worker then has to keep going ~3 ms at a time on its own.
    DEPTH = 12

    def __init__(self, key: bytes, workers: int, settings: dict[str, Any], paths: list[str]) -> None:
        self.key, self.settings, self.paths = key, settings, paths
        self.waiting: deque[tuple[bytes, asyncio.Future[PageOutcome]]] = deque()
        self.users = 0
        self.started: asyncio.Future[None] | None = None
        self.broken: str | None = None
        self.ready = False  # some worker is ready (until then pages are read inline)
        self._ready_waiters: list[asyncio.Future[None]] = []
        self.sharing = ShareOfReads()
        self._stages: list[PreparedStage] | None = None  # for the pages the crawler reads itself
        # Started now, when the crawl is set up: a spawned worker needs ~0.5 s to import
        # what it runs, which then overlaps the crawler's own start instead of delaying the
        # first pages (a forked one needs none, see `start_method`).
        ctx = multiprocessing.get_context(_start_setting(settings.get("VPCRAWL_PAGE_WORKER_START")))
        self.workers = [_Worker(self, ctx, settings, paths) for _ in range(workers)]

    @classmethod
    def acquire(cls, workers: int, settings: dict[str, Any], paths: list[str]) -> _PagePool:
        key = pickle.dumps((workers, paths, sorted(settings.items(), key=lambda kv: kv[0])))
        pool = cls._pools.get(key)
        if pool is None:
            pool = cls._pools[key] = cls(key, workers, settings, paths)
        pool.users += 1
        return pool

    async def _start(self) -> None:
        """Connect the workers' pipes to the running event loop (on the first page)."""
        loop = asyncio.get_running_loop()
        for worker in self.workers:
            await worker.connect(loop)

    async def connect(self) -> None:
        """Connect the workers' pipes to the running loop, once (then their readiness is heard)."""
        if self.started is None:
            self.started = asyncio.ensure_future(self._start())
        await asyncio.shield(self.started)
        if self.broken:
            raise PoolBroken(self.broken)

    def worker_ready(self) -> None:
        self.ready = True
        self._wake()
        self.dispatch()

    def _wake(self) -> None:
        waiters, self._ready_waiters = self._ready_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_ready(self) -> None:
        """Until a worker is ready or the pool broke."""
        await self.connect()
        if not self.ready and not self.broken:
            waiter = asyncio.get_running_loop().create_future()
            self._ready_waiters.append(waiter)
            await waiter
        if self.broken:
            raise PoolBroken(self.broken)

    async def submit(self, job: PageJob) -> PageOutcome:
        await self.connect()
        future: asyncio.Future[PageOutcome] = asyncio.get_running_loop().create_future()
        self.waiting.append((pickle.dumps(job, pickle.HIGHEST_PROTOCOL), future))
        self.dispatch()
        return await future

    def lagging(self) -> bool:
        """Every live worker has `DEPTH` pages and more are waiting."""
        return bool(self.waiting)

    def live_workers(self) -> int:
        return sum(1 for w in self.workers if w.alive and w.ready)

    def read_here(self, job: PageJob) -> PageOutcome:
        """Read a page in the crawler exactly as a worker would (prepare steps, encoded body)."""
        if self._stages is None:
            self._stages = build_stages(self.settings, self.paths)
        started = time.process_time()
        out = read_fetched_page(job, self._stages)
        _bind_body_json(out)
        self.sharing.crawler_read(time.process_time() - started)
        return out

    def dispatch(self) -> None:
        while self.waiting:
            live = [w for w in self.workers if w.alive and len(w.inflight) < self.DEPTH]
            if not live:
                return
            worker = min(live, key=lambda w: len(w.inflight))
            data, future = self.waiting.popleft()
            if not future.cancelled():
                worker.send(data, future)

    def worker_lost(self, worker: _Worker) -> None:
        """A dead worker breaks the pool: what it and the queue held is read inline."""
        self.broken = f"page worker {worker.process.pid} exited (code {worker.process.exitcode})"
        self._wake()
        while self.waiting:
            _, future = self.waiting.popleft()
            if not future.done():
                future.set_exception(PoolBroken(self.broken))
        self._pools.pop(self.key, None)

    def release(self) -> None:
        self.users -= 1
        if self.users > 0:
            return
        self._pools.pop(self.key, None)
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            _Worker._crawler_fds.difference_update(worker.fds)


class PageReader:
    """Where the spider's pages are read: a shared worker pool, or inline.

    A spawned worker needs ~0.5 s of imports before it reads its first page (a forked one a
    few milliseconds); pages that arrive before a worker says it is ready are read inline
    (`vpcrawl/pagework/inline_before_ready`), so the crawl's first pages, and the whole of a
    small incremental crawl, do not wait for it.

    A pool that breaks (a worker killed, out of memory) is replaced by inline reading for
    the rest of the crawl, logged once and counted (`vpcrawl/pagework/pool_broken`): the
    page that was in flight is read again inline, so nothing is lost.

    While the workers lag, the crawler reads a share of the pages itself, prepared exactly as
    a worker would (`ShareOfReads`, `VPCRAWL_CRAWLER_READS`; `vpcrawl/pagework/read_by_crawler`).
    """

    def __init__(self, workers: int, settings: BaseSettings, crawler: Any = None) -> None:
        self.workers = workers
        self.crawler = crawler
        self.shares_reads = settings.getbool("VPCRAWL_CRAWLER_READS", True)
        self.encode_bodies = bool(workers) and splices_bodies(settings)
        self.paths = prepare_stages(settings) if workers else []
        self.pool = _PagePool.acquire(workers, _picklable_settings(settings), self.paths) if workers else None

    @classmethod
    def from_settings(cls, settings: BaseSettings, crawler: Any = None) -> PageReader:
        workers = worker_count(settings.get("VPCRAWL_PAGE_WORKERS", "auto"))
        if workers and "asyncio" not in str(settings.get("TWISTED_REACTOR") or "").lower():
            logger.info("page workers need the asyncio reactor (TWISTED_REACTOR); reading pages inline")
            workers = 0
        return cls(workers, settings, crawler)

    async def read(self, job: PageJob) -> PageOutcome:
        if self.pool is None:
            return read_fetched_page(job)
        try:
            if not self.pool.ready:
                await self.pool.connect()  # the pipes, so that the worker's "ready" is heard
                if not self.pool.ready:
                    if self.crawler is not None:
                        self.crawler.stats.inc_value("vpcrawl/pagework/inline_before_ready")
                    return read_fetched_page(job)
            pool = self.pool
            if self.shares_reads:
                pool.sharing.page(time.process_time())
                if pool.sharing.take(pool.live_workers(), pool.lagging()):
                    if self.crawler is not None:
                        self.crawler.stats.inc_value("vpcrawl/pagework/read_by_crawler")
                    return pool.read_here(job)
            return await pool.submit(job)
        except (PoolBroken, OSError) as exc:
            if self.pool is not None:
                logger.error("page worker pool failed (%s); reading pages in the crawler process", exc)
                if self.crawler is not None:
                    self.crawler.stats.inc_value("vpcrawl/pagework/pool_broken")
                self.close()
            return read_fetched_page(job)

    async def wait_ready(self) -> bool:
        """Until the workers can take pages; False when there are none (inline reading)."""
        if self.pool is None:
            return False
        try:
            await self.pool.wait_ready()
        except (PoolBroken, OSError):
            return False
        return True

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.release()
