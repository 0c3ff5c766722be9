"""`vpcrawl` command: a thin convenience over `scrapy crawl portal`.

    vpcrawl sites                 the built-in portal profiles
    vpcrawl demo [--out FILE]     serve the bundled offline mirror on 127.0.0.1 and crawl it
    vpcrawl run --site ID|--all   a scheduled, incremental crawl: data + manifest per site
    vpcrawl report DIR -o F.html  a self-contained HTML report of crawl outputs
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vpcrawl import __version__

REPO_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXIT_USAGE = 2


def _settings(overrides: dict[str, Any]) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("vpcrawl.settings", priority="project")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def feed_options(path: Path) -> dict[str, Any]:
    options: dict[str, Any] = {"format": "jsonlines", "overwrite": True, "encoding": "utf-8"}
    if path.name.endswith(".gz"):
        options["postprocessing"] = ["scrapy.extensions.postprocessing.GzipPlugin"]
    return options


def resolved_settings(overrides: dict[str, Any]) -> dict[str, Any]:
    return dict(_settings(overrides).copy_to_dict())


def crawl_many(jobs: Sequence[tuple[dict[str, Any], Path, dict[str, Any]]],
               overrides: dict[str, Any]) -> dict[str, Any]:
    """Run several portal crawls side by side in one process (one reactor), each to its own
    feed file with its own settings. Returns each job's final crawl stats, keyed by feed path.
    """
    from scrapy.crawler import Crawler, CrawlerProcess

    from vpcrawl.spiders.portal import PortalSpider

    process = CrawlerProcess(_settings(overrides))
    crawlers = []
    for n, (spider_args, feed, job_overrides) in enumerate(jobs):
        settings = _settings({**job_overrides, "FEEDS": {str(feed): feed_options(feed)}})
        # the first crawler installs the reactor
        crawler = Crawler(PortalSpider, settings, init_reactor=n == 0)
        crawlers.append((crawler, feed))
        process.crawl(crawler, **spider_args)
    process.start()
    return {str(feed): dict(crawler.stats.get_stats()) for crawler, feed in crawlers}


def cmd_sites(args: argparse.Namespace) -> int:
    from vpcrawl.sites import portals

    rows = list(portals().values())
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=1, default=list))
        return 0
    width = max(len(r.id) for r in rows)
    for r in rows:
        print(f"{r.id:<{width}}  {r.family or '-':<11} {r.start_urls[0]:<46} {r.name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from vpcrawl.mirror import MirrorServer
    from vpcrawl.pipelines.validate import problems
    from vpcrawl.sites import portals

    fixtures = Path(args.fixtures)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    known = portals()
    with MirrorServer(fixtures) as mirror, tempfile.TemporaryDirectory(prefix="vpcrawl-demo-") as tmp:
        overrides = {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            "LOG_LEVEL": args.log_level,
            "VPCRAWL_STATE_DIR": str(Path(tmp) / "state"),
        }
        jobs = []
        for portal_id, url in sorted(mirror.urls.items()):
            spider_args = {"url": url}
            if portal_id in known:
                spider_args["site"] = portal_id  # a built-in profile at the mirror's address
            else:
                spider_args["site_id"] = portal_id  # zero-config: no profile, just its name
            jobs.append((spider_args, Path(tmp) / f"{portal_id}.jsonl", overrides))
        print(f"vpcrawl {__version__}: crawling {len(jobs)} mirrored portals on 127.0.0.1 ...",
              flush=True)
        crawl_many(jobs, overrides)
        tmp_out = out.with_name(out.name + ".part")
        with tmp_out.open("w", encoding="utf-8") as sink:
            for _, feed, _ in jobs:
                if feed.exists():
                    sink.write(feed.read_text(encoding="utf-8"))
        tmp_out.replace(out)  # complete file or none: never a half-written demo.jsonl
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    invalid = [(i.get("url"), p) for i in items if (p := problems(i))]
    print_summary(items, out)
    if invalid:
        print(f"INVALID items: {len(invalid)}; first: {invalid[0]}")
        return 1
    print(f"all {len(items)} items valid")
    return 0 if items else 1


def print_summary(items: list[dict[str, Any]], out: Path) -> None:
    per_site = Counter(i["site"] for i in items)
    dates = sorted(i["published_at"] for i in items if i.get("published_at"))
    print(f"\nwrote {len(items)} articles to {out}")
    for site, n in sorted(per_site.items()):
        print(f"  {site:<24} {n:>4} articles")
    if dates:
        print(f"date range: {dates[0][:10]} .. {dates[-1][:10]}")
    dups = sum(1 for i in items if i.get("duplicate_of"))
    print(f"near-duplicates marked (syndicated copies): {dups}")
    print("samples:")
    for item in items[:: max(1, len(items) // 3)][:3]:
        print(f"  [{item['site']}] {item.get('published_at', '')[:10]}  {item['title']}")


def _setting_pairs(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(usage_error(f"-s {pair!r}: expected NAME=VALUE"))
        out[key] = value
    return out


def usage_error(message: str) -> int:
    print(f"vpcrawl: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_run(args: argparse.Namespace) -> int:
    from vpcrawl import runner
    from vpcrawl.sites import portals

    known = portals()
    sites = list(known) if args.all else list(dict.fromkeys(args.site or []))
    if not sites:
        return usage_error("give --site ID (repeatable) or --all; sites: " + ", ".join(known))
    unknown = [s for s in sites if s not in known]
    if unknown:
        return usage_error(f"unknown site {unknown[0]!r}; known sites: " + ", ".join(known))
    if args.url and len(sites) != 1:
        return usage_error("--url needs exactly one --site (the profile to use at that address)")
    out = Path(args.out)
    try:
        for site in sites:
            runner.safe_name(site, "site")
        runner.check_writable(out)
    except runner.RunError as exc:
        return usage_error(str(exc))
    spider_extra = {}
    if args.url:
        spider_extra["url"] = args.url
    if args.full:
        spider_extra["full"] = "1"
    for name in ("since", "max_articles", "max_pages", "recheck_days"):
        if getattr(args, name):
            spider_extra[name] = str(getattr(args, name))
    runs = [runner.SiteRun(site=s, spider_args={"site": s, **spider_extra}, out_dir=out) for s in sites]
    overrides: dict[str, Any] = {"LOG_LEVEL": args.log_level, **_setting_pairs(args.set or [])}
    state_dir = Path(args.state_dir) if args.state_dir else out / ".state"
    try:  # a corrupt or newer state database is reported before anything is crawled
        from vpcrawl.extensions import STATE_FILE
        from vpcrawl.state.store import StateError, StateStore

        store = StateStore(state_dir / STATE_FILE)
        try:
            store.near_dups()  # sketches made another way are refused here, not mid-run
        finally:
            store.close()
    except StateError as exc:
        return usage_error(str(exc))
    return runner.run_sites(runs, overrides, state_dir)


def cmd_report(args: argparse.Namespace) -> int:
    from vpcrawl import report

    return report.run(args)


def cmd_reset_sketches(args: argparse.Namespace) -> int:
    from vpcrawl.extensions import STATE_FILE
    from vpcrawl.state.sketch import reset_sketches
    from vpcrawl.state.store import connect

    path = Path(args.state_dir) / STATE_FILE
    if not path.is_file():
        return usage_error(f"no crawl state at {path}")
    conn = connect(path)
    try:
        with conn:  # one transaction
            conn.execute("BEGIN")
            n = reset_sketches(conn)
    finally:
        conn.close()
    print(f"dropped the near-duplicate sketches of {n} articles from {path}; known URLs and "
          "content hashes are kept")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vpcrawl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"vpcrawl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sites", help="list the built-in portal profiles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sites)
    p = sub.add_parser("demo", help="crawl the bundled offline mirror (no network)")
    p.add_argument("--out", default="output/demo.jsonl")
    p.add_argument("--fixtures", default=str(REPO_FIXTURES))
    p.add_argument("--log-level", default="WARNING")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("run", help="scheduled crawl: data file + manifest per site and run")
    p.add_argument("--site", action="append", metavar="ID", help="a built-in site (repeatable)")
    p.add_argument("--all", action="store_true", help="every built-in site")
    p.add_argument("--out", default="output/runs", help="output folder (default: output/runs)")
    p.add_argument("--state-dir", help="crawl state folder (default: OUT/.state)")
    p.add_argument("--full", action="store_true", help="backfill: ignore what the state knows")
    p.add_argument("--url", help="crawl the one --site profile at this address (a mirror)")
    p.add_argument("--since", help="skip articles published before YYYY-MM-DD")
    p.add_argument("--max-articles", type=int)
    p.add_argument("--max-pages", type=int)
    p.add_argument("--recheck-days", type=int, help="refetch known articles of the last N days")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
    p.add_argument("--log-level", default="WARNING")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("reset-sketches", help="drop the near-duplicate sketches of a crawl state "
                       "(after an upgrade that changed how they are made)")
    p.add_argument("--state-dir", required=True, help="the crawl state folder (VPCRAWL_STATE_DIR)")
    p.set_defaults(func=cmd_reset_sketches)
    p = sub.add_parser("report", help="one self-contained HTML report of crawl outputs")
    from vpcrawl import report

    report.add_arguments(p)
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
