"""Extraction + cleaning + dates of every fixture article page equals its expected item."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import MirrorPortal, mirror_portals
from vpcrawl.process import process_html
from vpcrawl.sites import FAMILIES

VN = timezone(timedelta(hours=7))
FETCHED = datetime(2026, 1, 5, 10, 0, tzinfo=VN)  # after every fixture article
FIELDS = ("title", "summary", "body", "published_at", "author", "source", "category", "tags")


def _cases() -> list[tuple[MirrorPortal, str]]:
    return [(p, path) for p in mirror_portals() for path in p.meta["articles"]]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def run(portal: MirrorPortal, path: str, zero_config: bool = False) -> dict[str, Any] | None:
    family = None if zero_config or not portal.family else FAMILIES[portal.family]
    url = f"http://{portal.meta['host']}{path}"
    return process_html(portal.html(path), url, family, site=portal.id, fetched_at=FETCHED)


def comparable(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: item.get(k) for k in FIELDS}
    out["images"] = [{"url": _path(i["url"]), "caption": i.get("caption")} for i in item.get("images") or []]
    out["attachments"] = [{"url": _path(a["url"]), "title": a.get("title")} for a in item.get("attachments") or []]
    return out


@cache
def extracted_layouts() -> frozenset[tuple[str, str]]:
    used = set()
    for portal, path in _cases():
        item = run(portal, path)
        if item and item.get("layout"):
            used.add((item["family"], item["layout"]))
    return frozenset(used)


@pytest.mark.parametrize(("portal", "path"), _cases(), ids=lambda v: v.id if isinstance(v, MirrorPortal) else v)
def test_article_matches_expected(portal: MirrorPortal, path: str) -> None:
    item = run(portal, path)
    assert item is not None, f"{portal.id}{path}: no article extracted"
    expected = portal.expected(path)
    got = comparable(item)
    want = comparable({**expected, "images": expected.get("images", []),
                       "attachments": expected.get("attachments", [])})
    for key in want:
        assert got[key] == want[key], f"{portal.id}{path}: field {key}"


@pytest.mark.parametrize("portal", mirror_portals(), ids=lambda p: p.id)
def test_non_articles_are_not_articles(portal: MirrorPortal) -> None:
    for path in portal.meta.get("non_articles", []) + portal.meta.get("listings", []):
        assert run(portal, path) is None, f"{portal.id}{path} was taken for an article (profile mode)"
        assert run(portal, path, zero_config=True) is None, f"{portal.id}{path} taken for an article (zero-config)"
