"""Crawl benchmark: a bare Scrapy spider (A) against `scrapy crawl portal` with every stage (B).

One run generates the mirror (benchmarks/gen_mirror.py) into a temporary directory, serves it
on 127.0.0.1 (nginx when the binary exists, else a threaded Python server with every page
preloaded, in its own process), then alternates A and B `--reps` times over every portal of
the mirror, each crawl a fresh `scrapy` subprocess:

* A: `scrapy runspider benchmarks/bare_spider.py` (same links, trivial item, no pipelines);
* B: `scrapy crawl portal -a site=<id> -a url=<mirror> ... -O out.jsonl -s VPCRAWL_STATE_DIR=<tmp>`
  (extraction, cleaning, dates, dedup with the SQLite state, validation, JSON Lines export).

Per crawl: pages/s and CPU ms/page over the crawl itself (engine start to spider close, measured
inside the crawler by bare_spider.CrawlMeter with resource.getrusage), the whole process's CPU
and peak RSS (os.wait4 rusage of the child: startup and imports included), tree parses per page
and whether dateparser was imported. B's output is checked: articles emitted (must be ~all),
dates found, and how many of them the fast path resolves alone.

    .venv/bin/python benchmarks/crawl_bench.py [--pages 2000] [--reps 3] [--long] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
BIN = Path(sys.executable).parent
SCRAPY = str(BIN / "scrapy")
METER = '{"bare_spider.MeterAddon": 0}'
TARGET_RATIO = 0.7
# A bare Scrapy; B `scrapy crawl portal` as shipped (page workers: VPCRAWL_PAGE_WORKERS=auto);
# B0 the same with VPCRAWL_PAGE_WORKERS=0 (all of vpcrawl's work in the crawler process)
KINDS = ("A", "B", "B0")
# reference runs of the bare spider, and how the report names them: at Scrapy's default
# CONCURRENT_ITEMS=100 (what B/A was before vpcrawl set it to 4), and with the
# garbage-collector tuning vpcrawl ships (what that tuning alone gives bare Scrapy)
REFERENCES = {
    "A100": "bare spider at Scrapy's default CONCURRENT_ITEMS=100, which vpcrawl sets to 4",
    "Agc": "bare spider with vpcrawl's garbage-collector tuning, VPCRAWL_GC_GEN0",
}
TARGET_RSS_GROWTH = 1.2
CRAWL_TIMEOUT = 1800

sys.path.insert(0, str(BENCH))
import gen_mirror  # noqa: E402

# --- the machine ----------------------------------------------------------------------------


def machine_info(server: str = "") -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for name in ("scrapy", "twisted", "lxml", "parsel", "dateparser", "datasketch", "psutil"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = "-"
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "machine": f"{platform.node()} {platform.machine()}, {cpu or 'cpu ?'}, {os.cpu_count()} logical CPUs, {mem} RAM",
        "load": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "server": server,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    }


# --- servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


NGINX_CONF = """\
{user}worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    types {{ text/plain txt; }}
    default_type "text/html; charset=utf-8";
{servers}
}}
"""
NGINX_SERVER = """\
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
        location / {{ try_files "$uri@$args" $uri $uri/ =404; }}
    }}
"""


class Server:
    """The mirror's HTTP server: nginx (a generated config, `daemon off`) or the Python one."""

    def __init__(self, mirror: Path, manifest: dict[str, Any], kind: str = "auto") -> None:
        self.mirror = mirror
        self.ports: list[int] = []
        nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
        if kind == "nginx" and not nginx:
            raise RuntimeError("--server nginx: no nginx binary (apt-get install -y nginx-light)")
        self.kind = "nginx" if (kind in ("auto", "nginx") and nginx) else "python"
        if self.kind == "nginx":
            assert nginx is not None
            tmp = mirror / "_nginx"
            tmp.mkdir(exist_ok=True)
            servers = []
            for p in manifest["portals"]:
                port = _free_port()
                self.ports.append(port)
                servers.append(NGINX_SERVER.format(port=port, root=mirror / p["dir"]))
            conf = tmp / "nginx.conf"
            # started as root, nginx workers would drop to `nobody`, who cannot read a private temp dir
            user = "user root;\n" if os.geteuid() == 0 else ""
            conf.write_text(NGINX_CONF.format(user=user, tmp=tmp, servers="".join(servers)))
            self.version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
            self.cmd = [nginx, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf)]
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=open(tmp / "stderr.log", "wb"))
            for port in self.ports:
                _wait_port(port)
            self.label = f"{self.version.replace('nginx version: ', '')} (1 worker, sendfile, keep-alive)"
        else:
            self.cmd = [sys.executable, str(BENCH / "gen_mirror.py"), str(mirror), "--serve"]
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert self.proc.stdout is not None
            self.ports = [int(p) for p in self.proc.stdout.readline().split()]
            for port in self.ports:
                _wait_port(port)
            self.label = ("Python ThreadingHTTPServer, pages preloaded in memory, HTTP/1.1 keep-alive, "
                          "listen backlog 1024, own process " + ("(--server python)" if nginx else "(no nginx)"))

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}/"

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        if self.kind == "nginx":
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish open connections, exit
        else:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- one crawl --------------------------------------------------------------------------------


@dataclass
class Crawl:
    kind: str  # "A" | "B" | "B0" (B with VPCRAWL_PAGE_WORKERS=0: everything in one process)
    site: str
    rep: int
    cmd: list[str]
    cwd: str
    spawned_at: float = 0.0  # time.time() when the process was started
    wall_process_s: float = 0.0
    cpu_process_s: float = 0.0
    maxrss_mb: float = 0.0
    meter: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    returncode: int = 0

    @property
    def pages(self) -> int:
        return int(self.meter.get("responses", 0))

    @property
    def wall_s(self) -> float:
        return float(self.meter.get("wall_s", 0.0))

    @property
    def cpu_main_s(self) -> float:
        """CPU of the crawler process alone."""
        return float(self.meter.get("cpu_s", 0.0))

    @property
    def cpu_s(self) -> float:
        """CPU of the crawler and its page workers: what the crawl cost the machine."""
        return self.cpu_main_s + float(self.meter.get("children_cpu_s", 0.0))

    @property
    def workers_peak_rss_mb(self) -> float:
        return float(self.meter.get("end", {}).get("children_maxrss_kb", 0)) / 1024


def _run_child(cmd: list[str], cwd: str, env: dict[str, str], log: Path, timeout: float) -> tuple[int, float, float, float]:
    """Run a crawler to completion; (returncode, wall s, CPU s, ru_maxrss MB) from os.wait4."""
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return proc.returncode, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def crawl_cmd(kind: str, portal: dict[str, Any], base_url: str, work: Path, tag: str,
              rss_at: str = "", extra: tuple[str, ...] = ()) -> tuple[list[str], str, Path, Path]:
    """The exact command of one crawl, its working directory, meter file and output file."""
    meter = work / f"meter-{tag}.json"
    out = work / f"out-{tag}.jsonl"
    common = ["-s", f"ADDONS={METER}", "-s", f"BENCH_METER_FILE={meter}"]
    if rss_at:
        common += ["-s", f"BENCH_RSS_AT={rss_at}"]
    if kind in ("A", *REFERENCES):
        default = {"A100": ["-s", "CONCURRENT_ITEMS=100"],
                   "Agc": ["-s", f"BENCH_GC_GEN0={_vpcrawl_gc_gen0()}"]}.get(kind, [])
        cmd = [SCRAPY, "runspider", str(BENCH / "bare_spider.py"), "-a", f"url={base_url}",
               "-a", f"article_re={portal['article_re']}", *default, *common]
        cwd = work / "bare"  # no scrapy.cfg here: Scrapy's defaults + the spider's custom_settings
        cwd.mkdir(exist_ok=True)
        return cmd, str(cwd), meter, out
    state = work / f"state-{tag}"
    if kind == "B0":
        extra = ("-s", "VPCRAWL_PAGE_WORKERS=0", *extra)
    cmd = [SCRAPY, "crawl", "portal", "-a", f"site={portal['site']}", "-a", f"url={base_url}",
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "ROBOTSTXT_OBEY=False",
           "-O", str(out), "-s", f"VPCRAWL_STATE_DIR={state}", *extra, *common]
    return cmd, str(ROOT), meter, out


def _vpcrawl_gc_gen0() -> int:
    from vpcrawl import settings

    return int(settings.VPCRAWL_GC_GEN0)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH), str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONHASHSEED"] = "0"
    return env


def run_crawl(kind: str, portal: dict[str, Any], base_url: str, work: Path, rep: int,
              rss_at: str = "", wrap: list[str] | None = None, extra: tuple[str, ...] = ()) -> Crawl:
    tag = f"{kind}-{portal['site']}-{rep}"
    cmd, cwd, meter_file, out = crawl_cmd(kind, portal, base_url, work, tag, rss_at, extra)
    if wrap:
        cmd = [*wrap, *cmd]
    c = Crawl(kind, portal["site"], rep, cmd, cwd, spawned_at=time.time())
    rc, c.wall_process_s, c.cpu_process_s, c.maxrss_mb = _run_child(cmd, cwd, _env(), work / f"log-{tag}.txt", CRAWL_TIMEOUT)
    c.returncode = rc
    if rc != 0 or not meter_file.is_file():
        log = (work / f"log-{tag}.txt").read_text("utf-8", "replace")[-3000:]
        raise RuntimeError(f"crawl {tag} failed (exit {rc}):\n{shlex.join(cmd)}\n{log}")
    c.meter = json.loads(meter_file.read_text("utf-8"))
    # the crawler's own peak (VmHWM at engine stop; wait4's ru_maxrss includes the parent's
    # pre-exec image); the engine-less shutdown after it allocates nothing worth counting
    c.maxrss_mb = c.meter["end"]["maxrss_kb"] / 1024
    expected = len(portal["pages"]) if "pages" in portal else portal["articles"]
    if c.pages < 0.98 * expected:  # a crawl that fetched a fraction of the mirror measures nothing
        raise RuntimeError(f"crawl {tag} fetched {c.pages} of {expected} pages: see {work / f'log-{tag}.txt'}"
                           f"\n{shlex.join(cmd)}")
    bad = {k.rsplit("/", 1)[-1]: v for k, v in c.meter["stats"].items()
           if k.startswith("downloader/response_status_count/") and not k.endswith("/200")}
    if bad:  # every URL of the mirror exists: an error status is the server's fault
        raise RuntimeError(f"crawl {tag}: the server answered {bad} (status: count); see {work / f'log-{tag}.txt'}")
    if kind in ("B", "B0"):
        c.output = check_output(out, portal)
    return c


def check_output(path: Path, portal: dict[str, Any]) -> dict[str, Any]:
    """What B exported: articles, dates, and whether the fast path alone resolves each date."""
    from vpcrawl.dates import _fast_path

    items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    dated = [i for i in items if i.get("published_at")]
    fast = 0
    for i in dated:
        now = datetime.fromisoformat(i["crawled_at"])
        pd = _fast_path(i.get("published_raw") or "", now)
        if pd is not None and pd.value.isoformat() == i["published_at"]:
            fast += 1
    return {
        "items": len(items),
        "expected": portal["articles"],
        "with_body": sum(1 for i in items if i.get("body")),
        "dated": len(dated),
        "fast_path_dates": fast,
        "near_dups_marked": sum(1 for i in items if i.get("duplicate_of")),
        "near_copies_generated": portal.get("near_copies", 0),
        "body_chars_median": statistics.median(len(i.get("body") or "") for i in items) if items else 0,
    }


# --- the benchmark ------------------------------------------------------------------------------


def _sum(crawls: list[Crawl], attr: str) -> float:
    return sum(float(getattr(c, attr)) for c in crawls)


def summarize(crawls: list[Crawl], kind: str) -> dict[str, Any]:
    """Per repetition (all portals together), then the median over repetitions."""
    reps = sorted({c.rep for c in crawls if c.kind == kind})
    rows = []
    for r in reps:
        cs = [c for c in crawls if c.kind == kind and c.rep == r]
        pages = _sum(cs, "pages")
        rows.append({
            "pages": pages,
            "pages_per_s": pages / _sum(cs, "wall_s"),
            "cpu_ms_per_page": _sum(cs, "cpu_s") / pages * 1000,
            "main_cpu_ms_per_page": _sum(cs, "cpu_main_s") / pages * 1000,
            "process_cpu_ms_per_page": _sum(cs, "cpu_process_s") / pages * 1000,
            "process_wall_s": _sum(cs, "wall_process_s"),
            "startup_s": statistics.mean(c.meter["start"]["wall"] - c.spawned_at for c in cs),
            "peak_rss_mb": max(max(c.maxrss_mb, c.workers_peak_rss_mb) for c in cs),
            "peak_rss_all_mb": max(c.maxrss_mb + c.workers_peak_rss_mb * c.meter["stats"].get(
                "vpcrawl/pagework/workers", 0) for c in cs),
            "tree_parses_per_page": sum(c.meter["tree_parses"] for c in cs) / pages,
            # pages B's crawler read itself while its worker lagged (vpcrawl.pagework.ShareOfReads)
            "crawler_read_share": sum(c.meter["stats"].get("vpcrawl/pagework/read_by_crawler", 0) or 0
                                      for c in cs) / pages,
            "dateparser_imported": any(c.meter["dateparser_imported"] for c in cs),
            "items": sum(c.meter["items"] for c in cs),
        })
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0] if not isinstance(rows[0][k], bool)}
    med["dateparser_imported"] = any(r["dateparser_imported"] for r in rows)
    med["reps"] = len(rows)
    med["all_pages_per_s"] = [round(r["pages_per_s"], 1) for r in rows]
    return med


def run(pages: int = 2000, reps: int = 3, families: tuple[str, ...] = gen_mirror.FAMILY_ORDER,
        server_kind: str = "auto", long: bool = False, long_pages: int = 20_000,
        profile: bool = False, keep: bool = False, quiet: bool = False,
        body_kb: tuple[int, int] | None = None) -> dict[str, Any]:
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    tmp = Path(tempfile.mkdtemp(prefix="vpcrawl-bench-"))
    result: dict[str, Any] = {"tmp": str(tmp)}
    try:
        t = time.perf_counter()
        mirror = tmp / "mirror"
        manifest = gen_mirror.generate(mirror, pages, families, body_kb=body_kb)
        result["mirror"] = {k: v for k, v in manifest.items() if k != "portals"}
        result["mirror"]["portals"] = [{k: v for k, v in p.items() if k != "pages"} for p in manifest["portals"]]
        result["mirror"]["seconds"] = time.perf_counter() - t
        say(f"mirror: {pages} articles over {len(families)} portals generated in {time.perf_counter() - t:.1f} s")
        server = Server(mirror, manifest, server_kind)
        result["machine"] = machine_info(server.label)
        result["load_before"] = result["machine"]["load"]
        say(f"server: {server.label}")
        work = tmp / "work"
        work.mkdir()
        crawls: list[Crawl] = []
        try:
            # warm-up (not counted): page cache, .pyc files
            for i, p in enumerate(manifest["portals"]):
                run_crawl("A", p, server.url(i), work, -1)
            for rep in range(reps):
                for kind in (*KINDS, *REFERENCES):
                    for i, p in enumerate(manifest["portals"]):
                        c = run_crawl(kind, p, server.url(i), work, rep)
                        crawls.append(c)
                        extra = ""
                        if kind.startswith("B"):
                            o = c.output
                            extra = f"  items {o['items']}/{o['expected']}"
                        say(f"  rep {rep + 1} {kind} {p['site']:18} {c.pages:6} pages "
                            f"{c.pages / c.wall_s:7.1f} pages/s {c.cpu_s / c.pages * 1000:6.2f} ms CPU/page "
                            f"RSS {c.maxrss_mb:6.1f} MB{extra}")
            a, b, b0 = (summarize(crawls, k) for k in KINDS)
            result["A"], result["B"], result["B0"] = a, b, b0
            for ref in REFERENCES:
                result[ref] = summarize(crawls, ref)
            result["ratio"], result["ratio_B0"] = ({
                "pages_per_s": x["pages_per_s"] / a["pages_per_s"],
                "cpu_ms_per_page": x["cpu_ms_per_page"] / a["cpu_ms_per_page"],
                "main_cpu_ms_per_page": x["main_cpu_ms_per_page"] / a["main_cpu_ms_per_page"],
                "process_cpu_ms_per_page": x["process_cpu_ms_per_page"] / a["process_cpu_ms_per_page"],
                "peak_rss_mb": x["peak_rss_mb"] / a["peak_rss_mb"],
            } for x in (b, b0))
            outputs = [c.output for c in crawls if c.kind == "B" and c.rep == 0]
            result["B_output"] = {k: sum(o[k] for o in outputs) for k in
                                  ("items", "expected", "with_body", "dated", "fast_path_dates",
                                   "near_dups_marked", "near_copies_generated")}
            result["B_output"]["body_chars_median"] = statistics.median(o["body_chars_median"] for o in outputs)
            result["B_output"]["items_min_over_reps"] = min(
                sum(c.output["items"] for c in crawls if c.kind == "B" and c.rep == r) for r in range(reps))
            result["B_workers"] = max(int(c.meter["stats"].get("vpcrawl/pagework/workers", 0))
                                      for c in crawls if c.kind == "B")
            result["B0_same_items"] = all(
                c.output["items"] == c0.output["items"] for c in crawls if c.kind == "B"
                for c0 in crawls if c0.kind == "B0" and c0.rep == c.rep and c0.site == c.site)
            first = [c for c in crawls if c.rep == 0]
            result["commands"] = {k: shlex.join(next(c.cmd for c in first if c.kind == k)) for k in KINDS}
            result["command_cwd"] = {k: next(c.cwd for c in first if c.kind == k) for k in KINDS}
            if profile:
                result["profile"] = profile_b(manifest["portals"][0], server.url(0), work, say)
        finally:
            server.stop()
        result["load_after"] = machine_info()["load"]
        if long:
            result["long"] = long_run(tmp, long_pages, families[0], server_kind, say, body_kb)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def long_run(tmp: Path, pages: int, family: str, server_kind: str, say: Any,
             body_kb: tuple[int, int] | None = None) -> dict[str, Any]:
    """One B crawl of a one-portal mirror of `pages` articles: RSS after 2,000 pages vs at the end."""
    mirror = tmp / "mirror-long"
    t = time.perf_counter()
    manifest = gen_mirror.generate(mirror, pages, (family,), body_kb=body_kb)
    say(f"long run: {pages} articles ({family}) generated in {time.perf_counter() - t:.0f} s; crawling...")
    server = Server(mirror, manifest, server_kind)
    work = tmp / "work-long"
    work.mkdir()
    portal = manifest["portals"][0]
    marks = ",".join(str(n) for n in (1000, 2000, 5000, 10000, 15000, 20000, 30000, 50000) if n <= pages)
    out: dict[str, Any] = {}
    try:
        # A too: what the engine itself (scheduler queue, dupefilter) adds over a long crawl
        for kind in ("A", "B"):
            # the per-site page budget (a trap guard, 20,000 by default) must not end the crawl
            c = run_crawl(kind, portal, server.url(0), work, 0, rss_at=marks,
                          extra=("-s", f"VPCRAWL_MAX_SITE_PAGES={10 * pages}"))
            row: dict[str, Any] = {
                "pages": c.pages, "items": c.output.get("items", c.meter["items"]), "expected": portal["articles"],
                "pages_per_s": c.pages / c.wall_s, "cpu_ms_per_page": c.cpu_s / c.pages * 1000,
                "peak_rss_mb": c.maxrss_mb,
                "marks": [{"responses": m["responses"], "rss_mb": m["rss_kb"] / 1024,
                           "peak_rss_mb": m["maxrss_kb"] / 1024} for m in c.meter["rss_marks"]]}
            at2k = next((m for m in row["marks"] if m["responses"] == 2000), None)
            if at2k:
                row["growth_2k_to_end"] = c.maxrss_mb / at2k["peak_rss_mb"]
            row["command"] = shlex.join(c.cmd)
            out[kind] = row
            say(f"  long {kind}: {c.pages} pages, peak RSS {c.maxrss_mb:.0f} MB")
    finally:
        server.stop()
    return out


def profile_b(portal: dict[str, Any], base_url: str, work: Path, say: Any) -> dict[str, Any]:
    """One more B0 crawl (all work in one process, so one profile sees it) under py-spy
    (sampling; if installed) and cProfile: where the CPU goes."""
    prof: dict[str, Any] = {}
    py_spy = shutil.which("py-spy") or (str(BIN / "py-spy") if (BIN / "py-spy").exists() else None)
    if py_spy:
        raw = work / "pyspy.txt"
        c = run_crawl("B0", portal, base_url, work, 900,
                      wrap=[py_spy, "record", "--format", "raw", "--rate", "250", "--nonblocking",
                            "--full-filenames", "-o", str(raw), "--"])
        prof["py_spy"] = _fold_pyspy(raw)
        prof["py_spy"]["pages"] = c.pages
    pstats_file = work / "cprofile.out"
    c = run_crawl("B0", portal, base_url, work, 901, wrap=[sys.executable, "-m", "cProfile", "-o", str(pstats_file)])
    prof["cprofile"] = _read_cprofile(pstats_file, c.pages)
    say(f"profiled one B0 crawl of {portal['site']} ({c.pages} pages)" + (" with py-spy and cProfile" if py_spy else " with cProfile"))
    return prof


# Buckets for "where the time goes": first match on the innermost vpcrawl frame, else the library.
_STAGES = (
    ("vpcrawl/pipelines/clean", "pipeline: clean"), ("vpcrawl/text/", "pipeline: clean"),
    ("vpcrawl/pipelines/dates", "pipeline: dates"), ("vpcrawl/dates", "pipeline: dates"),
    ("vpcrawl/pipelines/dedup", "pipeline: dedup"), ("vpcrawl/state/", "pipeline: dedup"),
    ("vpcrawl/pipelines/validate", "pipeline: validate"), ("vpcrawl/schema", "pipeline: validate"),
    ("vpcrawl/documents", "pipeline: validate"),
    ("vpcrawl/extract/listing", "extract: listing links"), ("vpcrawl/extract/", "extract: article"),
    ("vpcrawl/feeds", "feed export"), ("vpcrawl/extensions", "crawl state (commit)"),
    ("vpcrawl/", "vpcrawl other"),
)


def _bucket(frames: list[str]) -> str:
    """frames: innermost first, 'function (file:line)'. A sample belongs to the stage whose
    entry point is its outermost vpcrawl frame (a pipeline, the feed storage, the spider; for
    the spider, the extraction function it called), so shared helpers (tone_key, regexes)
    count for the stage that called them."""
    if any(f.startswith(("create_root_node ", "_get_root_from_text ", "build_root ")) for f in frames):
        return "HTML tree build (parsel/lxml)"
    if any(f.startswith("import ") or "<frozen importlib" in f for f in frames):
        return "imports (startup)"
    vp = [f for f in reversed(frames) if "/vpcrawl/" in f and "/site-packages/" not in f]
    if vp:
        first = vp[0]
        if "vpcrawl/spiders/" in first:
            inner = next((f for f in vp[1:] if "vpcrawl/extract/" in f), "")
            if "vpcrawl/extract/listing" in inner:
                return "extract: listing links"
            if inner:
                return "extract: article"
            return "spider (decode, requests, item build)"
        for key, name in _STAGES:
            if key in first:
                return name
    joined = " ".join(frames)
    if "scrapy/exporters" in joined or "scrapy/extensions/feedexport" in joined:
        return "feed export"
    if "parsel/" in joined or "lxml" in joined:
        return "parsel/lxml outside vpcrawl"
    return "Scrapy/Twisted/asyncio engine, HTTP, other"


def _fold_pyspy(raw: Path) -> dict[str, Any]:
    """py-spy raw (collapsed stacks, outermost first) -> % of samples per stage and top self frames."""
    buckets: dict[str, int] = {}
    selfs: dict[str, int] = {}
    total = 0
    for line in raw.read_text("utf-8", "replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        frames = stack.split(";")[::-1]
        total += count
        buckets[_bucket(frames)] = buckets.get(_bucket(frames), 0) + count
        top = frames[0] if frames else "?"
        selfs[top] = selfs.get(top, 0) + count
    startup = buckets.pop("imports (startup)", 0)
    crawl = total - startup
    return {
        "samples": total,
        "startup_pct": 100 * startup / total if total else 0,
        "stages_pct": {k: 100 * v / crawl for k, v in sorted(buckets.items(), key=lambda kv: -kv[1])} if crawl else {},
        "top_self_pct": [(k, 100 * v / total) for k, v in sorted(selfs.items(), key=lambda kv: -kv[1])[:15]] if total else [],
    }


def _read_cprofile(path: Path, pages: int) -> dict[str, Any]:
    """cProfile: exact call counts (tree parses, dateparser) and cumulative time of entry points."""
    import pstats

    st = pstats.Stats(str(path))
    raw: dict[Any, Any] = st.stats  # type: ignore[attr-defined]
    total = max(tt for (_, _, _, tt, _) in raw.values()) if raw else 0.0

    def find(file_part: str, func: str) -> tuple[int, float]:
        calls, cum = 0, 0.0
        for (file, _line, name), (_cc, nc, _tt, ct, _callers) in raw.items():
            if name == func and file_part in file:
                calls += nc
                cum += ct
        return calls, cum

    entries = {
        "spider parse_page (read + requests + item)": ("vpcrawl/spiders/portal.py", "parse_page"),
        "read_fetched_page (decode, tree, extract, item)": ("vpcrawl/pagework.py", "read_fetched_page"),
        "read_page (article extraction)": ("vpcrawl/extract/page.py", "read_page"),
        "extract_links (listing pages)": ("vpcrawl/extract/listing.py", "extract_links"),
        "item_from_raw (build the item)": ("vpcrawl/process.py", "item_from_raw"),
        "CleanTextPipeline.process_item": ("vpcrawl/pipelines/clean.py", "process_item"),
        "DatePipeline.process_item": ("vpcrawl/pipelines/dates.py", "process_item"),
        "DedupPipeline.process_item": ("vpcrawl/pipelines/dedup.py", "process_item"),
        "ValidatePipeline.process_item": ("vpcrawl/pipelines/validate.py", "process_item"),
        "feed export (JsonLinesItemExporter.export_item)": ("scrapy/exporters.py", "export_item"),
        "HTML tree builds (vpcrawl.extract.tree.build_root)": ("vpcrawl/extract/tree.py", "build_root"),
        "resolve_date": ("vpcrawl/dates.py", "resolve_date"),
        "dateparser fallback (vpcrawl.dates._fallback)": ("vpcrawl/dates.py", "_fallback"),
        "dateparser.parse / DateDataParser.get_date_data": ("dateparser/date.py", "get_date_data"),
    }
    out: dict[str, Any] = {"total_s": total, "pages": pages, "entries": {}}
    for label, (file_part, func) in entries.items():
        calls, cum = find(file_part, func)
        out["entries"][label] = {"calls": calls, "cum_s": cum, "pct": 100 * cum / total if total else 0,
                                 "us_per_page": cum / pages * 1e6 if pages else 0}
    tops = sorted(raw.items(), key=lambda kv: -kv[1][2])[:20]
    out["top_tottime"] = [(f"{Path(f).name}:{line} {name}", tt, 100 * tt / total if total else 0, nc)
                          for (f, line, name), (_cc, nc, tt, _ct, _cl) in tops]
    return out


# --- report -------------------------------------------------------------------------------------


def report(r: dict[str, Any]) -> str:
    a, b, b0, ratio, ratio0 = r["A"], r["B"], r["B0"], r["ratio"], r["ratio_B0"]
    m = r["machine"]
    workers = r.get("B_workers", "?")
    lines = [
        "== crawl benchmark ==",
        f"machine : {m['machine']}",
        f"os      : {m['os']}; Python {m['python']}",
        f"versions: {m['versions']}",
        f"server  : {m['server']}",
        f"load avg: {r.get('load_before', '?')} before the crawls, {r.get('load_after', '?')} after "
        f"(1/5/15 min; other work on the machine skews every figure)",
        "mirror  : " + "; ".join(
            f"{p['site']} ({p['family']}) {p['articles']} articles + {p['listing_pages']} listing pages, "
            f"article pages {p['article_kb_min']:.0f}-{p['article_kb_max']:.0f} KB (median {p['article_kb_median']:.0f})"
            for p in r["mirror"]["portals"]),
        "bodies  : " + ("padded until the page weighs 30-60 KB" if not r["mirror"].get("body_kb") else
                        f"{r['mirror']['body_kb'][0]}-{r['mirror']['body_kb'][1]} KB of HTML; page chrome "
                        "(more-news box, inline script) brings pages to 30-60 KB"),
        f"commands (per portal; cwd A = {r['command_cwd']['A']}, B = {r['command_cwd']['B']}):",
        f"  A : {r['commands']['A']}",
        f"  B : {r['commands']['B']}",
        f"  B0: {r['commands']['B0']}",
        f"B runs vpcrawl as shipped: pages are read in {workers} page-worker process(es) "
        "(VPCRAWL_PAGE_WORKERS=auto); B0 is B with VPCRAWL_PAGE_WORKERS=0 (one process)",
        "",
        f"{'median of ' + str(a['reps']) + ' reps':34} {'A bare':>9} {'B':>9} {'B0':>9} {'B/A':>6} {'B0/A':>6}",
    ]

    def row(label: str, key: str, fmt: str, ratio_key: str | None = None) -> str:
        line = f"{label:34} {a[key]:9{fmt}} {b[key]:9{fmt}} {b0[key]:9{fmt}}"
        if ratio_key:
            line += f" {ratio[ratio_key]:6.2f} {ratio0[ratio_key]:6.2f}"
        return line

    lines += [
        row("pages/s (crawl phase)", "pages_per_s", ".1f", "pages_per_s"),
        row("CPU ms/page, all processes", "cpu_ms_per_page", ".2f", "cpu_ms_per_page"),
        row("CPU ms/page, crawler process", "main_cpu_ms_per_page", ".2f", "main_cpu_ms_per_page"),
        row("CPU ms/page (crawler, whole life)", "process_cpu_ms_per_page", ".2f", "process_cpu_ms_per_page"),
        row("peak RSS MB (largest process)", "peak_rss_mb", ".1f", "peak_rss_mb"),
        row("peak RSS MB (crawler + workers)", "peak_rss_all_mb", ".1f"),
        row("startup s (spawn to engine start)", "startup_s", ".2f"),
        row("pages per rep", "pages", ".0f"),
        row("tree builds/page in the crawler", "tree_parses_per_page", ".2f"),
        row("share of pages the crawler read", "crawler_read_share", ".2f"),
        f"{'dateparser imported':34} {a['dateparser_imported']!s:>9} {b['dateparser_imported']!s:>9} "
        f"{b0['dateparser_imported']!s:>9}",
        f"pages/s of each rep: A {a['all_pages_per_s']}, B {b['all_pages_per_s']}, B0 {b0['all_pages_per_s']}",
    ]
    for ref, label in REFERENCES.items():
        if ref in r:
            x = r[ref]
            lines.append(
                f"reference {ref} ({label}): {x['pages_per_s']:.1f} pages/s, {x['cpu_ms_per_page']:.2f} ms CPU/page; "
                f"B/{ref} {b['pages_per_s'] / x['pages_per_s']:.2f}, B0/{ref} {b0['pages_per_s'] / x['pages_per_s']:.2f}")
    cpus = r.get("machine", {}).get("cpus")
    if cpus and b["cpu_ms_per_page"] > 0:
        # what the CPUs allow at best: every process busy all the time, the server for free
        ceiling = cpus * 1000 / b["cpu_ms_per_page"]
        budget = cpus * 1000 / (TARGET_RATIO * a["pages_per_s"])
        lines.append(
            f"CPU ceiling: B spends {b['cpu_ms_per_page']:.2f} ms of CPU per page over its processes, so "
            f"{cpus} CPUs carry at most {ceiling:.0f} pages/s (= {ceiling / a['pages_per_s']:.2f} x A) "
            f"with perfect overlap; B/A >= {TARGET_RATIO} needs <= {budget:.2f} ms/page in all")
    o = r["B_output"]
    lines += [
        "",
        f"B output (rep 1): {o['items']}/{o['expected']} articles emitted, {o['with_body']} with a body "
        f"(median {o['body_chars_median']:.0f} chars), {o['dated']} dated, {o['fast_path_dates']} of them "
        f"resolved by the fast path alone; near-duplicates marked {o['near_dups_marked']} "
        f"(generated near-copies: {o['near_copies_generated']}); B0 emitted the same items: "
        f"{r.get('B0_same_items', '?')}",
    ]
    ok_ratio = ratio["pages_per_s"] >= TARGET_RATIO
    ok_items = o.get("items_min_over_reps", o["items"]) >= 0.99 * o["expected"]
    ok_dates = o["fast_path_dates"] == o["dated"] and not b["dateparser_imported"] and not b0["dateparser_imported"]
    # B0 reads every page in the crawler process, where the tree builds are counted
    ok_parse = b0["tree_parses_per_page"] <= 1.0 + 1e-9
    lines += [
        f"target B/A pages/s >= {TARGET_RATIO}: {'PASS' if ok_ratio else 'FAIL'} ({ratio['pages_per_s']:.2f}; "
        f"B0/A {ratio0['pages_per_s']:.2f})",
        f"B emitted ~all articles (>= 99%) in every rep: {'PASS' if ok_items else 'FAIL'} "
        f"(fewest: {o.get('items_min_over_reps', o['items'])}/{o['expected']})",
        f"no dateparser when the fast path has the answer: {'PASS' if ok_dates else 'FAIL'} "
        f"({o['fast_path_dates']}/{o['dated']} fast-path dates; dateparser imported: {b['dateparser_imported']})",
        f"no page parsed into a tree more than once (B0): {'PASS' if ok_parse else 'FAIL'} "
        f"({b0['tree_parses_per_page']:.2f} tree builds per page)",
    ]
    if "long" in r:
        lines += ["", report_long(r["long"])]
    if "profile" in r:
        lines += ["", report_profile(r["profile"])]
    return "\n".join(lines)


def report_long(lg: dict[str, Any]) -> str:
    a, b = lg["A"], lg["B"]
    lines = [f"== memory over a long crawl of one portal: {b['pages']} pages, B emitted {b['items']}/{b['expected']} "
             f"articles; A {a['pages_per_s']:.0f} pages/s, B {b['pages_per_s']:.0f} pages/s, "
             f"B {b['cpu_ms_per_page']:.2f} ms CPU/page ==",
             f"  {'after pages':>12} {'A RSS':>8} {'A peak':>8} {'B RSS':>8} {'B peak':>8}  (MB)"]
    for ma, mb in zip(a["marks"], b["marks"], strict=False):
        lines.append(f"  {mb['responses']:12} {ma['rss_mb']:8.1f} {ma['peak_rss_mb']:8.1f} "
                     f"{mb['rss_mb']:8.1f} {mb['peak_rss_mb']:8.1f}")
    lines.append(f"  {'end':>12} {'':8} {a['peak_rss_mb']:8.1f} {'':8} {b['peak_rss_mb']:8.1f}")
    for kind, row in (("A", a), ("B", b)):
        g = row.get("growth_2k_to_end")
        if g:
            verdict = ("PASS" if g <= TARGET_RSS_GROWTH else "FAIL") if kind == "B" else "reference"
            lines.append(f"{kind}: peak RSS at the end / after 2,000 pages = {g:.2f}x "
                         f"(target for B <= {TARGET_RSS_GROWTH}x): {verdict}")
    return "\n".join(lines)


def report_profile(p: dict[str, Any]) -> str:
    lines = ["== where the CPU goes: one extra B0 crawl (every stage in the crawler process) of the first portal =="]
    if "py_spy" in p:
        ps = p["py_spy"]
        lines.append(f"py-spy, {ps['samples']} samples over {ps['pages']} pages ({ps['startup_pct']:.0f} % in "
                     "startup imports); the rest by stage (entry point = outermost vpcrawl frame):")
        lines += [f"  {k:44} {v:5.1f} %" for k, v in ps["stages_pct"].items()]
        lines.append("py-spy, top frames by own time:")
        lines += [f"  {v:5.1f} %  {k[:110]}" for k, v in ps["top_self_pct"]]
    cp = p["cprofile"]
    lines.append(f"cProfile (inflates Python-heavy code; exact call counts), {cp['pages']} pages, "
                 f"{cp['total_s']:.1f} s profiled:")
    lines.append(f"  {'entry point':50} {'calls':>7} {'cum s':>7} {'% total':>8} {'µs/page':>9}")
    for label, e in cp["entries"].items():
        lines.append(f"  {label:50} {e['calls']:7} {e['cum_s']:7.2f} {e['pct']:8.1f} {e['us_per_page']:9.0f}")
    lines.append("  top functions by own time:")
    lines += [f"    {tt:6.2f} s {pct:5.1f} % {nc:8} calls  {name}" for name, tt, pct, nc in cp["top_tottime"][:12]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000, help="article pages in the mirror (default 2000)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of A and of B, alternating (default 3)")
    ap.add_argument("--families", default=",".join(gen_mirror.FAMILY_ORDER))
    ap.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    ap.add_argument("--long", action="store_true", help="also the memory check: one B crawl of --long-pages")
    ap.add_argument("--long-pages", type=int, default=20_000)
    ap.add_argument("--profile", action="store_true", help="also profile one B crawl (py-spy if installed, cProfile)")
    ap.add_argument("--body-kb", default="", help="LO,HI: body sizes; page chrome pads pages to 30-60 KB")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (mirror, logs, outputs)")
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args(argv)
    body_kb = tuple(int(x) for x in args.body_kb.split(",")) if args.body_kb else None
    r = run(args.pages, args.reps, tuple(args.families.split(",")), args.server, args.long, args.long_pages,
            args.profile, args.keep, body_kb=body_kb)  # type: ignore[arg-type]
    print(report(r))
    if args.keep:
        print(f"kept: {r['tmp']}")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
