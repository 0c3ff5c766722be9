"""Pause/resume with Scrapy's JOBDIR: stop after N items, resume, and the union equals one
uninterrupted crawl with no duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

SITE = "vptu-haiduong"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]


def crawl(url: str, out: Path, jobdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"site={SITE}", "-a", f"url={url}",
           "-o", str(out), "-s", f"JOBDIR={jobdir}", *FAST, *extra]
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)


def urls(path: Path) -> list[str]:
    return [json.loads(line)["url"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_pause_and_resume_equals_uninterrupted_crawl(mirror: Any, tmp_path: Path) -> None:
    url = mirror.urls[SITE]
    whole = crawl(url, tmp_path / "whole.jsonl", tmp_path / "job-whole")
    assert whole.returncode == 0, whole.stderr[-2000:]
    expected = urls(tmp_path / "whole.jsonl")
    assert len(expected) == 13

    first = crawl(url, tmp_path / "part1.jsonl", tmp_path / "job", "-s", "CLOSESPIDER_ITEMCOUNT=4")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "closespider_itemcount" in first.stderr
    part1 = urls(tmp_path / "part1.jsonl")
    assert 4 <= len(part1) < len(expected), "the first part should stop early"

    second = crawl(url, tmp_path / "part2.jsonl", tmp_path / "job")
    assert second.returncode == 0, second.stderr[-2000:]
    part2 = urls(tmp_path / "part2.jsonl")
    assert sorted(part1 + part2) == sorted(expected), "union differs from an uninterrupted crawl"
    assert len(set(part1 + part2)) == len(part1 + part2), "an article was emitted twice"
