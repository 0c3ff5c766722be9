"""Micro-benchmark of vpcrawl.text on a ~5 KB real article (per-item cost of the clean pipeline).

Why: clean_text, clean_blocks, split_byline and detect_and_convert run on every item, and
tone_key on every title/body used as a dedup key. Prints µs per call and tone_key chars/s;
`main()` returns the numbers as a dict (for benchmarks/run_all.py).
Run: .venv/bin/python benchmarks/bench_text.py [seconds per timing]
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vpcrawl.text import boilerplate, legacy, normalize
from vpcrawl.text.boilerplate import clean_blocks
from vpcrawl.text.byline import split_byline
from vpcrawl.text.legacy import convert, detect_and_convert
from vpcrawl.text.normalize import clean_text, restyle_tones, tone_key

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "text" / "seed_haiduong_vptu.json"
TARGET_CHARS = 5_000


def _article() -> str:
    """The seed article grown to ~5 KB by repeating its body paragraphs before the byline."""
    text = json.loads(SEED.read_text(encoding="utf-8"))["text"]
    blocks = re.split(r"\n\s*\n", text)
    head, body, tail = blocks[:3], blocks[3:-2], blocks[-2:]
    grown = list(body)
    i = 0
    while sum(map(len, head + grown + tail)) < TARGET_CHARS:
        grown.append(body[i % len(body)])
        i += 1
    return "\n\n".join(head + grown + tail)


def _rate(fn: Callable[[], object], seconds: float) -> float:
    """Best-of-3 seconds per call, each round at least seconds/3 long."""
    fn()  # warm caches, as a long crawl would
    best = float("inf")
    for _ in range(3):
        n = 0
        t0 = time.perf_counter()
        deadline = t0 + seconds / 3
        while True:
            fn()
            n += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        best = min(best, (now - t0) / n)
    return best


def main(seconds: float = 1.0) -> dict[str, Any]:
    """Run the timings; returns every number printed."""
    article = _article()
    raw_blocks = re.split(r"\n\s*\n", article)

    def pipeline() -> object:
        blocks = [clean_text(b) for b in raw_blocks]
        return split_byline(clean_blocks(blocks))

    body, byline = pipeline()  # type: ignore[misc]
    legacy_tcvn3 = article.lower().translate(
        {ord(u): bytes([0xA0 + i]).decode("cp1252") for i, u in enumerate(
            "\x00ĂÂÊÔƠƯĐăâêôơưđẰ\x00\x00\x00\x00\x00àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò"
            "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ") if u != "\x00"}
    )
    assert convert(legacy_tcvn3, "tcvn3") == article.lower()

    r: dict[str, Any] = {"article_chars": len(article), "blocks": len(raw_blocks)}
    r["clean_text_us"] = _rate(lambda: clean_text(article), seconds) * 1e6
    r["clean_blocks_us"] = _rate(lambda: clean_blocks(raw_blocks), seconds) * 1e6

    def cold_blocks() -> object:
        boilerplate._kind_cache.clear()  # no line seen before (first page of a portal)
        return clean_blocks(raw_blocks)

    r["clean_blocks_cold_us"] = _rate(cold_blocks, seconds) * 1e6
    r["split_byline_us"] = _rate(lambda: split_byline(raw_blocks[:-1]), seconds) * 1e6
    r["pipeline_us"] = _rate(pipeline, seconds) * 1e6
    r["detect_unicode_us"] = _rate(lambda: detect_and_convert(article), seconds) * 1e6
    r["detect_tcvn3_us"] = _rate(lambda: detect_and_convert(legacy_tcvn3), seconds) * 1e6
    t = _rate(lambda: tone_key(article), seconds)
    r["tone_key_us"] = t * 1e6
    r["tone_key_chars_per_s"] = len(article) / t

    def cold_key() -> object:
        normalize._key_cache.clear()
        normalize._caches[True].clear()
        return tone_key(article)

    r["tone_key_cold_chars_per_s"] = len(article) / _rate(cold_key, seconds)

    def cold_detect() -> object:
        legacy._token_cache.clear()
        legacy._valid_cache.clear()
        return detect_and_convert(legacy_tcvn3)

    r["detect_tcvn3_cold_us"] = _rate(cold_detect, seconds) * 1e6
    t = _rate(lambda: restyle_tones(article, "old"), seconds)
    r["restyle_chars_per_s"] = len(article) / t
    r["byline"] = None if byline is None else f"{byline.author} / {byline.source}"
    r["body_ends"] = body[-1][:30]
    r["items_per_s"] = 1e6 / (r["pipeline_us"] + r["detect_unicode_us"])
    return r


def _report(r: dict[str, Any]) -> str:
    return "\n".join([
        f"vpcrawl.text on a {r['article_chars']}-char article ({r['blocks']} blocks)",
        f"  clean_text          {r['clean_text_us']:9.1f} µs/call",
        f"  clean_blocks        {r['clean_blocks_us']:9.1f} µs/call"
        f" ({r['clean_blocks_cold_us']:.1f} µs with no line seen before)",
        f"  split_byline        {r['split_byline_us']:9.1f} µs/call",
        f"  clean+blocks+byline {r['pipeline_us']:9.1f} µs/call  (byline: {r['byline']})",
        f"  detect_and_convert  {r['detect_unicode_us']:9.1f} µs/call on Unicode text (no change)",
        f"  detect_and_convert  {r['detect_tcvn3_us']:9.1f} µs/call on TCVN3 text (converted;"
        f" {r['detect_tcvn3_cold_us']:.0f} µs with cold caches)",
        f"  tone_key            {r['tone_key_us']:9.1f} µs/call = {r['tone_key_chars_per_s'] / 1e6:.2f} M chars/s"
        f" ({r['tone_key_cold_chars_per_s'] / 1e6:.2f} M chars/s with cold caches)",
        f"  restyle_tones(old)  {r['restyle_chars_per_s'] / 1e6:9.2f} M chars/s",
        f"  => {r['items_per_s']:,.0f} items/s for legacy check + clean + blocks + byline",
    ])


if __name__ == "__main__":
    print(_report(main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)))
