"""`vpcrawl report`: a self-contained HTML page, checked as text and in a real headless Chromium."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.debian import ensure_binary
from vpcrawl import dataset
from vpcrawl.provinces import (
    MERGED_INTO,
    PROVINCES_34,
    PROVINCES_63,
    at,
    codes,
    find,
    predecessors,
    successor,
)
from vpcrawl.report import _months_between, build_report, main, stacked_bar_chart

DATA = Path(__file__).parent / "data" / "report"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: proves self-containment
)


# --- a real browser ----------------------------------------------------------------------------


def ensure_chromium() -> tuple[str | None, str]:
    """Chromium's path, installing Debian's package when missing; else (None, why not)."""
    return ensure_binary(CHROMIUM_NAMES, "chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    path, why = ensure_chromium()
    if path is None:
        pytest.skip(why)
    return path


def render(chromium: str, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=60,
    )


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> str:
    return build_report([DATA])


def expected_bars() -> int:
    """Non-empty (portal, month) cells of the chart, from the latest revisions."""
    cells = Counter(
        (i["site"], i["published_at"][:7]) for i in dataset.read(DATA) if i.get("published_at")
    )
    return len(cells)


def test_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.I)


def test_sections_and_numbers(page: str) -> None:
    for heading in ("Articles per portal per month", "Publication dates: source and precision",
                    "Field coverage per portal", "Duplicates and syndication", "News and Party documents",
                    "Revisions and removals", "Errors by kind", "Runs"):
        assert heading in page
    assert page.count('<rect class="bar"') == expected_bars()
    assert "18</b><span>articles (latest revisions)" in page
    assert "19</b><span>lines read (all revisions)" in page
    # portals carry issuing body and province codes before and after the 2025 merger
    assert "Tỉnh ủy Bình Phước" in page and "70 Bình Phước → 75 Đồng Nai" in page
    assert "87 Đồng Tháp → 82 Đồng Tháp" in page
    assert "provincial committee" in page and "central" in page
    # syndication: btg-dongthap republishes dangcongsan
    assert "<td>btg-dongthap</td><td>dangcongsan</td><td class=\"num\">1</td>" in page
    # documents, revisions, removals, errors (manifests) and rejects
    assert "127-KL/TW" in page and "57-NQ/TW" in page
    assert "dong-chi-bi-thu-tinh-uy-lam-viec-tai-dong-xoai-1185.html" in page
    assert "http_500" in page and "robots_disallowed" in page
    assert "<td>tinhuy-binhphuoc</td><td>published_at</td><td class=\"num\">1</td>" in page


def test_chart_geometry() -> None:
    assert _months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    months = _months_between("2010-01", "2025-12")
    svg = stacked_bar_chart(months, {"a": [1] * len(months)}, {"a": "#000"}, "t")
    assert svg.count('<rect class="bar"') == len(months)
    assert svg.count('class="xlab"') <= 25  # labels thinned on long series
    heights = [float(h) for h in re.findall(r'class="bar"[^>]*height="([\d.]+)"', svg)]
    assert len(set(heights)) == 1 and heights[0] > 0


def test_tolerates_old_and_damaged_runs(tmp_path: Path) -> None:
    old = {"id": "0123456789abcdef", "url": "https://x.vn/a", "site": "x.vn", "title": "t", "body": "b",
           "published_at": None, "schema_version": "1.0"}  # a 1.0 item: no kind, no documents
    (tmp_path / "old.jsonl").write_text(json.dumps(old) + "\n{broken\n", encoding="utf-8")
    html = build_report([tmp_path])
    assert "No dated articles" in html and "No run manifests found" in html
    assert "1.0 (1)" in html


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "report.html"
    assert main([str(DATA), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count('<rect class="bar"') == expected_bars()
    assert "wrote" in capsys.readouterr().out
    assert main([str(tmp_path / "missing"), "-o", str(out)]) == 2
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty"), "-o", str(out)]) == 2
    assert "no .jsonl" in capsys.readouterr().err


@pytest.mark.timeout(900)  # a first run may install Chromium; the rendering itself takes seconds
def test_renders_in_headless_chromium(chromium: str, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert main([str(DATA), "-o", str(report)]) == 0
    done = render(chromium, report, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "Articles per portal per month" in dom
    svg = re.search(r'<svg[^>]*class="chart".*?</svg>', dom, re.S)
    assert svg, "the chart's <svg> is not in the rendered DOM"
    bars = re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', svg.group(0))
    assert len(bars) == expected_bars() and all(float(h) > 0 for h in bars)
    shot = tmp_path / "report.png"
    done = render(chromium, report, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1280,1600")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000  # a rendered page, not a blank one


# --- provinces: the codes the Portals table shows ------------------------------------------------


def test_province_lists_and_merger() -> None:
    assert len(PROVINCES_63) == 63 and len(PROVINCES_34) == 34
    assert set(MERGED_INTO) == set(PROVINCES_63) and set(MERGED_INTO.values()) == set(PROVINCES_34)
    sizes = Counter(MERGED_INTO.values())
    assert sum(1 for n in sizes.values() if n == 1) == 11  # unchanged units
    assert sum(1 for p in PROVINCES_34.values() if p.city) == 6
    assert [p.name for p in predecessors("79")] == ["Bình Dương", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"]
    assert successor("70").name == "Đồng Nai" and successor("15").name == "Lào Cai"
    assert codes("Bình Phước") == codes("tỉnh Bình Phước") == codes("BINH PHUOC")
    c = codes("Bình Phước")
    assert c is not None and (c.code_63, c.code_34, c.name_34) == ("70", "75", "Đồng Nai")
    assert find("TP. Hồ Chí Minh").code == "79" and find("Khánh Hoà").code == "56"  # type: ignore[union-attr]
    assert find("Thừa Thiên - Huế").code == "46" and find("Huế", "34").name == "Huế"  # type: ignore[union-attr]
    assert codes("") is None and codes("Trung ương") is None
    assert at("Bình Phước", date(2025, 6, 30)).name == "Bình Phước"  # type: ignore[union-attr]
    assert at("Bình Phước", date(2025, 7, 1)).name == "Đồng Nai"  # type: ignore[union-attr]
