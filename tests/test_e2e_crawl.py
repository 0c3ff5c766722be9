"""End to end: the real Scrapy engine (`scrapy crawl portal`, in subprocesses) crawls the served
mirror in profile mode (-a site= -a url=) and in zero-config mode (-a url= only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, MirrorPortal, mirror_portals
from vpcrawl.sites import FAMILIES, portals
from vpcrawl.state.canonical import canonicalize

CRAWL_TIMEOUT = 180
FIELDS = ("title", "summary", "body", "published_at", "author", "source")


def scrapy_crawl(args: list[str], out: Path, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "portal", *args, "-O", str(out),
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=INFO",
           "-s", "LOG_FILE=" + str(log)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run_all(mirror: Any, tmp: Path, zero_config: bool, fingerprint: bool = True) -> dict[str, list[dict[str, Any]]]:
    procs = {}
    for portal in mirror_portals():
        args = ["-a", f"url={mirror.urls[portal.id]}"]
        if not fingerprint:
            args += ["-s", "VPCRAWL_FINGERPRINT=False"]
        if not zero_config:
            if portal.id not in portals():
                continue
            args += ["-a", f"site={portal.id}"]
        out, log = tmp / f"{portal.id}.jsonl", tmp / f"{portal.id}.log"
        procs[portal.id] = (scrapy_crawl(args, out, log), out, log)
    results = {}
    for pid, (proc, out, _log) in procs.items():
        _, err = proc.communicate(timeout=CRAWL_TIMEOUT)
        assert proc.returncode == 0, f"{pid}: scrapy crawl failed: {err.decode()[-2000:]}"
        lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
        results[pid] = [json.loads(line) for line in lines if line.strip()]
    return results


@pytest.fixture(scope="module")
def profile_results(mirror: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    return run_all(mirror, tmp_path_factory.mktemp("profile"), zero_config=False)


@pytest.fixture(scope="module")
def zero_config_results(mirror: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    return run_all(mirror, tmp_path_factory.mktemp("zero"), zero_config=True)


@pytest.fixture(scope="module")
def generic_results(mirror: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    return run_all(mirror, tmp_path_factory.mktemp("generic"), zero_config=True, fingerprint=False)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _portal(pid: str) -> MirrorPortal:
    return next(p for p in mirror_portals() if p.id == pid)


def fixture_paths(portal: MirrorPortal, items: list[dict[str, Any]]) -> list[str]:
    """The fixture page path of each emitted item (item URLs are canonical: query sorted,
    CMS noise parameters dropped; aliases resolve to the page they duplicate)."""
    rules = FAMILIES[portal.family].canonical if portal.family else None
    by_canonical = {}
    for path in portal.meta["articles"]:
        target = portal.canonical_path(path)
        by_canonical[_path(canonicalize("http://mirror" + path, rules))] = target
    return [by_canonical.get(_path(i["url"]), _path(i["url"])) for i in items]


@pytest.mark.parametrize("pid", sorted(p.id for p in mirror_portals() if p.id in portals()))
def test_profile_mode_emits_exactly_the_articles(pid: str, profile_results: dict[str, list[dict[str, Any]]]) -> None:
    portal = _portal(pid)
    items = profile_results[pid]
    paths = fixture_paths(portal, items)
    assert len(paths) == len(set(paths)), f"duplicates emitted: {sorted(paths)}"
    expected = set(portal.meta["articles"]) - set(portal.meta.get("aliases", {}))
    assert set(paths) - expected == set(), "non-articles emitted"
    assert expected - set(paths) == set(), "articles missing"
    for item, path in zip(items, paths, strict=True):
        want = portal.expected(path)
        for key in FIELDS:
            assert item[key] == want[key], f"{pid} {item['url']}: {key}"
        assert item["site"] == pid and item["id"] and item["crawled_at"]


def recall_report(results: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    report = {}
    for pid, items in sorted(results.items()):
        portal = _portal(pid)
        expected = set(portal.meta["articles"]) - set(portal.meta.get("aliases", {}))
        got = dict(zip(fixture_paths(portal, items), items, strict=True))
        found = set(got) & expected
        right = [p for p in found if got[p]["title"] == portal.expected(p)["title"]
                 and got[p]["published_at"] == portal.expected(p)["published_at"]]
        report[pid] = {"expected": len(expected), "found": len(found), "title_and_date_right": len(right),
                       "non_articles_emitted": sorted(set(got) - expected)}
    return report


def test_zero_config_mode_recovers_articles(zero_config_results: dict[str, list[dict[str, Any]]]) -> None:
    report = recall_report(zero_config_results)
    print(json.dumps(report, indent=1))
    for pid, row in report.items():
        assert row["non_articles_emitted"] == [], f"{pid}: zero-config emitted non-articles"
        assert row["found"] >= 0.95 * row["expected"], f"{pid}: recall {row['found']}/{row['expected']}"
        assert row["title_and_date_right"] >= 0.95 * row["expected"], f"{pid}: titles/dates {row}"


def test_generic_heuristics_alone_recover_articles(generic_results: dict[str, list[dict[str, Any]]]) -> None:
    """Fingerprinting off: how vpcrawl does on a CMS it has never seen. Every portal of the
    mirror, read by the generic heuristics only, must yield no non-article, and most articles
    with the right title and date."""
    report = recall_report(generic_results)
    print(json.dumps({k: {x: v[x] for x in ("expected", "found", "title_and_date_right")} for k, v in report.items()}))
    assert all(row["non_articles_emitted"] == [] for row in report.values()), report
    expected = sum(r["expected"] for r in report.values())
    assert sum(r["found"] for r in report.values()) >= 0.9 * expected
    assert sum(r["title_and_date_right"] for r in report.values()) >= 0.9 * expected
