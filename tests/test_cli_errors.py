"""Bad user input to `scrapy crawl portal` gives ONE line on stderr that says what is accepted,
and exit code 2 -- no traceback, no usage text, no crawl.

`plain` runs the command exactly as a user does (the project's settings); `wired` runs it with
a settings module that adds ``COMMANDS_MODULE = "vpcrawl.commands"`` (vpcrawl/commands/crawl.py),
the fix waiting to be wired into vpcrawl/settings.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.faults import FaultServer

NO_SERVER = "http://127.0.0.1:9/"  # nothing listens there: even a wrongly started crawl stays local
CASES = {
    "unknown_site": (["-a", "site=nope"], ["known sites:", "doanvptw", "tinhuy-binhphuoc"]),
    "bad_since": (["-a", f"url={NO_SERVER}", "-a", "since=2024-13-45"], ["YYYY-MM-DD"]),
    "url_without_scheme": (["-a", "url=example.com"], ["http(s)", "https://"]),
}
TIMEOUT = 60


def _start(args: list[str], settings_module: str | None, shim_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim_dir), str(ROOT)])}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    if settings_module:
        env["SCRAPY_SETTINGS_MODULE"] = settings_module
    cmd = [sys.executable, "-m", "scrapy", "crawl", "portal", *args,
           "-s", "CLOSESPIDER_TIMEOUT=5", "-s", "DOWNLOAD_TIMEOUT=2"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[int | None, str]]:
    shim = tmp_path_factory.mktemp("cli-settings")
    (shim / "vpcrawl_wired_settings.py").write_text(
        "from vpcrawl.settings import *  # noqa: F403\nCOMMANDS_MODULE = \"vpcrawl.commands\"\n",
        encoding="utf-8")
    procs = {}
    out = {}
    with FaultServer("doanvptw") as server:  # a good crawl through the wired command still works
        feed = shim / "good.jsonl"
        procs[("wired", "good")] = _start(["-a", "site=doanvptw", "-a", f"url={server.url}", "-O", str(feed),
                                           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                                           "-s", "LOG_LEVEL=WARNING"], "vpcrawl_wired_settings", shim)
        for mode, module in (("plain", None), ("wired", "vpcrawl_wired_settings")):
            for case, (args, _) in CASES.items():
                procs[(mode, case)] = _start(args, module, shim)
        for key, proc in procs.items():
            try:
                _, err = proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate(timeout=10)
            out[key] = (proc.returncode, err.decode("utf-8", "replace"))
    lines = feed.read_text("utf-8").splitlines() if feed.exists() else []
    out[("wired", "good_items")] = (len(lines), "")
    return out


def _check(runs: dict[tuple[str, str], tuple[int | None, str]], mode: str, case: str) -> None:
    code, err = runs[(mode, case)]
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, f"{case}: traceback on stderr:\n{err[-1500:]}"
    assert len(lines) == 1, f"{case}: {len(lines)} lines on stderr, want 1:\n{err[-1500:]}"
    assert "error" in lines[0].lower(), lines[0]
    for accepted in CASES[case][1]:
        assert accepted in lines[0], f"{case}: {accepted!r} not in {lines[0]!r}"
    assert code == 2, f"{case}: exit code {code}, want 2"


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_with_the_fix_wired(runs: dict[tuple[str, str], tuple[int | None, str]], case: str) -> None:
    _check(runs, "wired", case)


def test_good_arguments_still_crawl_with_the_fix_wired(
        runs: dict[tuple[str, str], tuple[int | None, str]]) -> None:
    code, err = runs[("wired", "good")]
    assert code == 0, err[-1500:]
    assert runs[("wired", "good_items")][0] == 12


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_as_users_run_it(runs: dict[tuple[str, str], tuple[int | None, str]], case: str) -> None:
    _check(runs, "plain", case)
