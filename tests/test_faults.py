"""Reliability: the real spider (`scrapy crawl portal` in subprocesses) against a fault-injecting
server (tests/faults.py) in front of one small fixture portal, `doanvptw` (Joomla, 12 articles).

Six crawls run concurrently, once per module, each with several faults that do not interfere
(each fault on its own article path):

* ``http``   HTTP-level faults on the 12 real articles: transient (retried, the article arrives)
             and permanent (logged with URL and reason, counted, the rest completes), truncated
             and mis-declared pages, oversized responses, broken gzip.
* ``edges``  more of the same on other articles, plus synthetic pages linked from the home page:
             soft 404 / error pages, redirect loops, redirects off-site and to file:/data:,
             off-site and non-HTTP links, a robots.txt-disallowed article, hostile sitemaps/RSS.
* ``traps``  an endless JEvents calendar and endless pagination (default depth and budgets).
* ``budget`` endless pagination with no depth limit: only the per-listing budget stops it.
* ``session`` a session id appended to every link of every page.
* ``scheduled`` the ``http`` faults again through `vpcrawl run` (data file + run manifest).

Each test checks one property; a crawl-wide safety net (CLOSESPIDER_PAGECOUNT) keeps a trap the
crawler does not stop from running long, and the test then fails on `finish_reason`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT
from tests.faults import MB, Fault, FaultServer, OtherHost, truncate_html
from vpcrawl.extract.feeds import feed_links
from vpcrawl.mirror import path_for

pytestmark = pytest.mark.timeout(150)

PORTAL = "doanvptw"
PORTAL_DIR = ROOT / "fixtures" / PORTAL
META = json.loads((PORTAL_DIR / "portal.json").read_text("utf-8"))
ARTICLES: list[str] = META["articles"]
FIELDS = ("title", "summary", "body", "published_at", "author", "source")
CRAWL_TIMEOUT = 75
COMMON_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_TIMEOUT": "2",
    "RETRY_TIMES": "2",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "DEBUG",
    "CLOSESPIDER_PAGECOUNT": "1500",  # safety net: a trap that is not stopped ends here (and fails)
    "CLOSESPIDER_TIMEOUT": "60",
}
VPTW = "/index.php/thong-tin-hot-dng/vptw"
SECTION = "/index.php/thong-tin-hot-dng"


def expected(path: str) -> dict[str, Any]:
    page = path_for(PORTAL_DIR / "www", path)
    return json.loads(page.with_name(page.name + ".expected.json").read_text("utf-8"))


def article_html(path: str) -> str:
    return path_for(PORTAL_DIR / "www", path).read_text("utf-8")


# --- the crawls -----------------------------------------------------------------------------

# `http`: every real article gets one fault. Transient ones must still deliver the article.
HTTP_FAULTS: dict[str, Fault] = {
    ARTICLES[0]: Fault("status", times=2, arg=503),  # 503, 503, then the page
    ARTICLES[1]: Fault("status", arg=500),  # 500 forever
    ARTICLES[2]: Fault("hang", times=1),  # one timeout, then the page
    ARTICLES[3]: Fault("reset", times=1),  # one reset mid-body, then the page
    ARTICLES[4]: Fault("short", times=1),  # one short body (Content-Length not reached)
    ARTICLES[5]: Fault("truncate"),  # complete 200, HTML cut mid-article, every time
    ARTICLES[6]: Fault("charset"),  # UTF-8 declared as windows-1252, every time
    ARTICLES[7]: Fault("big", arg=30 * MB),  # 30 MB with Content-Length
    ARTICLES[8]: Fault("empty"),  # 200 with an empty body
    ARTICLES[9]: Fault("bad_gzip"),  # Content-Encoding: gzip, not gzip
    ARTICLES[10]: Fault("cut_gzip"),  # gzip stream cut mid-article
    ARTICLES[11]: Fault("hang"),  # never answers
}
HTTP_TRANSIENT = [ARTICLES[i] for i in (0, 2, 3, 4)]
HTTP_PERMANENT = {ARTICLES[1]: "http_500", ARTICLES[7]: "too_large", ARTICLES[8]: "empty",
                  ARTICLES[9]: "bad_gzip", ARTICLES[11]: "timeout"}

SOFT404 = f"{VPTW}/999-bai-viet-da-bi-go-bo"
ERROR_PAGE = f"{VPTW}/998-thong-bao-loi-he-thong"
LOOP_A, LOOP_B = f"{VPTW}/997-chuyen-huong-vong-a", f"{VPTW}/996-chuyen-huong-vong-b"
LOOP_SELF = f"{VPTW}/995-chuyen-huong-mai-mai"
TO_OTHER = f"{VPTW}/994-bai-da-chuyen-sang-trang-khac"
TO_FILE = f"{VPTW}/993-chuyen-huong-tep"
TO_DATA = f"{VPTW}/992-chuyen-huong-data"
DISALLOWED = "/index.php/noi-bo/420-tai-lieu-noi-bo-khong-cong-bo"
XXE_LEAK = f"{VPTW}/421-duong-dan-lo-qua-xxe"
BOMB_LOC = f"{VPTW}/422-duong-dan-trong-bom-xml"

# `edges`: the remaining fault kinds on real articles, the other half of the articles clean.
EDGE_FAULTS: dict[str, Fault] = {
    ARTICLES[0]: Fault("reset"),  # reset forever
    ARTICLES[1]: Fault("encode", arg="cp1258"),  # Windows-1258 bytes declared UTF-8
    ARTICLES[2]: Fault("big_chunked", arg=30 * MB),  # 30 MB without Content-Length
    ARTICLES[3]: Fault("gzip_bomb", arg=64 * MB),  # 30 KB inflating to 64 MB
    ARTICLES[4]: Fault("status", times=1, arg=502),
    ARTICLES[5]: Fault("hang", times=2),  # two timeouts, the third (last) attempt answers
    SOFT404: Fault("soft404"),
    ERROR_PAGE: Fault("error_page"),
    LOOP_A: Fault("redirect", arg=LOOP_B),
    LOOP_B: Fault("redirect", arg=LOOP_A),
    LOOP_SELF + "*": Fault("redirect_chain"),
    TO_OTHER: Fault("redirect", arg="{other}/bai-viet-bi-danh-cap"),
    TO_DATA: Fault("redirect", arg="data:text/html;charset=utf-8,<h1>data</h1>"),
}
EDGE_CLEAN = ARTICLES[6:]
EDGE_PERMANENT = {ARTICLES[0]: "connection", ARTICLES[2]: "too_large", ARTICLES[3]: "too_large"}
BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
              for i in range(1, 10))
    + ']>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    f"<url><loc>{{base}}{ARTICLES[6]}</loc></url><url><loc>{{base}}{BOMB_LOC}?x=&lol9;</loc></url></urlset>\n"
)
RSS_BOMB = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">\n'
    + "".join(f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 16}">\n' for i in range(1, 8))
    + ']>\n<rss version="2.0"><channel><title>&a7;</title><item><title>x</title>'
    f"<link>{{base}}{ARTICLES[7]}</link></item><item><link>{{base}}{BOMB_LOC}?rss=&a7;</link></item>"
    "</channel></rss>\n"
)


def _xxe_sitemap(leak_file: Path) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<!DOCTYPE urlset [\n<!ENTITY xxe SYSTEM "file://{leak_file}">\n'
        '<!ENTITY remote SYSTEM "{other}/xxe-entity">\n<!ENTITY % dtd SYSTEM "{other}/xxe.dtd">\n%dtd;\n]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{{base}}{ARTICLES[8]}</loc></url><url><loc>&xxe;</loc></url>"
        "<url><loc>&remote;</loc></url></urlset>\n"
    )


def _edge_pages(tmp: Path) -> tuple[dict[str, Fault], list[tuple[str, str]], str]:
    leak = tmp / "xxe-leak.txt"
    leak.write_text("{base}" + XXE_LEAK, encoding="utf-8")  # a URL on the portal if ever resolved
    secret = tmp / "secret-article.html"
    secret.write_text(article_html(ARTICLES[0]), encoding="utf-8")  # reset forever in `edges`
    robots = ("User-agent: *\nDisallow: /index.php/noi-bo/\n"
              "Sitemap: {base}/sitemap-bomb.xml\nSitemap: {base}/sitemap-xxe.xml\n")
    xml = {"Content-Type": "application/xml; charset=utf-8"}
    html = {"Content-Type": "text/html; charset=utf-8"}
    pages = {
        "/robots.txt": Fault("page", arg=(200, {"Content-Type": "text/plain"}, robots)),
        "/sitemap-bomb.xml": Fault("page", arg=(200, xml, BILLION_LAUGHS)),
        "/sitemap-xxe.xml": Fault("page", arg=(200, xml, _xxe_sitemap(leak))),
        "/feed-bomb.rss": Fault("page", arg=(200, {"Content-Type": "application/rss+xml"}, RSS_BOMB)),
        DISALLOWED: Fault("page", arg=(200, html, article_html(ARTICLES[10]))),
        XXE_LEAK: Fault("page", arg=(200, html, article_html(ARTICLES[10]))),
        TO_FILE: Fault("redirect", arg=f"file://{secret}"),
    }
    links = [
        (SOFT404, "Bài viết đã bị gỡ bỏ khỏi trang"),
        (ERROR_PAGE, "Thông báo lỗi hệ thống của trang"),
        (LOOP_A, "Chuyển hướng vòng lặp A"),
        (LOOP_SELF, "Chuyển hướng mãi mãi"),
        (TO_OTHER, "Bài đã chuyển sang trang khác"),
        (TO_FILE, "Chuyển hướng sang tệp cục bộ"),
        (TO_DATA, "Chuyển hướng sang data"),
        (DISALLOWED, "Tài liệu nội bộ không công bố"),
        ("{other}/lien-ket-ngoai", "Liên kết sang trang khác"),
        ("//localhost:1/khong-giao-thuc", "Liên kết không giao thức"),
        (f"file://{secret}", "Tệp cục bộ"),
        ("data:text/html;charset=utf-8,%3Ch1%3EBai%20data%3C%2Fh1%3E", "Bài dạng data"),
        ("ftp://127.0.0.1/pub/tai-lieu.pdf", "Tài liệu FTP"),
        ("gopher://127.0.0.1/1/bai", "Gopher"),
    ]
    head = '<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed-bomb.rss" />'
    return pages, links, head


@dataclass
class Crawl:
    name: str
    returncode: int | None
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    stderr: str
    elapsed: float
    requests: dict[str, list[str]]
    injected: dict[str, int]
    other_requests: list[str]
    out_dir: Path
    server_base: str
    extra: dict[str, Any] = field(default_factory=dict)

    def items_for(self, path: str) -> list[dict[str, Any]]:
        return [i for i in self.items if _path(i["url"]) == path]

    def records(self) -> list[str]:
        """Log records (a record's traceback lines belong to it)."""
        return re.split(r"\n(?=\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[)", self.log)

    def crawled_urls(self) -> list[str]:
        """Every URL the downloader fetched or tried (responses, redirects, failures)."""
        pattern = (r"(?:Crawled \(\d+\)|Redirecting \(\d+\) to <GET [^>]+> from|Retrying|Gave up retrying"
                   r"|Error downloading) <GET ([^>]+)>")
        return re.findall(pattern, self.log)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_stats(log: str) -> dict[str, Any]:
    """The dict of the "Dumping Scrapy stats" record (pprint of a dict with datetimes)."""
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n(?=\d{4}-\d{2}-\d{2} |\Z)", log, re.S)
    if not match:
        return {}
    import datetime as dt

    return eval(match.group(1), {"__builtins__": {}}, {"datetime": dt})  # our own log: trusted


def start_crawl(server: FaultServer, out_dir: Path, args: list[str] | None = None,
                settings: dict[str, str] | None = None, scheduled: bool = False) -> subprocess.Popen[bytes]:
    """`scrapy crawl portal` (or, `scheduled`, `vpcrawl run` writing data + manifest under out_dir)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if scheduled:
        cmd = [sys.executable, "-m", "vpcrawl.cli", "run", "--site", PORTAL, "--url", server.url,
               "--out", str(out_dir / "runs"), "--log-level", "DEBUG",
               "-s", f"LOG_FILE={out_dir / 'crawl.log'}"]
    else:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"site={PORTAL}",
               "-a", f"url={server.url}", *(args or []), "-O", str(out_dir / "run.jsonl"),
               "-s", f"LOG_FILE={out_dir / 'crawl.log'}"]
    for key, value in {**COMMON_SETTINGS, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish_crawl(name: str, proc: subprocess.Popen[bytes], server: FaultServer, other: OtherHost,
                 out_dir: Path, started: float, timeout: float) -> Crawl:
    try:
        _, err = proc.communicate(timeout=max(1.0, timeout - (time.monotonic() - started)))
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        err = err + b"\n[test] crawl killed after timeout"
    elapsed = time.monotonic() - started
    out = out_dir / "run.jsonl"
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()] \
        if out.exists() else []
    for data in sorted(out_dir.glob("runs/*/*/*.jsonl.gz")):  # `vpcrawl run`
        with gzip.open(data, "rt", encoding="utf-8") as fh:
            items += [json.loads(line) for line in fh if line.strip()]
    log_file = out_dir / "crawl.log"
    log = log_file.read_text("utf-8", errors="replace") if log_file.exists() else ""
    return Crawl(name, proc.returncode, items, parse_stats(log), log, err.decode("utf-8", "replace"),
                 elapsed, {k: list(v) for k, v in server.requests.items()}, dict(server.injected),
                 list(other.requests), out_dir, server.base_url)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Crawl]:
    tmp = tmp_path_factory.mktemp("faults")
    other = OtherHost().start()
    edge_pages, edge_links, edge_head = _edge_pages(tmp)
    servers = {
        "http": FaultServer(PORTAL, HTTP_FAULTS, other_base=other.base_url, hang_seconds=10),
        "edges": FaultServer(PORTAL, {**EDGE_FAULTS, **edge_pages}, other_base=other.base_url,
                             inject_links=edge_links, inject_head=edge_head, hang_seconds=10),
        "traps": FaultServer(PORTAL, other_base=other.base_url, traps=("calendar", "pagination"),
                             inject_links=[("/index.php/component/jevents/month.calendar/2021/06/-",
                                            "Lịch sự kiện")]),
        "budget": FaultServer(PORTAL, other_base=other.base_url, traps=("pagination",)),
        "session": FaultServer(PORTAL, other_base=other.base_url, traps=("session",)),
        "scheduled": FaultServer(PORTAL, HTTP_FAULTS, other_base=other.base_url, hang_seconds=10),
    }
    options: dict[str, tuple[list[str], dict[str, str]]] = {
        "budget": (["-a", "max_pages=4"], {"DEPTH_LIMIT": "0"}),
        "session": ([], {"CLOSESPIDER_PAGECOUNT": "400"}),  # ~35 real pages: 400 means no end
    }
    procs = {}
    try:
        for name, srv in servers.items():
            srv.start()
            args, settings = options.get(name, ([], {}))
            procs[name] = (start_crawl(srv, tmp / name, args, settings, scheduled=name == "scheduled"),
                           time.monotonic())
        results = {}
        for name, (proc, started) in procs.items():
            results[name] = finish_crawl(name, proc, servers[name], other, tmp / name, started, CRAWL_TIMEOUT)
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
        for srv in servers.values():
            srv.stop()
        other.stop()
    summary = {n: {"rc": c.returncode, "items": len(c.items), "s": round(c.elapsed, 1),
                   "finish": c.stats.get("finish_reason"), "requests": sum(map(len, c.requests.values())),
                   "injected": c.injected} for n, c in results.items()}
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return results


def assert_right(item: dict[str, Any], path: str) -> None:
    want = expected(path)
    for key in FIELDS:
        assert item[key] == want[key], f"{path}: {key} differs\n got: {item[key]!r:.300}\nwant: {want[key]!r:.300}"


def assert_clean_run(crawl: Crawl) -> None:
    assert crawl.returncode == 0, f"{crawl.name}: exit {crawl.returncode}: {crawl.stderr[-1500:]}"
    assert crawl.stats.get("finish_reason") == "finished", f"{crawl.name}: {crawl.stats.get('finish_reason')}"


def reason_logged(crawl: Crawl, path: str, reason: str) -> bool:
    """A WARNING/ERROR record names the URL and matches the reason pattern."""
    url = crawl.server_base + path
    return any(url in r and re.search(reason, r, re.I) and re.search(r"\] (WARNING|ERROR):", r)
               for r in crawl.records())


# --- transient faults: retried, the article arrives ------------------------------------------

def test_transient_faults_are_retried_and_the_article_arrives(crawls: dict[str, Crawl]) -> None:
    http, edges = crawls["http"], crawls["edges"]
    assert_clean_run(http)
    assert_clean_run(edges)
    cases = [(http, p) for p in HTTP_TRANSIENT] + [(edges, ARTICLES[4]), (edges, ARTICLES[5])]
    for crawl, path in cases:
        kinds = crawl.requests.get(path, [])
        assert kinds and kinds[0] and kinds[-1] == "", f"{path}: fault not injected then served: {kinds}"
        got = crawl.items_for(path)
        assert len(got) == 1, f"{crawl.name} {path} after {kinds}: {len(got)} items"
        assert_right(got[0], path)
    assert http.stats.get("retry/count", 0) >= 2 + 1 + 1 + 1


def test_clean_articles_all_arrive_exactly_once_despite_faults_elsewhere(crawls: dict[str, Crawl]) -> None:
    edges = crawls["edges"]
    assert_clean_run(edges)
    for path in EDGE_CLEAN:
        got = edges.items_for(path)
        assert len(got) == 1, f"{path}: {len(got)} items"
        assert_right(got[0], path)
    for crawl in crawls.values():
        ids = [i["id"] for i in crawl.items]
        assert len(ids) == len(set(ids)), f"{crawl.name}: duplicate items {sorted(i['url'] for i in crawl.items)}"


# --- permanent faults: logged with URL and reason, counted, the crawl completes ---------------

PERMANENT_REASONS = {
    "http_500": r"\b500\b",
    "timeout": r"time(d )?out|TimeoutError",
    "connection": r"ConnectionLost|DataLoss|connection|reset",
    "too_large": r"max(imum)? size|maxsize|larger than|DOWNLOAD_MAXSIZE|too large",
    "empty": r"empty|unreadable|truncat",  # an empty body is a page cut at 0 bytes
    "bad_gzip": r"gzip|decompress|zlib",
}


def test_permanent_faults_are_logged_with_url_and_reason(crawls: dict[str, Crawl]) -> None:
    missing = []
    for crawl, faults in ((crawls["http"], HTTP_PERMANENT), (crawls["edges"], EDGE_PERMANENT)):
        assert_clean_run(crawl)
        for path, kind in faults.items():
            assert crawl.items_for(path) == [], f"{path}: emitted despite {kind}"
            if not reason_logged(crawl, path, PERMANENT_REASONS[kind]):
                missing.append((crawl.name, kind, path))
    assert missing == [], f"no WARNING/ERROR line with URL and reason for: {missing}"


# A stat whose key names the reason, per permanent fault kind.
STAT_FOR_REASON = {
    "http_500": r"(status_count|reason_count)/500",
    "timeout": r"Timeout",
    "connection": r"DataLoss|ConnectionLost|connection",
    "too_large": r"maxsize|max_size|too_large|oversize",
    "empty": r"empty|extract/failed|truncat",
    "bad_gzip": r"gzip|decompress|zlib|bad_encoding|content_encoding",
}


def test_permanent_faults_are_counted_in_stats_by_reason(crawls: dict[str, Crawl]) -> None:
    uncounted = []
    for crawl, faults in ((crawls["http"], HTTP_PERMANENT), (crawls["edges"], EDGE_PERMANENT)):
        for kind in set(faults.values()):
            keys = [k for k, v in crawl.stats.items() if re.search(STAT_FOR_REASON[kind], k) and v]
            if not keys:
                uncounted.append((crawl.name, kind))
    assert uncounted == [], f"no stat names the reason: {uncounted}"


# Manifest error keys (`vpcrawl run`, vpcrawl.runner.errors_from_stats) naming each permanent reason.
MANIFEST_KEY_FOR_REASON = {
    "http_500": r"^http_500$",
    "timeout": r"[Tt]imeout",
    "too_large": r"maxsize|max_size|too_large|oversize",
    "empty": r"empty|truncat",
    "bad_gzip": r"gzip|decompress|zlib|encoding",
}


def test_permanent_faults_are_counted_in_the_run_manifest(crawls: dict[str, Crawl]) -> None:
    run = crawls["scheduled"]
    manifests = sorted(run.out_dir.glob("runs/*/*/*.manifest.json"))
    assert manifests, f"`vpcrawl run` left no manifest: {run.stderr[-1500:]}"
    manifest = json.loads(manifests[0].read_text("utf-8"))
    assert manifest["counts"]["articles"] == len(run.items)
    errors = manifest.get("errors", {})
    missing = [kind for kind in sorted(set(HTTP_PERMANENT.values()))
               if not any(re.search(MANIFEST_KEY_FOR_REASON[kind], key) and n for key, n in errors.items())]
    assert missing == [], f"permanent faults not in the manifest by reason: {missing}; errors: {errors}"


def test_scheduled_run_survives_the_same_faults(crawls: dict[str, Crawl]) -> None:
    run = crawls["scheduled"]
    assert run.returncode == 0, run.stderr[-1500:]
    manifests = sorted(run.out_dir.glob("runs/*/*/*.manifest.json"))
    assert manifests and json.loads(manifests[0].read_text("utf-8"))["finish_reason"] == "finished"
    for path in HTTP_TRANSIENT:
        got = run.items_for(path)
        assert len(got) == 1, f"{path}: {len(got)} items"
        assert_right(got[0], path)


# --- truncated and mis-declared pages: right item, or none and a counted reason ---------------

def _right_or_counted(crawl: Crawl, path: str, reason_stat: str) -> None:
    got = crawl.items_for(path)
    if got:
        assert len(got) == 1
        assert_right(got[0], path)
    else:
        keys = [k for k, v in crawl.stats.items() if re.search(reason_stat, k, re.I) and v]
        assert keys, f"{path}: not emitted and no reason counted ({reason_stat})"


def test_truncated_page_is_never_emitted_with_a_cut_body(crawls: dict[str, Crawl]) -> None:
    path = ARTICLES[5]
    html = article_html(path).encode("utf-8")
    cut = truncate_html(html).decode("utf-8", "ignore")
    assert "articleBody" in cut and "</html>" not in cut  # the fault really cuts mid-article
    _right_or_counted(crawls["http"], path, r"truncat|incomplete")


def test_truncated_gzip_stream_is_never_emitted_with_a_cut_body(crawls: dict[str, Crawl]) -> None:
    _right_or_counted(crawls["http"], ARTICLES[10], r"truncat|incomplete|gzip|decompress")


def test_page_with_wrong_declared_charset_is_right_or_not_emitted(crawls: dict[str, Crawl]) -> None:
    _right_or_counted(crawls["http"], ARTICLES[6], r"charset|encoding|mojibake")


def test_legacy_encoded_page_declared_utf8_is_right_or_not_emitted(crawls: dict[str, Crawl]) -> None:
    _right_or_counted(crawls["edges"], ARTICLES[1], r"charset|encoding|decode")


def test_empty_and_broken_gzip_bodies_emit_nothing(crawls: dict[str, Crawl]) -> None:
    http = crawls["http"]
    for path in (ARTICLES[8], ARTICLES[9]):
        assert http.items_for(path) == []
    assert not [i for c in crawls.values() for i in c.items if not (i.get("body") or "").strip()]


# --- soft 404 and error pages ------------------------------------------------------------------

def test_soft_404_and_error_pages_are_not_articles(crawls: dict[str, Crawl]) -> None:
    edges = crawls["edges"]
    assert edges.requests.get(SOFT404) and edges.requests.get(ERROR_PAGE), "pages never requested"
    emitted = [i for i in edges.items if _path(i["url"]) in (SOFT404, ERROR_PAGE)]
    titles = [i["title"] for i in emitted]
    assert emitted == [], f"error pages emitted as articles: {titles}"


# --- traps -------------------------------------------------------------------------------------

def _trap_requests(crawl: Crawl, pattern: str) -> int:
    return sum(len(v) for k, v in crawl.requests.items() if re.search(pattern, k))


def _all_articles_once(crawl: Crawl) -> None:
    paths = sorted(_path(i["url"]) for i in crawl.items)
    assert paths == sorted(ARTICLES), f"{crawl.name}: articles {len(paths)}/{len(ARTICLES)}"
    for item in crawl.items:
        assert_right(item, _path(item["url"]))


def test_endless_pagination_ends_and_every_article_arrives(crawls: dict[str, Crawl]) -> None:
    traps = crawls["traps"]
    assert_clean_run(traps)
    per_listing = {lst: _trap_requests(traps, re.escape(lst) + r"\?start=\d+")
                   for lst in (VPTW, f"{SECTION}/doan-thanh-nien")}
    # ends at the per-listing budget (VPCRAWL_MAX_LISTING_PAGES=50; a listing's pages share one
    # depth, so DEPTH_LIMIT does not end it first); the pager links five pages ahead, so a few
    # requests may be in flight past it
    assert all(50 - 5 <= n <= 50 + 5 for n in per_listing.values()), per_listing
    _all_articles_once(traps)


def test_per_listing_budget_stops_endless_pagination_without_depth_limit(crawls: dict[str, Crawl]) -> None:
    budget = crawls["budget"]
    assert_clean_run(budget)
    per_listing = {lst: _trap_requests(budget, re.escape(lst) + r"\?start=\d+")
                   for lst in (VPTW, f"{SECTION}/doan-thanh-nien")}
    # -a max_pages=4: page 1 plus at most 3 more; the pager shows 5 pages ahead at once
    assert all(1 <= n <= 4 + 5 for n in per_listing.values()), per_listing
    _all_articles_once(budget)


CALENDAR = r"/index\.php/component/jevents/"


def test_calendar_trap_is_stopped_by_a_per_pattern_budget(crawls: dict[str, Crawl]) -> None:
    traps = crawls["traps"]
    n = _trap_requests(traps, CALENDAR)
    assert n <= 100, f"calendar trap pages fetched: {n}"


def test_calendar_trap_ends_and_every_article_arrives(crawls: dict[str, Crawl]) -> None:
    traps = crawls["traps"]
    assert_clean_run(traps)
    assert _trap_requests(traps, CALENDAR) >= 3  # the trap was entered
    assert traps.stats.get("request_depth_max", 0) <= 12
    _all_articles_once(traps)


def test_session_id_trap_ends_with_every_article_once(crawls: dict[str, Crawl]) -> None:
    session = crawls["session"]
    assert_clean_run(session)
    _all_articles_once(session)
    real_pages = len(ARTICLES) + len(META["listings"]) + len(META["non_articles"]) + 5
    total = sum(len(v) for v in session.requests.values())
    assert total <= 2 * real_pages, f"{total} requests for {real_pages} real pages"


# --- hosts, schemes, robots --------------------------------------------------------------------

def test_never_requests_another_host_or_scheme(crawls: dict[str, Crawl]) -> None:
    assert crawls["edges"].requests.get(TO_OTHER), "redirect off-site never triggered"
    for crawl in crawls.values():
        assert crawl.other_requests == [], f"{crawl.name}: the other host got {crawl.other_requests}"
        own = urlsplit(crawl.server_base).netloc
        strays = [u for u in crawl.crawled_urls() if urlsplit(u).scheme != "http" or urlsplit(u).netloc != own]
        assert strays == [], f"{crawl.name}: fetched {strays}"
        assert not [i for i in crawl.items if urlsplit(i["url"]).netloc != own]


def test_redirects_off_site_and_to_other_schemes_are_not_followed(crawls: dict[str, Crawl]) -> None:
    edges = crawls["edges"]
    for path in (TO_OTHER, TO_FILE, TO_DATA):
        assert edges.requests.get(path), f"{path} never requested"
        assert edges.items_for(path) == []
    titles = {i["title"] for i in edges.items}
    assert expected(ARTICLES[0])["title"] not in titles  # the file: copy (its own URL always resets)
    assert not re.search(r"Crawled \(\d+\) <GET (file|data):", edges.log)


def test_redirect_loops_end(crawls: dict[str, Crawl]) -> None:
    edges = crawls["edges"]
    assert_clean_run(edges)
    assert 1 <= len(edges.requests.get(LOOP_A, [])) <= 3
    chain = _trap_requests(edges, re.escape(LOOP_SELF))
    assert 1 <= chain <= 7, f"redirect chain followed {chain} times (REDIRECT_MAX_TIMES=5)"
    for path in (LOOP_A, LOOP_B, LOOP_SELF):
        assert edges.items_for(path) == []


def test_redirect_loop_is_logged_and_counted(crawls: dict[str, Crawl]) -> None:
    edges = crawls["edges"]
    assert reason_logged(edges, LOOP_SELF, r"redirect"), "no WARNING/ERROR for the redirect loop"
    assert [k for k, v in edges.stats.items() if re.search(r"redirect", k) and v], "no redirect stat"


def test_robots_txt_disallow_is_honoured(crawls: dict[str, Crawl]) -> None:
    edges = crawls["edges"]
    assert edges.requests.get("/robots.txt"), "robots.txt never fetched"
    assert DISALLOWED not in edges.requests, "fetched a path robots.txt disallows"
    assert edges.stats.get("robotstxt/forbidden", 0) >= 1
    assert edges.items_for(DISALLOWED) == []


# --- oversized responses ------------------------------------------------------------------------

def test_oversized_responses_are_cut_and_memory_stays_bounded(crawls: dict[str, Crawl]) -> None:
    http, edges = crawls["http"], crawls["edges"]
    for crawl, path in ((http, ARTICLES[7]), (edges, ARTICLES[2]), (edges, ARTICLES[3])):
        assert crawl.requests.get(path), f"{path} never requested"
        assert crawl.items_for(path) == []
        assert reason_logged(crawl, path, PERMANENT_REASONS["too_large"]), f"{path}: no size warning"
    for crawl in (http, edges):
        grown = crawl.stats.get("memusage/max", 0) - crawl.stats.get("memusage/startup", 0)
        assert grown < 60 * MB, f"{crawl.name}: memory grew {grown / MB:.0f} MB"
    assert edges.stats.get("downloader/response_bytes", 0) < 20 * MB


# --- hostile XML ------------------------------------------------------------------------------

def test_sitemap_and_rss_bombs_and_external_entities_are_harmless(crawls: dict[str, Crawl]) -> None:
    edges = crawls["edges"]
    for path in ("/sitemap-bomb.xml", "/sitemap-xxe.xml", "/feed-bomb.rss"):
        assert edges.requests.get(path), f"{path} never requested"
    assert XXE_LEAK not in edges.requests, "an external entity was resolved (file: URL content used)"
    assert not [k for k in edges.requests if BOMB_LOC in k and len(k) > 2000], "entities expanded"
    assert edges.other_requests == []  # no external DTD/entity fetched


def test_feed_links_does_not_expand_entities_or_read_files(tmp_path: Path) -> None:
    started = time.monotonic()
    links = feed_links(BILLION_LAUGHS.replace("{base}", "http://x").encode())
    assert time.monotonic() - started < 1.0
    assert all(len(url) < 200 for url, _ in links)
    assert ("http://x" + ARTICLES[6], False) in links
    secret = tmp_path / "leak.txt"
    secret.write_text("http://x/leaked", encoding="utf-8")
    xxe = _xxe_sitemap(secret).replace("{base}", "http://x").replace("{other}", "http://127.0.0.1:9")
    links = feed_links(xxe.encode())
    assert "http://x/leaked" not in [u for u, _ in links]
    assert ("http://x" + ARTICLES[8], False) in links
    rss = feed_links(RSS_BOMB.replace("{base}", "http://x").encode())
    assert all(len(url) < 200 for url, _ in rss)


# --- figures for the note -----------------------------------------------------------------------

def test_fault_figures(crawls: dict[str, Crawl]) -> None:
    """Faults injected by kind across the crawls, and what became of the article behind each
    fault on an article URL (right / not emitted / wrong); printed for the note (pytest -s)."""
    injected: dict[str, int] = {}
    for crawl in crawls.values():
        for kind, n in crawl.injected.items():
            injected[kind] = injected.get(kind, 0) + n
    outcomes: dict[str, dict[str, int]] = {}
    for crawl, faults in ((crawls["http"], HTTP_FAULTS), (crawls["edges"], EDGE_FAULTS)):
        for path, fault in faults.items():
            if path not in ARTICLES:
                continue
            got = crawl.items_for(path)
            if not got:
                outcome = "not_emitted"
            else:
                want = expected(path)
                outcome = "right" if all(got[0][k] == want[k] for k in FIELDS) else "wrong"
            label = fault.kind + ("" if fault.times is None else f" x{fault.times}")
            outcomes.setdefault(label, {}).setdefault(outcome, 0)
            outcomes[label][outcome] += 1
    print("faults injected by kind:", json.dumps(dict(sorted(injected.items()))))
    print("article outcome by fault:", json.dumps(dict(sorted(outcomes.items()))))
    assert sum(injected.values()) >= 20
