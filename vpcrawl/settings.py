"""Scrapy settings for vpcrawl: polite defaults, and every VPCRAWL_* setting documented.

Every value can be overridden per run with `-s NAME=VALUE` (e.g. `-s DOWNLOAD_DELAY=0
-s AUTOTHROTTLE_ENABLED=False` against the local mirror).
"""

from vpcrawl import __version__
from vpcrawl.items import EXPORT_FIELDS

BOT_NAME = "vpcrawl"
COMMANDS_MODULE = "vpcrawl.commands"  # `scrapy crawl` that reports bad -a arguments in one line
SPIDER_MODULES = ["vpcrawl.spiders"]
NEWSPIDER_MODULE = "vpcrawl.spiders"

# --- Politeness: these are public-service portals on modest hosting. ---
USER_AGENT = f"vpcrawl/{__version__} (+https://github.com/vpcrawl/vpcrawl; research crawler)"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0  # seconds between requests to one portal (AutoThrottle adapts from here)
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around the delay, so requests do not tick like a metronome
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for the output of EVERY response (default 100); our
# pipelines are synchronous, so 100 tasks per page bought nothing and cost ~1 ms of CPU per
# page (py-spy: asyncio create_task was the top frame of a crawl).
CONCURRENT_ITEMS = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # an article page is < 1 MB; anything this big is not one
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COOKIES_ENABLED = False  # portals add session ids to cookies and URLs; we want neither
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 12  # navigation traps (calendars, link mazes) end here at the latest
# Scrapy's depth middleware, with a listing's pager pages at the depth of its first page (the
# pager's length has its own budget: VPCRAWL_MAX_LISTING_PAGES / -a max_pages)
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "vpcrawl.middlewares.ListingDepthMiddleware": 900,
}
# `scrapy check portal`: contracts on the bundled offline mirror (@mirror, @extracts)
SPIDER_CONTRACTS = {
    "vpcrawl.contracts.MirrorContract": 10,
    "vpcrawl.contracts.ExtractsContract": 20,
}
DEPTH_PRIORITY = 1  # breadth-first: listings before deep chains
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

# --- Output: UTF-8 JSON Lines, only the public fields. ---
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(EXPORT_FIELDS)
# Scrapy's JSON Lines exporter, byte for byte, that splices in bodies page workers encoded.
FEED_EXPORTERS = {"jsonlines": "vpcrawl.feeds.JsonLinesExporter", "jsonl": "vpcrawl.feeds.JsonLinesExporter"}

ITEM_PIPELINES = {
    "vpcrawl.pipelines.clean.CleanTextPipeline": 100,
    "vpcrawl.pipelines.dates.DatePipeline": 200,
    "vpcrawl.pipelines.dedup.DedupPipeline": 300,
    "vpcrawl.pipelines.validate.ValidatePipeline": 900,
}

EXTENSIONS = {
    "vpcrawl.extensions.CrawlStateExtension": 100,
    "vpcrawl.distributed.RedisCoordination": 110,  # inactive unless VPCRAWL_REDIS_URL is set
    "vpcrawl.extensions.GarbageCollectorTuning": 120,  # VPCRAWL_GC_GEN0
}

DOWNLOADER_MIDDLEWARES = {
    "vpcrawl.middlewares.OffsiteGuardMiddleware": 50,
    # Scrapy's, ruling a refresh out from the bytes (the crawler no longer decodes every page)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "vpcrawl.middlewares.MetaRefreshMiddleware": 580,
}

# --- vpcrawl settings ---
# Directory of the persistent crawl state (SQLite). Empty string: no state (every run is full).
VPCRAWL_STATE_DIR = ""
# Tone-mark style of the exported text: "keep" (as published), "old" (hòa), "new" (hoà).
VPCRAWL_TONE_STYLE = "keep"
# Near-duplicate (syndicated copy) threshold: estimated Jaccard of word 3-shingles. 0.5 sits in
# the middle of the measured gap between reprints (>= 0.66) and distinct articles on the same
# event or monthly template (<= 0.40); see tests/data/near_dup_pairs.json.
VPCRAWL_NEAR_DUP_THRESHOLD = 0.5
# Listing pages followed per category listing at most (a -a max_pages=N overrides it).
VPCRAWL_MAX_LISTING_PAGES = 50
# Pages fetched per portal at most, per run (a safety net against traps).
VPCRAWL_MAX_SITE_PAGES = 20000
# Navigation pages per URL pattern (the path+query with numbers masked): a calendar with
# endless next-month links, an archive by day, ends here. Pager pages count per listing
# (VPCRAWL_MAX_LISTING_PAGES); for them this caps the listings one pager pattern opens.
VPCRAWL_MAX_PATTERN_PAGES = 50
# Zero-config mode first fingerprints the CMS family; False forces the generic heuristics
# (how vpcrawl does on a CMS it has never seen).
VPCRAWL_FINGERPRINT = True
# Worker processes that read article pages (parse, extract, and each pipeline's pure `prepare`
# step; see vpcrawl/pagework.py): "auto" = the cores left after the crawler's own (at most 4),
# 0 = everything in the crawler process.
VPCRAWL_PAGE_WORKERS = "auto"
# How page workers start: "auto" forks them when the crawler has no other thread yet (they
# start with everything imported, ~0.45 s of CPU less per crawl) and spawns them otherwise;
# "spawn" always starts a fresh interpreter, "fork" always forks (Linux).
VPCRAWL_PAGE_WORKER_START = "auto"
# While the page workers lag behind (long articles, few cores), the crawler reads the share of
# pages that evens out its CPU per page and theirs (vpcrawl.pagework.ShareOfReads); 0 where they
# keep up. False: every page goes to a worker.
VPCRAWL_CRAWLER_READS = True
# Python's cyclic garbage collector in the crawler and its page workers: what is alive once the
# crawl is set up is frozen, and the young generation is collected every this many allocations
# (Python's default is 700; vpcrawl.gctuning says why). 0 leaves the collector alone.
VPCRAWL_GC_GEN0 = 50_000
# Extra host names treated as the portal's own (besides the start URL's host and profile aliases).
VPCRAWL_HOST_ALIASES: list[str] = []

# Every local feed (-O/-o/FEEDS) is written to `<path>.part` and renamed when complete.
FEED_STORAGES = {
    "": "vpcrawl.feeds.AtomicFileFeedStorage",
    "file": "vpcrawl.feeds.AtomicFileFeedStorage",
}
# Where items that fail schema validation are written with their reasons (JSON Lines); empty: log only.
VPCRAWL_REJECTS_FILE = ""
# Incremental crawls: a listing stops paginating after this many consecutive pages holding
# only articles already in the state.
VPCRAWL_INCREMENTAL_TOLERANCE = 1

# Distributed mode (pip install 'vpcrawl[redis]'): a Redis URL switches the scheduler,
# dupefilter and dedup index to Redis (see vpcrawl/distributed.py). Workers of one run share
# VPCRAWL_RUN_ID (default: today's date). An idle worker waits this long for others' links.
VPCRAWL_REDIS_URL = ""
VPCRAWL_RUN_ID = ""
VPCRAWL_REDIS_IDLE_WAIT = 5.0
