"""Two crawler processes share one scrapy-redis queue, dupefilter and dedup index on a real
redis-server (127.0.0.1): the union of their outputs has every article exactly once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, mirror_portals
from tests.debian import ensure_binary

SITE = "tinhuy-bentre"  # has an article under two URLs: the workers must not both emit it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("scrapy_redis", reason="pip install 'vpcrawl[redis]' for the distributed test")
    server, why = ensure_binary(("redis-server",), "redis-server")
    if not server:
        pytest.skip(why)
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_two_workers_emit_every_article_exactly_once(mirror: Any, redis_url: str, tmp_path: Path) -> None:
    portal = next(p for p in mirror_portals() if p.id == SITE)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for n in (1, 2):
        out = tmp_path / f"worker{n}.jsonl"
        cmd = [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"site={SITE}",
               "-a", f"url={mirror.urls[SITE]}", "-O", str(out),
               "-s", f"VPCRAWL_REDIS_URL={redis_url}", "-s", "VPCRAWL_RUN_ID=test-run",
               "-s", "VPCRAWL_REDIS_IDLE_WAIT=2", "-s", "DOWNLOAD_DELAY=0.05",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
               "-s", "LOG_LEVEL=INFO", "-s", f"LOG_FILE={tmp_path / f'worker{n}.log'}"]
        procs.append((subprocess.Popen(cmd, cwd=ROOT, env=env), out))
    per_worker = []
    for proc, out in procs:
        assert proc.wait(timeout=180) == 0
        per_worker.append([json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines() if line])
    union = per_worker[0] + per_worker[1]
    print("articles per worker:", [len(w) for w in per_worker])
    assert len(union) == len(set(union)), "an article was emitted by both workers"
    expected = len(set(portal.meta["articles"]) - set(portal.meta.get("aliases", {})))
    assert len(union) == expected
    logs = [(tmp_path / f"worker{n}.log").read_text(encoding="utf-8") for n in (1, 2)]
    assert all("scrapy_redis" in log or "scheduler/dequeued/redis" in log for log in logs)
