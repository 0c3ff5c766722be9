"""Site profiles: the portal registry (`portals.toml`) and the CMS families."""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources

from vpcrawl.sites.base import Family, Layout, ListingRules, Portal
from vpcrawl.sites.families import FAMILIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["FAMILIES", "Family", "Layout", "ListingRules", "Portal", "UnknownSite", "get_portal", "portals"]


class UnknownSite(KeyError):
    """An id that is not in the registry; the message lists the known ids."""

    def __str__(self) -> str:
        return str(self.args[0])


@cache
def portals() -> dict[str, Portal]:
    """All built-in portals, by id, in registry order."""
    text = resources.files("vpcrawl.sites").joinpath("portals.toml").read_text(encoding="utf-8")
    out: dict[str, Portal] = {}
    for pid, row in tomllib.loads(text).items():
        family = row.get("family") or None
        if family is not None and family not in FAMILIES:
            raise ValueError(f"portals.toml: portal {pid!r} names unknown family {family!r}")
        out[pid] = Portal(
            id=pid,
            name=row["name"],
            family=family,
            start_urls=tuple(row["start_urls"]),
            issuing_body=row.get("issuing_body", ""),
            province=row.get("province", ""),
            province_code=row.get("province_code", ""),
            aliases=tuple(row.get("aliases", ())),
            notes=row.get("evidence", ""),
        )
    return out


def get_portal(site_id: str) -> Portal:
    try:
        return portals()[site_id]
    except KeyError:
        known = ", ".join(portals())
        raise UnknownSite(f"unknown site {site_id!r}; known sites: {known}") from None
