"""Every CMS family and every built-in portal has stored fixture pages with expected items."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, mirror_portals
from vpcrawl.sites import FAMILIES, portals


def _articles_by_family() -> dict[str, int]:
    counts: dict[str, int] = {}
    for portal in mirror_portals():
        if portal.family:
            counts[portal.family] = counts.get(portal.family, 0) + len(portal.meta["articles"])
    return counts


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_has_fixture_articles(family: str) -> None:
    assert _articles_by_family().get(family, 0) >= 1, f"no fixture article page for family {family}"


@pytest.mark.parametrize("portal_id", sorted(portals()))
def test_every_portal_has_fixtures_with_expected_items(portal_id: str) -> None:
    meta_file = FIXTURES / portal_id / "portal.json"
    assert meta_file.exists(), f"portal {portal_id} has no fixtures/{portal_id}/portal.json"
    portal = next(p for p in mirror_portals() if p.id == portal_id)
    assert portal.family == portals()[portal_id].family
    assert portal.meta["articles"], "no article pages"
    for path in portal.meta["articles"]:
        expected = portal.expected(path)
        assert expected["url"] == path and expected["title"] and expected["body"]


def test_every_layout_version_is_exercised() -> None:
    """A layout nobody's fixture uses is a layout nobody tests."""
    from tests.test_extract_fixtures import extracted_layouts

    used = extracted_layouts()
    for name, family in FAMILIES.items():
        for layout in family.layouts:
            if getattr(layout, "fixture_optional", False):
                continue
            assert (name, layout.name) in used, f"{name} layout {layout.name} has no fixture page"


def test_mirror_is_big_enough() -> None:
    ported = mirror_portals()
    families = {p.family for p in ported if p.family}
    assert len(families) >= 4
    assert sum(len(p.meta["articles"]) for p in ported) >= 40
