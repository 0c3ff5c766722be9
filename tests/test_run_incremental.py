"""`vpcrawl run`: file set per run, incremental second run, revisions, takedowns, exit codes."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, ROOT

SITE = "tinhuy-binhphuoc"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


def vpcrawl(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "vpcrawl.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def manifests(out: Path) -> list[dict[str, Any]]:
    files = sorted(out.glob(f"{SITE}/*/*.manifest.json"))
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def items(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture
def portal_copy(tmp_path: Path) -> Any:
    """A private copy of one mirrored portal (tests edit and delete its pages)."""
    from vpcrawl.mirror import MirrorServer

    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / SITE, root / SITE)
    with MirrorServer(root) as server:
        yield server, root / SITE / "www"


def test_run_writes_complete_file_set_and_second_run_is_incremental(portal_copy: Any, tmp_path: Path) -> None:
    server, _ = portal_copy
    out = tmp_path / "runs"
    first = vpcrawl("run", "--site", SITE, "--url", server.urls[SITE], "--out", str(out), *FAST)
    assert first.returncode == 0, first.stderr
    (m1,) = manifests(out)
    data = next(out.glob(f"{SITE}/*/{m1['data_file']}"))
    assert m1["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert m1["counts"]["articles"] == 13 == len(items(data))
    assert m1["field_coverage"]["title"] == 1.0 and m1["schema_version"] and m1["vpcrawl_version"]
    from vpcrawl.schema import validate_manifest

    assert validate_manifest(m1) == []
    assert not list(out.rglob("*.part")), "a .part file was left behind"
    requests_first = len(server.requests[SITE])

    second = vpcrawl("run", "--site", SITE, "--url", server.urls[SITE], "--out", str(out), *FAST)
    assert second.returncode == 0, second.stderr
    m2 = next(m for m in manifests(out) if m["run_id"] != m1["run_id"])
    assert m2["counts"]["articles"] == 0, "known articles were emitted again"
    requests_second = len(server.requests[SITE]) - requests_first
    print(f"requests: first run {requests_first}, incremental second run {requests_second}")
    assert requests_second < requests_first / 2


def test_full_backfill_ignores_state(portal_copy: Any, tmp_path: Path) -> None:
    server, _ = portal_copy
    out = tmp_path / "runs"
    assert vpcrawl("run", "--site", SITE, "--url", server.urls[SITE], "--out", str(out), *FAST).returncode == 0
    again = vpcrawl("run", "--site", SITE, "--url", server.urls[SITE], "--out", str(out), "--full", *FAST)
    assert again.returncode == 0, again.stderr
    newest = max(manifests(out), key=lambda m: m["run_id"])
    # a backfill refetches everything; unchanged articles are recognised and not re-emitted
    assert newest["counts"]["article_pages"] == 13 and newest["counts"]["unchanged"] == 13
    assert newest["counts"]["articles"] == 0


def test_recheck_emits_revision_and_records_takedown(portal_copy: Any, tmp_path: Path) -> None:
    server, www = portal_copy
    out = tmp_path / "runs"
    assert vpcrawl("run", "--site", SITE, "--url", server.urls[SITE], "--out", str(out), *FAST).returncode == 0
    meta = json.loads((www.parent / "portal.json").read_text(encoding="utf-8"))
    edited, removed = meta["articles"][0], meta["articles"][1]
    page = www / edited.lstrip("/")
    html = page.read_text(encoding="utf-8")
    marker = "<div id=\"news-bodyhtml\" class=\"bodytext margin-bottom-lg\">"
    assert marker in html
    page.write_text(html.replace(marker, marker + "<p>Đoạn được bổ sung sau khi đăng bài, nội dung đã được biên tập lại.</p>"),
                    encoding="utf-8")
    (www / removed.lstrip("/")).unlink()
    again = vpcrawl("run", "--site", SITE, "--url", server.urls[SITE], "--out", str(out),
                    "--recheck-days", "36500", *FAST)
    assert again.returncode == 0, again.stderr
    newest = max(manifests(out), key=lambda m: m["run_id"])
    data = next(out.glob(f"{SITE}/*/{newest['run_id']}.jsonl.gz"))
    revised = items(data)
    assert [i["url"].endswith(edited) for i in revised] == [True]
    assert revised[0]["revision"] == 2 and revised[0]["revised_at"]
    assert "bổ sung sau khi đăng bài" in revised[0]["body"]
    assert newest["counts"]["removed"] == 1 and newest["removals"][0]["url"].endswith(removed)
    removals = next(out.glob(f"{SITE}/*/{newest['run_id']}.removals.jsonl")).read_text(encoding="utf-8")
    assert removed in removals


def test_unknown_site_and_unwritable_output_fail_before_crawling(tmp_path: Path) -> None:
    bad = vpcrawl("run", "--site", "nope")
    assert bad.returncode == 2 and "known sites:" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    blocker = tmp_path / "file"
    blocker.write_text("x")
    unwritable = vpcrawl("run", "--site", SITE, "--out", str(blocker / "sub"))
    assert unwritable.returncode == 2 and "not writable" in unwritable.stderr


def test_site_with_no_articles_exits_nonzero(tmp_path: Path) -> None:
    """A portal that answers nothing useful must make cron/monitoring notice."""
    from vpcrawl.mirror import MirrorServer

    root = tmp_path / "fixtures"
    (root / SITE / "www").mkdir(parents=True)
    (root / SITE / "portal.json").write_text(json.dumps({"id": SITE, "host": "x", "articles": []}))
    (root / SITE / "www" / "index.html").write_text("<html><body>Bảo trì hệ thống</body></html>")
    with MirrorServer(root) as server:
        result = vpcrawl("run", "--site", SITE, "--url", server.urls[SITE], "--out", str(tmp_path / "o"), *FAST)
    assert result.returncode == 1
    assert "FAILED" in result.stderr


def test_corrupt_or_newer_state_gives_one_clear_line(tmp_path: Path) -> None:
    import sqlite3

    out = tmp_path / "runs"
    (out / ".state").mkdir(parents=True)
    state = out / ".state" / "state.sqlite3"
    state.write_bytes(b"this is not a database" * 100)
    result = vpcrawl("run", "--site", SITE, "--out", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(state) in result.stderr and "move it aside" in result.stderr

    state.unlink()
    with sqlite3.connect(state) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '999')")
    result = vpcrawl("run", "--site", SITE, "--out", str(out))
    assert result.returncode == 2 and "newer vpcrawl" in result.stderr and "Traceback" not in result.stderr
