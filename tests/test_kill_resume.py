"""`vpcrawl run` killed with SIGKILL at random points, then run again: the final data files
hold exactly the articles of an uninterrupted run (no loss, no duplicates), no partial file
carries a final name, and the state database stays sound."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import FIXTURES, ROOT

SITE = "vptu-haiduong"
TRIALS = 20
# a small delay spreads the crawl over ~2 s so kill points land before, during and after it
FAST = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]


def start_run(url: str, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "vpcrawl.cli", "run", "--site", SITE, "--url", url, "--out", str(out), *FAST]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def final_items(out: Path) -> list[str]:
    ids = []
    for data in sorted(out.glob(f"{SITE}/*/*.jsonl.gz")):
        with gzip.open(data, "rt", encoding="utf-8") as fh:  # a truncated gzip would raise here
            ids += [json.loads(line)["id"] for line in fh if line.strip()]
    return ids


def test_killed_runs_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    from vpcrawl.mirror import MirrorServer

    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / SITE, root / SITE)
    rng = random.Random(20261129)
    with MirrorServer(root) as server:
        url = server.urls[SITE]
        reference = tmp_path / "reference"
        t0 = time.monotonic()
        assert start_run(url, reference).wait(timeout=120) == 0
        duration = time.monotonic() - t0
        expected = sorted(final_items(reference))
        assert len(expected) == 13
        outcomes: dict[str, int] = {}
        for trial in range(TRIALS):
            out = tmp_path / f"trial{trial}"
            proc = start_run(url, out)
            delay = rng.uniform(0.2, duration * 1.1)
            try:
                proc.wait(timeout=delay)
                outcomes["finished_before_kill"] = outcomes.get("finished_before_kill", 0) + 1
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                outcomes["killed"] = outcomes.get("killed", 0) + 1
            assert start_run(url, out).wait(timeout=120) == 0, f"trial {trial}: rerun failed"
            got = final_items(out)
            assert len(got) == len(set(got)), f"trial {trial} (kill at {delay:.2f}s): duplicates"
            assert sorted(got) == expected, f"trial {trial} (kill at {delay:.2f}s): lost articles"
            state = out / ".state" / "state.sqlite3"
            with sqlite3.connect(state) as conn:
                assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            for manifest in out.glob(f"{SITE}/*/*.manifest.json"):
                json.loads(manifest.read_text(encoding="utf-8"))  # complete JSON, never half
    print(f"kill-and-rerun trials: {outcomes}, reference run {duration:.2f}s")
    assert outcomes.get("killed", 0) >= TRIALS // 2, "too few kills landed during a run"


def test_paths_cannot_escape_output_dir() -> None:
    import pytest

    from vpcrawl.runner import RunError, safe_name

    for bad in ("../etc", "a/b", "..", "", "x" * 200, "/abs"):
        with pytest.raises(RunError):
            safe_name(bad, "site")
    assert safe_name("tinhuy-binhphuoc", "site") == "tinhuy-binhphuoc"


