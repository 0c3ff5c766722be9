"""`scrapy check portal` runs the spider's contracts offline, on the bundled portal mirror."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.exceptions import ContractFail

from vpcrawl.contracts import ExtractsContract, MirrorContract, mirror_url
from vpcrawl.items import ArticleItem

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).with_name("scrapy")


def test_scrapy_check_runs_every_contract_and_passes() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_CHECK"}
    proc = subprocess.run([str(SCRAPY), "check", "-v", "portal"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Ran 4 contracts" in out, out
    for callback in ("parse_page", "parse_feed", "parse_robots"):
        assert f"[portal] {callback}" in out


class _Spider:
    """Stands for the spider a contract's callback is bound to."""

    name = "portal"
    pointed: tuple[str, str] | None = None

    def point_at(self, site: str, url: str) -> None:
        self.pointed = (site, url)

    def parse(self) -> None:
        """Stands for a callback."""


def test_extracts_fails_on_an_empty_field_or_no_item() -> None:
    contract = ExtractsContract(_Spider().parse, "title", "body_blocks")
    contract.post_process([ArticleItem(title="Hội nghị", body_blocks=["Đoạn một."])])
    with pytest.raises(ContractFail, match="empty fields: body_blocks"):
        contract.post_process([ArticleItem(title="Hội nghị", url="http://x/a.html")])
    with pytest.raises(ContractFail, match="no item"):
        contract.post_process([])


def test_mirror_points_the_request_and_the_spider_at_the_portal() -> None:
    spider = _Spider()
    args = MirrorContract(spider.parse, "vptu-haiduong", "/3cms/a.htm").adjust_request_args({})
    base = mirror_url("vptu-haiduong")
    assert base.startswith("http://127.0.0.1:") and args["url"] == base + "3cms/a.htm"
    assert spider.pointed == ("vptu-haiduong", base)
    with pytest.raises(ContractFail, match="no portal 'nowhere'"):
        MirrorContract(spider.parse, "nowhere", "/").adjust_request_args({})
    with pytest.raises(ContractFail, match="takes <portal-id> <path>"):
        MirrorContract(spider.parse, "vptu-haiduong").adjust_request_args({})
