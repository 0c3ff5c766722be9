"""Per-item stage micro-benchmarks on benchmark-mirror pages: µs per page/item, median of repeats.

What one article costs in each stage of a crawl, measured on the same generated pages the crawl
benchmark serves (benchmarks/gen_mirror.py), through the real objects a crawl uses: the
spider's `parse_page` on an `HtmlResponse` (decode, the one tree build, extraction, the item;
with the tree build and `read_page` also timed alone), `extract_links` on listing pages, then
every item pipeline of `ITEM_PIPELINES` built with
`from_crawler` (clean, dates, dedup on an SQLite state in a temporary directory, validate) and
the JSON Lines exporter. Each stage runs over all sampled items once per repeat (fresh items and
a fresh state every repeat); the figure is the median over repeats of the mean µs per item.

The date, text and state micro-benchmarks (bench_dates.py, bench_text.py, bench_state.py) are
run by `main()` too, with small parameters unless `full=True` (1M keys, 100k documents).

    .venv/bin/python benchmarks/micro.py [--mirror DIR] [--pages 300] [--repeats 5] [--full]
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
for p in (str(ROOT), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

import gen_mirror  # noqa: E402

# --- a crawler without an engine: the project's settings, extensions and pipelines -------------


def _project_settings(extra: dict[str, Any]) -> dict[str, Any]:
    from scrapy.settings import Settings

    s = Settings()
    s.setmodule("vpcrawl.settings", priority="project")
    d = s.copy_to_dict()
    d.update(extra)
    return d


def _call_opt(obj: Any, name: str, spider: Any) -> None:
    fn = getattr(obj, name, None)
    if fn is None:
        return
    params = [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
    fn(spider) if params else fn()


class Stack:
    """A crawler, the portal spider, vpcrawl's extensions and the item pipelines, opened."""

    def __init__(self, site: str, base_url: str, state_dir: str) -> None:
        from scrapy.exceptions import NotConfigured
        from scrapy.utils.misc import load_object
        from scrapy.utils.reactor import install_reactor, is_reactor_installed
        from scrapy.utils.test import get_crawler

        from vpcrawl.spiders.portal import PortalSpider

        # every stage in this process, timed one by one (no page workers)
        settings = _project_settings({"VPCRAWL_STATE_DIR": state_dir, "LOG_ENABLED": False,
                                      "VPCRAWL_PAGE_WORKERS": 0})
        if not is_reactor_installed():  # the crawler checks for the reactor it would run on
            install_reactor(settings["TWISTED_REACTOR"])
        self.crawler = get_crawler(PortalSpider, settings)
        self.spider = PortalSpider.from_crawler(self.crawler, site=site, url=base_url)
        self.crawler.spider = self.spider
        self.extensions = []
        for path, prio in sorted(settings.get("EXTENSIONS", {}).items(), key=lambda kv: kv[1] or 0):
            if prio is None or not path.startswith("vpcrawl."):
                continue
            try:  # as Scrapy's extension manager does: NotConfigured leaves one out
                self.extensions.append(load_object(path).from_crawler(self.crawler))
            except NotConfigured:
                pass
        self.pipelines = [(path.rsplit(".", 1)[-1], load_object(path).from_crawler(self.crawler))
                          for path, prio in sorted(settings["ITEM_PIPELINES"].items(), key=lambda kv: kv[1])]
        for _, p in self.pipelines:
            _call_opt(p, "open_spider", self.spider)

    def close(self) -> None:
        for _, p in self.pipelines:
            with contextlib.suppress(Exception):
                _call_opt(p, "close_spider", self.spider)
        for ext in self.extensions:
            for name in ("spider_closed",):
                fn = getattr(ext, name, None)
                if fn is not None:
                    with contextlib.suppress(Exception):
                        fn(self.spider, "finished")
            state = getattr(ext, "state", None)
            if state is not None and hasattr(state, "release") and not getattr(ext, "released", True):
                with contextlib.suppress(Exception):
                    state.release()


def _response(url: str, body: bytes, meta: dict[str, Any] | None = None) -> Any:
    from scrapy.http import HtmlResponse, Request

    return HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                        request=Request(url, meta=meta or {}), encoding="utf-8")


def _timed(fn: Callable[[Any], Any], inputs: list[Any]) -> tuple[float, list[Any]]:
    """Mean µs per input of fn over inputs, and the outputs (DropItem -> None)."""
    from scrapy.exceptions import DropItem

    out: list[Any] = []
    t = time.perf_counter()
    for x in inputs:
        try:
            out.append(fn(x))
        except DropItem:
            out.append(None)
    return (time.perf_counter() - t) / max(1, len(inputs)) * 1e6, out


def stage_bench(mirror: Path, pages: int = 300, repeats: int = 5) -> dict[str, Any]:
    """µs per page/item of every crawl stage, per family and over all families."""
    from scrapy.exporters import JsonLinesItemExporter

    from vpcrawl.extract.listing import extract_links
    from vpcrawl.extract.page import read_page
    from vpcrawl.items import EXPORT_FIELDS
    from vpcrawl.pagework import page_selector, read_fetched_page
    from vpcrawl.sites import FAMILIES
    from vpcrawl.text.legacy import decode_html_bytes

    manifest = json.loads((mirror / "manifest.json").read_text("utf-8"))
    per_portal = max(1, pages // len(manifest["portals"]))
    samples: list[dict[str, Any]] = []
    for p in manifest["portals"]:
        art_re = re.compile(p["article_re"])
        base = "http://127.0.0.1:8000"
        arts = [u for u in p["pages"] if art_re.search(u)][:per_portal]
        lists = [u for u in p["pages"] if not art_re.search(u) and u not in ("/", "/robots.txt")][:20]
        read = lambda u, p=p: (mirror / p["dir"] / p["pages"][u]).read_bytes()  # noqa: E731
        samples.append({"portal": p, "family": FAMILIES[p["family"]], "base": base,
                        "articles": [(base + u, read(u)) for u in arts],
                        "listings": [(base + u, read(u)) for u in lists]})
    times: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    body_chars: list[int] = []
    kb = [len(b) / 1024 for s in samples for _, b in s["articles"]]

    def add(name: str, us: float, n: int) -> None:
        times.setdefault(name, []).append(us)
        counts[name] = n

    for rep in range(repeats):
        all_items: list[Any] = []
        stacks: list[Stack] = []
        with tempfile.TemporaryDirectory(prefix="vpcrawl-micro-") as tmp:
            stage_us: dict[str, float] = {}
            for s in samples:
                fam = s["family"]
                stack = Stack(s["portal"]["site"], s["base"] + "/", str(Path(tmp) / "state"))
                stacks.append(stack)
                responses = [_response(u, b, {"vp_candidate": True}) for u, b in s["articles"]]
                # the whole page step as the crawl runs it (inline, VPCRAWL_PAGE_WORKERS=0): decode,
                # one tree, extraction, item, and the spider's handling of the outcome
                us, outs = _timed(lambda r, st=stack: list(st.spider.handle_page(
                    read_fetched_page(st.spider.page_job(r)), r)), responses)
                stage_us["page"] = stage_us.get("page", 0) + us * len(responses)
                items = [x for out in outs for x in out if hasattr(x, "body_blocks")]
                # its parts, on fresh responses: the tree build as the page step makes it (from
                # the decoded text, or the fetched bytes when they are its UTF-8), then extraction
                fresh = [_response(u, b, {"vp_candidate": True}) for u, b in s["articles"]]
                decoded = [(r, *decode_html_bytes(r.body, r.encoding)) for r in fresh]
                us, sels = _timed(lambda d: page_selector(d[0].body, d[1], d[2], d[0].url), decoded)
                stage_us["tree"] = stage_us.get("tree", 0) + us * len(fresh)
                with contextlib.suppress(TypeError):  # read_page's signature may change
                    us, _ = _timed(lambda rs, fam=fam: read_page(rs[1], rs[0].url, fam, True, candidate=True),
                                   list(zip(fresh, sels, strict=True)))
                    stage_us["extract"] = stage_us.get("extract", 0) + us * len(fresh)
                lresp = [_response(u, b) for u, b in s["listings"]]
                lsels = [r.selector for r in lresp]
                us, _ = _timed(lambda rs, fam=fam: extract_links(rs[1], rs[0].url, fam), list(zip(lresp, lsels, strict=True)))
                add(f"listing links ({s['portal']['family']})", us, len(lresp))
                for name, pipe in stack.pipelines:
                    us, items = _timed(pipe.process_item, items)
                    items = [i for i in items if i is not None]
                    stage_us[name] = stage_us.get(name, 0) + us * (len(items) or 1)
                all_items += items
            buf = io.BytesIO()
            exporter = JsonLinesItemExporter(buf, fields_to_export=list(EXPORT_FIELDS), encoding="utf-8")
            exporter.start_exporting()
            us, _ = _timed(exporter.export_item, all_items)
            stage_us["export"] = us * len(all_items)
            for st in stacks:
                st.close()
        n_pages = sum(len(s["articles"]) for s in samples)
        for name, total in stage_us.items():
            n = n_pages if name in ("page", "tree", "extract") else len(all_items)
            add(name, total / max(1, n), n)
        if rep == 0:
            body_chars = [len(getattr(i, "body", None) or "") for i in all_items]
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "per_item_us": med,
        "counts": counts,
        "repeats": repeats,
        "article_pages": sum(len(s["articles"]) for s in samples),
        "article_page_kb_median": statistics.median(kb) if kb else 0,
        "body_chars_median": statistics.median(body_chars) if body_chars else 0,
        "items_out": len(body_chars),
    }


# --- everything -----------------------------------------------------------------------------


def main(mirror: Path | None = None, pages: int = 300, repeats: int = 5, full: bool = False,
         body_kb: tuple[int, int] | None = None, say: Callable[..., None] = print) -> dict[str, Any]:
    """Stage µs on mirror pages (a small mirror is generated if none is given), then the date,
    text and state micro-benchmarks. Returns every number."""
    import bench_dates
    import bench_state
    import bench_text

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="vpcrawl-micro-mirror-") as tmp:
        if mirror is None:
            mirror = Path(tmp) / "mirror"
            gen_mirror.generate(mirror, pages, body_kb=body_kb)
        t = time.perf_counter()
        result["stages"] = stage_bench(mirror, pages, repeats)
        say(f"  stages: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    result["dates"] = bench_dates.main(1.0 if full else 0.3)
    say(f"  dates: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    result["text"] = bench_text.main(1.0 if full else 0.3)
    say(f"  text: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    n, nd = (1_000_000, (10_000, 100_000)) if full else (100_000, (10_000,))
    with contextlib.redirect_stdout(io.StringIO()):
        result["state"] = bench_state.main(n, nd)
    result["state"]["sizes"] = {"keys": n, "near_dup_docs": max(nd)}
    say(f"  state ({n:,} keys, {max(nd):,} documents): {time.perf_counter() - t:.1f} s")
    return result


STAGE_LABELS = {
    "page": "page read: decode+tree+extract+item",
    "tree": "  of which: HTML tree build (vpcrawl.extract.tree)",
    "extract": "  of which: article extraction (read_page)",
    "CleanTextPipeline": "pipeline clean (text, bylines)",
    "DatePipeline": "pipeline dates",
    "DedupPipeline": "pipeline dedup (SQLite state, MinHash)",
    "ValidatePipeline": "pipeline validate (documents, schema)",
    "export": "JSON Lines export",
}


def rows(r: dict[str, Any]) -> list[tuple[str, float, str]]:
    """(label, µs, note) rows of the per-stage table."""
    st = r["stages"]
    us = st["per_item_us"]
    out: list[tuple[str, float, str]] = []
    per_article = 0.0
    for key, label in STAGE_LABELS.items():
        if key in us:
            out.append((label, us[key], f"per article page ({st['article_page_kb_median']:.0f} KB)"
                        if key in ("page", "tree", "extract") else "per item"))
            if key not in ("tree", "extract"):
                per_article += us[key]
    for key in sorted(k for k in us if k.startswith("listing links")):
        out.append((key, us[key], "per listing page"))
    out.append(("= one article through every stage", per_article,
                f"median body {st['body_chars_median']:.0f} chars"))
    d = r["dates"]
    out += [
        ("date: fast path (_fast_path)", 1e6 / d["fast_path_calls_per_s"], f"{d['numeric_strings']} numeric forms"),
        ("date: resolve_date", 1e6 / d["resolve_date_calls_per_s"], ""),
        ("date: plain dateparser.parse(vi)", 1e6 / d["dateparser_calls_per_s"], f"{d['speedup']}x slower"),
    ]
    t = r["text"]
    out += [
        ("text: clean_text", t["clean_text_us"], f"{t['article_chars']}-char article"),
        ("text: clean+blocks+byline", t["pipeline_us"], ""),
        ("text: legacy-encoding check", t["detect_unicode_us"], ""),
        ("text: tone_key", t["tone_key_us"], ""),
    ]
    s = r["state"]["store"]
    keys = r["state"]["sizes"]["keys"]
    out += [
        (f"dedup: URL lookup hit @ {keys:,} keys", s["lookup_hit_us"], "SQLite"),
        (f"dedup: URL lookup miss @ {keys:,} keys", s["lookup_miss_us"], ""),
        (f"dedup: hash lookup hit @ {keys:,} keys", s["hash_hit_us"], ""),
        (f"dedup: record_article (batched) @ {keys:,}", s["record_article_batched_us"], ""),
        ("dedup: canonicalize URL", s["canonicalize_us"], ""),
    ]
    nd = r["state"]["neardup"]
    docs = str(r["state"]["sizes"]["near_dup_docs"])
    if docs in nd:
        row = nd[docs]
        out += [
            ("near-dup: MinHash signature", row["signature_us"], "250-word text"),
            (f"near-dup: query (miss) @ {int(docs):,} docs", row["query_miss_us"], ""),
            (f"near-dup: query (3%-edited copy) @ {int(docs):,}", row["query_hit_us"],
             f"recall {row['recall_3pct_copies']:.2f}"),
        ]
    return out


def report(r: dict[str, Any]) -> str:
    lines = [f"== per-item stages (median of {r['stages']['repeats']} repeats, "
             f"{r['stages']['article_pages']} article pages) =="]
    lines += [f"{label:46} {us:10.1f} µs  {note}" for label, us, note in rows(r)]
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, help="an existing mirror (default: generate one)")
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--full", action="store_true", help="1M keys and 100k documents for the state part")
    args = ap.parse_args()
    print(report(main(args.mirror, args.pages, args.repeats, args.full)))
