"""The article schema: the one declaration of every field vpcrawl emits.

Field names are a public contract for researchers' datasets: later versions add fields,
never rename or remove them. `schema_version` changes whenever a field is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

SCHEMA_VERSION = "1.1"


@dataclass
class ArticleItem:
    """One article as it leaves the pipelines (and as the raw fields travel through them)."""

    id: str = ""  # stable, derived from the canonical URL
    url: str = ""  # canonical article URL
    site: str = ""  # portal id (registry id, or the host in zero-config mode)
    title: str | None = None
    summary: str | None = None  # lead / sapo
    body: str | None = None  # main text; paragraphs separated by one blank line
    published_at: str | None = None  # ISO 8601 with +07:00
    published_raw: str | None = None  # the date string as found
    date_source: str | None = None  # jsonld | meta | page | listing | url | relative
    date_precision: str | None = None  # minute | day
    author: str | None = None
    source: str | None = None  # unit or cited source (VPTU, dangcongsan.vn, ...)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)  # {url, caption}
    attachments: list[dict[str, Any]] = field(default_factory=list)  # {url, title, type}
    crawled_at: str | None = None  # ISO 8601
    content_hash: str | None = None
    duplicate_of: str | None = None  # id of the first copy (exact or near duplicate)
    revision: int = 1
    revised_at: str | None = None
    kind: str = "news"  # news | document (an official Party document page)
    documents: list[dict[str, Any]] = field(default_factory=list)  # Party document numbers cited
    family: str | None = None  # CMS family / profile that extracted it ("generic" if none)
    layout: str | None = None  # layout version of the family (e.g. "V4")
    schema_version: str = SCHEMA_VERSION
    # Working fields for the pipelines; dropped before export (see validate pipeline).
    body_blocks: list[str] = field(default_factory=list, repr=False)
    byline_lines: list[str] = field(default_factory=list, repr=False)
    date_candidates: list[tuple[str, str]] = field(default_factory=list, repr=False)
    listing_date_raw: str | None = field(default=None, repr=False)
    fetched_at: str | None = field(default=None, repr=False)
    legacy_font_hint: str | None = field(default=None, repr=False)
    # Near-duplicate signature computed where the page was read (see vpcrawl.pagework).
    signature: bytes | None = field(default=None, repr=False)
    # Pipelines whose `prepare` already ran on this item in a page worker (by stage name).
    prepared: list[str] = field(default_factory=list, repr=False)
    # The body as the JSON Lines feed writes it, encoded by the page worker (vpcrawl.feeds).
    body_json: Any = field(default=None, repr=False)


WORKING_FIELDS = (
    "body_blocks",
    "byline_lines",
    "date_candidates",
    "listing_date_raw",
    "fetched_at",
    "legacy_font_hint",
    "signature",
    "prepared",
    "body_json",
)
EXPORT_FIELDS = tuple(f.name for f in fields(ArticleItem) if f.name not in WORKING_FIELDS)
