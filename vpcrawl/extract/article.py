"""Article extraction: HTML (a parsel Selector) + URL + profile in, raw fields out. Pure.

A family profile's layouts are tried newest first (a layout applies when its signature is
present); when none yields a title and a body, generic heuristics take over, so a portal that
changed its markup degrades to zero-config extraction instead of silently losing articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from parsel import Selector, SelectorList

from vpcrawl.extract import generic
from vpcrawl.extract.blocks import (
    SKIP_TAGS,
    BodyParts,
    body_parts,
    document_type,
    element_lines,
    element_text,
    is_document_link,
)
from vpcrawl.extract.query import Query, compile_css, compile_union, node
from vpcrawl.sites.base import Family, Layout

# Subtrees no article body ever contains, whatever the CMS.
GLOBAL_BODY_EXCLUDE = ("script", "style", "noscript", "iframe", "nav", "button", "form[role=search]", "select")
MIN_BODY_CHARS = 80
MAX_LINK_DENSITY = 0.3
MAX_LEAD_CHARS = 600
# Class names Vietnamese CMSs give the lead (sapo, tóm tắt, mô tả) when no profile names it.
LEAD_SELECTORS = ("[class*=sapo]", "[class*=tom-tat]", "[class*=tomtat]", "[class*=summary]",
                  "[class*=hometext]", "[class*=mo-ta]", "[class*=chapeau]",
                  "[class~=lead]", "[class*=description]")


@dataclass
class RawArticle:
    """Fields as found on the page; the pipelines clean, resolve and validate them."""

    url: str
    title: str | None = None
    summary: str | None = None
    body_blocks: list[str] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    attachments: list[dict[str, str | None]] = field(default_factory=list)
    date_candidates: list[tuple[str, str]] = field(default_factory=list)  # (raw, source), best first
    byline_lines: list[str] = field(default_factory=list)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    family: str = "generic"
    layout: str | None = None

    @property
    def body_chars(self) -> int:
        return sum(len(b) for b in self.body_blocks)

    def is_complete(self) -> bool:
        """Enough to be an article: a title and a body of real length."""
        return bool(self.title) and self.body_chars >= MIN_BODY_CHARS


def _first(sel: Selector | SelectorList, selectors: tuple[str, ...] | list[str]) -> Selector | None:
    for css in selectors:
        found = sel.css(css)
        if found:
            return found[0]
    return None


def _all(sel: Selector, selectors: tuple[str, ...] | list[str]) -> list[Selector]:
    """Every element matching any selector, in document order (one query: a CSS union)."""
    return list(sel.css(", ".join(selectors))) if selectors else []


def _attachments(links: list[Any], url: str) -> list[dict[str, str | None]]:
    """Attached documents among these <a> elements (lxml elements or Selectors)."""
    out: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for a in links:
        el = node(a)
        if isinstance(el, str):
            continue  # a selector's `::attr()`/`::text` string: no link
        href = (el.get("href") or "").strip()
        if not href or not is_document_link(href):
            continue
        absolute = urljoin(url, href)
        if absolute in seen:
            continue
        seen.add(absolute)
        title = element_text(el) or el.get("title") or None
        out.append({"url": absolute, "title": title, "type": document_type(href)})
    return out


def _lead_from_body(raw: RawArticle, parts: BodyParts) -> None:
    """No lead element, but the body opens with a wholly bold paragraph: that is the lead."""
    if raw.summary is None and parts.first_block_bold and len(raw.body_blocks) > 1 \
            and len(raw.body_blocks[0]) <= MAX_LEAD_CHARS:
        raw.summary = raw.body_blocks.pop(0)


class _Compiled:
    """A layout's selectors compiled once: per attribute, the XPath of each selector (tried in
    order, first match wins) or one XPath of their union (every match, document order)."""

    def __init__(self, layout: type[Layout]) -> None:
        each = lambda selectors: tuple(compile_css(css) for css in selectors)  # noqa: E731
        self.signature = each(layout.signature)
        self.title = each(layout.title)
        self.summary = each(layout.summary)
        self.lead_image = compile_union(layout.lead_image)
        self.date = each(layout.date)
        self.byline = compile_union(layout.byline)
        self.category = each(layout.category)
        self.tags = compile_union(layout.tags)
        self.body = each(layout.body)
        self.body_exclude = compile_union(layout.body_exclude)
        self.captions = compile_union(layout.captions)
        self.attachments = compile_union(layout.attachments)


_COMPILED: dict[type[Layout], _Compiled] = {}
# What the body walk must be told to skip: the walk skips SKIP_TAGS elements by itself.
_WALK_EXCLUDE = compile_union([css for css in GLOBAL_BODY_EXCLUDE if css not in SKIP_TAGS])
_LINKS = compile_css("a[href]")
_DATETIME = compile_css("[datetime]::attr(datetime)")


def compiled(layout: type[Layout]) -> _Compiled:
    plan = _COMPILED.get(layout)
    if plan is None:
        plan = _COMPILED[layout] = _Compiled(layout)
    return plan


def _first_of(root: Any, queries: tuple[Query, ...]) -> Any:
    """The first match of the first query that matches anything (`_first` on compiled queries)."""
    for query in queries:
        found = query.first(root)
        if found is not None:
            return found
    return None


def _each(root: Any, query: Query | None) -> list[Any]:
    """Every match of a union query, in document order (`_all` on a compiled query)."""
    return query(root) if query is not None else []


def apply_layout(sel: Selector | Any, url: str, layout: type[Layout], family: str) -> RawArticle:
    """Extract with one layout's selectors (`sel`: the page's Selector or its root element)."""
    root = node(sel)
    plan = compiled(layout)
    raw = RawArticle(url=url, family=family, layout=layout.name)
    title_el = _first_of(root, plan.title)
    raw.title = element_text(title_el) or None
    summary_el = _first_of(root, plan.summary)
    lead_images: list[dict[str, str | None]] = []
    if summary_el is not None:
        # the lead box may hold the lead photo and its caption (NukeViet 3 `#imghome`)
        lead = body_parts(summary_el, url, exclude=_each(summary_el, _WALK_EXCLUDE))
        raw.summary = " ".join(lead.blocks) or None
        lead_images = lead.images
    for box in _each(root, plan.lead_image):
        lead_images.extend(body_parts(box, url).images)
    date_el = _first_of(root, plan.date)
    if date_el is not None:
        # <time datetime> inside the date element is more precise than its visible text
        stamp = None if isinstance(date_el, str) else (date_el.get("datetime") or _DATETIME.first(date_el))
        if stamp:
            raw.date_candidates.append((stamp, "page"))
        date_text = element_text(date_el)
        if date_text:
            raw.date_candidates.append((date_text, "page"))
    raw.date_candidates.extend(generic.metadata_dates(root))
    byline_els = _each(root, plan.byline)
    for el in byline_els:
        raw.byline_lines.extend(element_lines(el))
    cat_el = _first_of(root, plan.category)
    raw.category = element_text(cat_el) or generic.breadcrumb_category(root)
    raw.tags = list(dict.fromkeys(t for t in (element_text(el) for el in _each(root, plan.tags)) if t))
    body = _first_of(root, plan.body)
    if body is not None:
        exclude = _each(body, _WALK_EXCLUDE) + _each(body, plan.body_exclude)
        # The body container sometimes also wraps title, lead, date and byline (Liferay VCMS).
        exclude += [el for el in (title_el, summary_el, date_el, *byline_els) if el is not None]
        parts = body_parts(body, url, exclude=exclude, captions=_each(body, plan.captions))
        raw.body_blocks = parts.blocks
        raw.images = lead_images + [i for i in parts.images if i not in lead_images]
        raw.attachments = _attachments(_each(root, plan.attachments) + _LINKS(body), url)
        _lead_from_body(raw, parts)
    return raw


def extract_with_family(sel: Selector | Any, url: str, family: type[Family]) -> RawArticle | None:
    """The first layout of the family that applies and yields a complete article."""
    root = node(sel)
    for layout in family.layouts:
        if layout.signature and _first_of(root, compiled(layout).signature) is None:
            continue
        raw = apply_layout(root, url, layout, family.name)
        if raw.is_complete():
            return raw
    return None


def has_signature(sel: Selector | Any, family: type[Family]) -> bool:
    """Any layout's signature is on the page."""
    root = node(sel)
    return any(_first_of(root, compiled(layout).signature) is not None for layout in family.layouts)


def extract_generic(sel: Selector, url: str) -> RawArticle | None:
    """Zero-config extraction: metadata first, then main-content detection."""
    raw = RawArticle(url=url, family="generic", layout=None)
    content = generic.main_content(sel)
    if content is None or generic.link_density(content) > MAX_LINK_DENSITY or generic.looks_like_listing(content):
        return None  # no text block, or a listing of links to other pages
    first_text = generic.first_text_block(content)
    if generic.teaser_before_text(sel, first_text, url):
        return None  # the text under a headline linking elsewhere: a listing's teaser
    raw.title, title_el = generic.find_title(sel, content, url, first_text)
    raw.date_candidates.extend(generic.metadata_dates(sel))
    near = generic.dates_after(sel, title_el)
    if near:
        raw.date_candidates.append((near[0], "page"))
    summary_el = _first(content, LEAD_SELECTORS)
    if summary_el is None and title_el is not None:
        # a lead box between the title and the text (outside the main text block)
        after_title = [el for el in _all(sel, LEAD_SELECTORS) if generic.follows(el, title_el)
                       and not generic.follows(el, content)]
        summary_el = after_title[0] if after_title else None
    raw.summary = element_text(summary_el) or None
    exclude = _all(content, GLOBAL_BODY_EXCLUDE)
    exclude += [el for el in (title_el, summary_el, near[1] if near else None) if el is not None]
    exclude += [el for el in content.xpath("./*") if generic._noise(el.root)]
    parts = body_parts(content, url, exclude=exclude)
    blocks = parts.blocks
    while blocks and len(blocks[0]) <= 80 and generic.DATE_TEXT.search(blocks[0]):
        blocks = blocks[1:]  # a date/toolbar line between title and text
    raw.body_blocks = blocks
    raw.images = parts.images
    raw.attachments = _attachments(content.css("a[href]"), url)
    if blocks is parts.blocks:
        _lead_from_body(raw, parts)
    raw.category = generic.breadcrumb_category(sel)
    # page-specific tags only: the `keywords` meta is usually the same on every page of a portal
    keywords = generic.meta(sel, "news_keywords")
    raw.tags = [k.strip() for k in keywords.split(",") if k.strip()] if keywords else []
    raw.tags = raw.tags or [t for t in sel.css("meta[property='article:tag']::attr(content)").getall() if t]
    return raw if raw.is_complete() else None


def extract_article(sel: Selector, url: str, family: type[Family] | None = None) -> RawArticle | None:
    """Raw article fields, or None when the page holds no article we can read."""
    if family is not None:
        raw = extract_with_family(sel, url, family)
        if raw is not None:
            return raw
    return extract_generic(sel, url)
