"""Soak: the fixture mirror crawled N times in a row (default 20) with random faults at 10% of requests.

Run: `.venv/bin/python benchmarks/soak.py [--runs 20] [--rate 0.1] [--portal doanvptw | --portal all]`.
Not a test (about 1-3 s per portal per run, plus 2 s per injected hang).

Every portal is served by a `tests.faults.FaultServer` on 127.0.0.1 that gives each request a
random transient fault with probability `--rate` (503/500/502 status, a reset or a short body
mid-transfer, a hang past the download timeout, an empty 200, a truncated 200 page). The runs
are sequential `PortalSpider` crawls in ONE process (one reactor), so memory that a run leaves
behind shows up in the next runs' peaks. Each run writes its own feed and has its own (in-memory)
crawl state, so every run must deliver every article of the fixture exactly once and right.

Printed figures: per run, articles expected / emitted / lost / duplicated / wrong (fields differ
from `*.expected.json`), faults injected by kind, peak RSS during the run; then the totals, the
faults injected and survived by kind (a fault on an article URL is survived when that article
still arrived right), and peak RSS of the last run vs the first. `--json FILE` saves it all.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIELDS = ("title", "summary", "body", "published_at", "author", "source")
SOAK_KINDS = ("status", "status_500", "status_502", "reset", "short", "hang", "empty", "truncate")


class RssSampler:
    """Samples this process's RSS every `interval` s; `peak()` since the last `reset()`."""

    def __init__(self, interval: float = 0.05) -> None:
        self.proc = psutil.Process()
        self.interval = interval
        self._peak = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = self.proc.memory_info().rss
            with self._lock:
                self._peak = max(self._peak, rss)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def reset(self) -> None:
        with self._lock:
            self._peak = self.proc.memory_info().rss

    def peak(self) -> int:
        with self._lock:
            return max(self._peak, self.proc.memory_info().rss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def expected_articles(portal: dict[str, Any], www: Path) -> dict[str, dict[str, Any]]:
    """canonical path -> expected item, for every article of a fixture portal."""
    from vpcrawl.mirror import path_for
    from vpcrawl.sites import FAMILIES
    from vpcrawl.state.canonical import canonicalize

    rules = FAMILIES[portal["family"]].canonical if portal.get("family") else None
    aliases = portal.get("aliases", {})
    out = {}
    for path in portal["articles"]:
        if path in aliases:
            continue
        page = path_for(www, path)
        want = json.loads(page.with_name(page.name + ".expected.json").read_text("utf-8"))
        want["_fixture_path"] = path
        out[_path(canonicalize("http://mirror" + path, rules))] = want
    return out


def score_run(items: list[dict[str, Any]], want: dict[str, dict[str, Any]]) -> dict[str, Any]:
    got = Counter(_path(i["url"]) for i in items)
    by_path = {_path(i["url"]): i for i in items}
    lost = sorted(p for p in want if p not in got)
    dups = sorted(p for p, n in got.items() if n > 1)
    extra = sorted(p for p in got if p not in want)
    wrong = sorted(p for p in want if p in by_path and any(by_path[p].get(k) != want[p].get(k) for k in FIELDS))
    return {"expected": len(want), "emitted": len(items), "lost": lost, "duplicated": dups,
            "wrong": wrong, "not_articles": extra}


def crawl_runs(args: argparse.Namespace, portals: list[tuple[dict[str, Any], Path]], tmp: Path) -> dict[str, Any]:
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from scrapy.crawler import Crawler, CrawlerRunner
    from scrapy.settings import Settings
    from scrapy.utils.log import configure_logging
    from twisted.internet import defer, reactor

    from tests.faults import FaultServer
    from vpcrawl.spiders.portal import PortalSpider

    log_file = tmp / "soak.log"

    def settings_for(feed: Path | None) -> Settings:
        settings = Settings()
        settings.setmodule("vpcrawl.settings", priority="project")
        overrides = {
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            "DOWNLOAD_TIMEOUT": args.timeout, "LOG_LEVEL": args.log_level, "TELNETCONSOLE_ENABLED": False,
            "CLOSESPIDER_TIMEOUT": 300, "LOG_FILE": str(log_file),
        }
        if args.retry_times is not None:
            overrides["RETRY_TIMES"] = args.retry_times
        if feed is not None:
            overrides["FEEDS"] = {str(feed): {"format": "jsonlines", "overwrite": True}}
        for key, value in overrides.items():
            settings.set(key, value, priority="cmdline")
        return settings

    configure_logging(settings_for(None), install_root_handler=True)
    kinds = tuple(args.kinds.split(","))
    servers = []
    for portal, _www in portals:
        srv = FaultServer(portal["id"], random_rate=args.rate, random_kinds=kinds,
                          hang_seconds=args.timeout * 3 + 1)
        servers.append(srv.start())
    wants = {portal["id"]: expected_articles(portal, www) for portal, www in portals}
    sampler = RssSampler().start()
    runner = CrawlerRunner(settings_for(None))
    runs: list[dict[str, Any]] = []
    fault_outcomes: Counter[tuple[str, str]] = Counter()

    @defer.inlineCallbacks
    def soak() -> Any:
        for run in range(args.runs):
            sampler.reset()
            started = time.monotonic()
            row: dict[str, Any] = {"run": run + 1, "portals": {}, "injected": Counter()}
            for index, (srv, (portal, _www)) in enumerate(zip(servers, portals, strict=True)):
                srv.reset(seed=(args.seed * 1_000_003 + run) * 101 + index)  # its own faults per run and portal
                feed = tmp / f"run{run + 1:02d}-{portal['id']}.jsonl"
                crawler = Crawler(PortalSpider, settings_for(feed))
                yield runner.crawl(crawler, site=portal["id"], url=srv.url)
                lines = feed.read_text("utf-8").splitlines() if feed.exists() else []
                items = [json.loads(line) for line in lines if line.strip()]
                score = score_run(items, wants[portal["id"]])
                score["finish_reason"] = crawler.stats.get_value("finish_reason")
                score["retries"] = crawler.stats.get_value("retry/count", 0)
                # what the server did to each lost or wrong article ([] = never requested: a
                # fault on the listing that links it)
                score["events"] = {p: srv.requests.get(wants[portal["id"]][p]["_fixture_path"], [])
                                   for p in set(score["lost"]) | set(score["wrong"])}
                row["portals"][portal["id"]] = score
                row["injected"].update(srv.injected)
                bad = set(score["lost"]) | set(score["wrong"])
                for target, events in srv.requests.items():
                    path = _path("http://x" + target)
                    for kind in events:
                        if not kind:
                            continue
                        if path in wants[portal["id"]]:
                            fault_outcomes[(kind, "article_lost_or_wrong" if path in bad else "article_survived")] += 1
                        else:
                            fault_outcomes[(kind, "other_page")] += 1
            row["seconds"] = round(time.monotonic() - started, 1)
            row["peak_rss_mb"] = round(sampler.peak() / 2**20, 1)
            runs.append(row)
            _print_run(row)
        reactor.stop()

    reactor.callWhenRunning(soak)
    reactor.run()
    sampler.stop()
    for srv in servers:
        srv.stop()
    return {"runs": runs, "fault_outcomes": fault_outcomes}


def _print_run(row: dict[str, Any]) -> None:
    totals = Counter()
    for score in row["portals"].values():
        totals["expected"] += score["expected"]
        totals["emitted"] += score["emitted"]
        for key in ("lost", "duplicated", "wrong", "not_articles"):
            totals[key] += len(score[key])
    faults = sum(row["injected"].values())
    print(f"run {row['run']:>2}: {totals['emitted']:>3}/{totals['expected']} articles, lost {totals['lost']}, "
          f"duplicated {totals['duplicated']}, wrong {totals['wrong']}, non-articles {totals['not_articles']}; "
          f"{faults} faults injected; {row['seconds']} s; peak RSS {row['peak_rss_mb']} MB", flush=True)


def summarize(result: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    runs = result["runs"]
    totals: Counter[str] = Counter()
    injected: Counter[str] = Counter()
    details = []
    for row in runs:
        injected.update(row["injected"])
        for pid, score in row["portals"].items():
            totals["expected"] += score["expected"]
            totals["emitted"] += score["emitted"]
            for key in ("lost", "duplicated", "wrong", "not_articles"):
                totals[key] += len(score[key])
                details += [{"run": row["run"], "portal": pid, "problem": key, "path": p,
                             "requests": score["events"].get(p)} for p in score[key]]
            if score["finish_reason"] != "finished":
                details.append({"run": row["run"], "portal": pid, "problem": "finish_reason",
                                "path": score["finish_reason"]})
    by_kind: dict[str, dict[str, int]] = {}
    for (kind, outcome), n in sorted(result["fault_outcomes"].items()):
        by_kind.setdefault(kind, {"injected": injected.get(kind, 0)})[outcome] = n
    first, last = runs[0]["peak_rss_mb"], runs[-1]["peak_rss_mb"]
    summary = {
        "runs": len(runs), "rate": args.rate, "kinds": args.kinds, "download_timeout": args.timeout,
        "articles": dict(totals), "faults_injected": dict(sorted(injected.items())),
        "faults_by_kind": by_kind, "problems": details,
        "peak_rss_mb_first": first, "peak_rss_mb_last": last,
        "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
    }
    print("\n== soak figures ==")
    print(f"runs: {len(runs)} x {len(runs[0]['portals'])} portal(s); fault rate {args.rate} of requests; "
          f"kinds {args.kinds}")
    print(f"articles: expected {totals['expected']}, emitted {totals['emitted']}, lost {totals['lost']}, "
          f"duplicated {totals['duplicated']}, wrong {totals['wrong']}, non-articles {totals['not_articles']}")
    print("faults by kind (on article URLs: survived / lost-or-wrong; elsewhere):")
    for kind, row in by_kind.items():
        print(f"  {kind:<12} injected {row['injected']:>4}   article survived {row.get('article_survived', 0):>3}"
              f"   article lost/wrong {row.get('article_lost_or_wrong', 0):>3}   other pages {row.get('other_page', 0):>3}")
    print(f"peak RSS: first run {first} MB, last run {last} MB ({last - first:+.1f} MB), max {summary['peak_rss_mb_max']} MB")
    for problem in details[:40]:
        print(f"  problem: run {problem['run']} {problem['portal']} {problem['problem']}: {problem['path']}"
              f"  server answers: {problem.get('requests')}")
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from vpcrawl.mirror import DEFAULT_FIXTURES
    from vpcrawl.sites import portals as registry

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.1, help="share of requests given a random fault")
    parser.add_argument("--portal", action="append",
                        help="fixture portal id (repeatable; 'all' = every portal with a profile); default doanvptw")
    parser.add_argument("--kinds", default=",".join(SOAK_KINDS), help="comma-separated fault kinds")
    parser.add_argument("--timeout", type=float, default=2.0, help="DOWNLOAD_TIMEOUT (s)")
    parser.add_argument("--retry-times", type=int, default=None, help="RETRY_TIMES (default: the project's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep", type=Path, help="keep the feeds and soak.log in this directory")
    args = parser.parse_args(argv)
    wanted = args.portal or ["doanvptw"]
    known = registry()
    chosen = []
    for pj in sorted(DEFAULT_FIXTURES.glob("*/portal.json")):
        portal = json.loads(pj.read_text("utf-8"))
        if portal["id"] in known and ("all" in wanted or portal["id"] in wanted):
            chosen.append((portal, pj.parent / "www"))
    if not chosen:
        parser.error(f"no profiled fixture portal among {wanted}")
    with tempfile.TemporaryDirectory(prefix="vpcrawl-soak-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = crawl_runs(args, chosen, work)
        summary = summarize(result, args)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
