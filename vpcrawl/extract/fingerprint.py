"""Recognise the CMS family of a page from tell-tale strings in its raw HTML."""

from __future__ import annotations

from vpcrawl.sites.base import Family
from vpcrawl.sites.families import FAMILIES

MIN_SCORE = 3
SCAN_CHARS = 200_000  # markers sit in <head>, skins and scripts; no need to scan megabytes


def fingerprint_scores(html: str) -> dict[str, int]:
    head = html[:SCAN_CHARS]
    return {
        name: sum(weight for marker, weight in fam.fingerprints if marker in head)
        for name, fam in FAMILIES.items()
    }


def detect_family(html: str) -> type[Family] | None:
    """The best-scoring family, or None when no family is clearly present."""
    scores = fingerprint_scores(html)
    name, score = max(scores.items(), key=lambda kv: kv[1])
    return FAMILIES[name] if score >= MIN_SCORE else None
