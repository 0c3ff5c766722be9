"""`make bench`: the per-item micro-benchmarks, then the crawl benchmark; one table of figures.

Default (a few minutes): stage micro-benchmarks on 300 generated pages (3 repeats), dates and
text micro-benchmarks, the state benchmark at 100,000 keys / 10,000 documents, then the crawl
benchmark on a 2,000-article mirror with 3 alternating repetitions of A (bare Scrapy) and B
(`scrapy crawl portal`, every stage). `--full`: state at 1,000,000 keys and 100,000 documents,
5 repeats. `--long`: also the memory check (one B crawl of 20,000 pages). `--profile`: also
one profiled B crawl (py-spy when installed, and cProfile).

    .venv/bin/python benchmarks/run_all.py [--pages 2000] [--reps 3] [--full] [--long] [--profile]
                                           [--body-kb LO,HI] [--server auto|nginx|python] [--json F]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for p in (str(ROOT), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

import crawl_bench  # noqa: E402
import gen_mirror  # noqa: E402
import micro  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000, help="article pages in the crawl mirror (default 2000)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of A and of B, alternating (default 3)")
    ap.add_argument("--full", action="store_true", help="state micro-benchmarks at 1M keys / 100k documents")
    ap.add_argument("--long", action="store_true", help="memory over a long crawl (--long-pages, default 20,000)")
    ap.add_argument("--long-pages", type=int, default=20_000)
    ap.add_argument("--profile", action="store_true", help="profile one B crawl (py-spy if installed + cProfile)")
    ap.add_argument("--families", default=",".join(gen_mirror.FAMILY_ORDER),
                    help="portal templates of the mirror (default: nukeviet,mojoportal,3cms)")
    ap.add_argument("--body-kb", default="",
                    help="LO,HI: article bodies of LO-HI KB with page chrome making up 30-60 KB "
                         "(default: bodies padded until the page is 30-60 KB)")
    ap.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    ap.add_argument("--skip-micro", action="store_true")
    ap.add_argument("--skip-crawl", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the crawl's temporary directory")
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args(argv)
    body_kb = tuple(int(x) for x in args.body_kb.split(",")) if args.body_kb else None
    families = tuple(args.families.split(","))
    command = shlex.join([sys.executable, *sys.argv])
    out: dict[str, Any] = {"command": command}
    t0 = time.perf_counter()
    if not args.skip_micro:
        print("micro-benchmarks ...", flush=True)
        out["micro"] = micro.main(None, 300, 5 if args.full else 3, args.full, body_kb)  # type: ignore[arg-type]
    if not args.skip_crawl:
        print("crawl benchmark ...", flush=True)
        out["crawl"] = crawl_bench.run(args.pages, args.reps, families, args.server, args.long,
                                       args.long_pages, args.profile, args.keep, body_kb=body_kb)  # type: ignore[arg-type]
    out["seconds"] = time.perf_counter() - t0
    print()
    print(f"== vpcrawl benchmark: {command} ({out['seconds']:.0f} s) ==")
    if "crawl" in out:
        print(crawl_bench.report(out["crawl"]))
    else:
        print(crawl_bench.machine_info()["machine"])
    if "micro" in out:
        print()
        print(micro.report(out["micro"]))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
