"""Declarative site profiles: a CMS family is data (selectors, URL patterns) plus versioned layouts.

After Fundus's per-publisher parsers: a portal that changes its page layout gets a new
`Layout` subclass with only what changed (e.g. `class V5(V4)`), and the old one stays for
old pages. Extraction code (`vpcrawl.extract`) reads these attributes; profiles hold no logic
beyond small overridable hooks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from vpcrawl.state.canonical import CanonicalRules

Selectors = Sequence[str]


class Layout:
    """The markup of one page-layout version of a family's article page.

    Every attribute is a sequence of CSS selectors tried in order (first non-empty wins).
    `signature` decides whether the layout applies to a page at all.
    """

    name: ClassVar[str] = "V1"
    valid_from: ClassVar[str | None] = None  # ISO date the layout went live (informational)
    signature: ClassVar[Selectors] = ()  # any of these present → this layout applies
    title: ClassVar[Selectors] = ()
    summary: ClassVar[Selectors] = ()
    body: ClassVar[Selectors] = ()
    date: ClassVar[Selectors] = ()  # element(s) whose text holds the publication date
    byline: ClassVar[Selectors] = ()  # explicit byline elements (author / source lines)
    category: ClassVar[Selectors] = ()
    tags: ClassVar[Selectors] = ()  # elements whose text is one tag each
    attachments: ClassVar[Selectors] = ()  # <a> elements of attached documents
    captions: ClassVar[Selectors] = ()  # caption elements inside the body
    lead_image: ClassVar[Selectors] = ()  # the lead photo box outside the body (with its caption)
    # Subtrees removed from the body before text is taken: toolbars, related lists, widgets.
    body_exclude: ClassVar[Selectors] = ()


@dataclass(frozen=True)
class ListingRules:
    """How a family's category listings look: item links with their dates, and pagination."""

    item: Selectors = ()  # one element per listed article
    item_link: Selectors = ("a[href]",)  # inside the item: the article link
    item_date: Selectors = ()  # inside the item: the listing date text
    next_page: Selectors = ()  # <a> elements (or onclick holders) leading to the next page(s)


class Family:
    """A CMS family: how to recognise it, which URLs are articles, listings and layouts."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # Substrings of the raw HTML that identify the family (CMS fingerprint), with weights.
    fingerprints: ClassVar[Sequence[tuple[str, int]]] = ()
    article_url: ClassVar[Sequence[str]] = ()  # regexes over path+query of article pages
    non_article_url: ClassVar[Sequence[str]] = ()  # regexes of pages never to treat as articles
    listing: ClassVar[ListingRules] = ListingRules()
    layouts: ClassVar[Sequence[type[Layout]]] = ()  # newest first
    canonical: ClassVar[CanonicalRules] = CanonicalRules()

    _compiled: ClassVar[dict[str, list[re.Pattern[str]]]] = {}

    @classmethod
    def _patterns(cls, attr: str) -> list[re.Pattern[str]]:
        key = f"{cls.__name__}.{attr}"
        if key not in Family._compiled:
            Family._compiled[key] = [re.compile(p, re.I) for p in getattr(cls, attr)]
        return Family._compiled[key]

    @classmethod
    def is_article_url(cls, path_and_query: str) -> bool:
        return any(p.search(path_and_query) for p in cls._patterns("article_url"))

    @classmethod
    def is_non_article_url(cls, path_and_query: str) -> bool:
        return any(p.search(path_and_query) for p in cls._patterns("non_article_url"))


@dataclass(frozen=True)
class Portal:
    """One portal from the registry (`portals.toml`)."""

    id: str
    name: str
    family: str | None
    start_urls: tuple[str, ...]
    issuing_body: str = ""
    province: str = ""
    province_code: str = ""
    aliases: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)
