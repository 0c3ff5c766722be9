"""Heuristics for pages of a CMS we have no profile for (zero-config mode).

Order of trust: JSON-LD / Open Graph / `<time>` metadata, then the page itself: the main
content block (most paragraph text, least link text), the `<h1>` (or the element the metadata
title names), and the first date-like text AFTER the title in document order, so the header
"today" clock that sits above the title is never taken for the publication date.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from lxml import etree
from parsel import Selector

from vpcrawl.extract.blocks import BLOCK_TAGS, SKIP_TAGS, element_text
from vpcrawl.extract.query import compile_css, node

DATE_TEXT = re.compile(
    r"\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}"
    r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}\s+tháng\s+\d{1,2},?\s+\d{4}"
    r"|\b(?:\d+\s+(?:phút|giờ|ngày|tuần|tháng)\s+trước|hôm\s+qua|hôm\s+nay|vừa\s+xong)\b",
    re.I,
)
# A class or id naming a page region that never holds the article text. Matched on whole
# hyphen/underscore-separated words, so WordPress's `tag-…`/`category-…` post classes are not noise.
_NOISE = re.compile(
    r"(?:^|[\s_-])(?:comments?|sidebar|footer|menu|nav|navbar|related|relateditems|other|others"
    r"|widget|banner|breadcrumbs?|share|sharing|social|toolbar|tools|advert\w*|ads|login|search"
    r"|keywords|rating|vote|copyright|hotnews|mostread|mostview|popular|lienquan|tinkhac|latestnews"
    r"|aside)(?=$|[\s_-])"
    r"|(?:^|[\s_-])(?:tin[-_]lien[-_]quan|tin[-_]khac|lien[-_]quan|most[-_]read|most[-_]view|hot[-_]news)",
    re.I,
)
_TITLE_SPLIT = re.compile(r"\s+[|–—-]\s+|\s+::\s+")
ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle"}


_JSON_LD = etree.XPath("//script[@type='application/ld+json']/text()", smart_strings=False)
# `//*[@itemprop='datePublished']/@datetime | //time[@datetime]/@datetime`, the same attribute
# nodes in the same order, without testing a predicate on every element of the page
_DATE_PUBLISHED = etree.XPath("//@datetime[../@itemprop = 'datePublished' or parent::time]",
                              smart_strings=False)


def json_ld(sel: Selector | etree._Element) -> dict[str, Any]:
    """The first Article-like JSON-LD object on the page (handles @graph and lists)."""
    for raw in _JSON_LD(node(sel)):
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if not isinstance(obj, dict):
                continue
            kind = obj.get("@type")
            kinds = set(kind) if isinstance(kind, list) else {kind}
            if kinds & ARTICLE_TYPES:
                return obj
            graph = obj.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
    return {}


def meta(sel: Selector | etree._Element, *names: str) -> str | None:
    """The first non-empty `<meta>` content among `names` (property, name or itemprop)."""
    table = meta_table(sel)
    for name in names:
        value = table.get(name)
        if value:
            return value
    return None


def meta_table(sel: Selector | etree._Element) -> dict[str, str]:
    """All `<meta>` name/property/itemprop -> content of a page, read in one pass and cached
    for the page being processed (several extractors ask for different names); only the
    latest page is kept, so no old tree stays alive."""
    root = node(sel)
    cached = _META_CACHE.get(id(root))
    if cached is not None and cached[0] is root:
        return cached[1]
    table: dict[str, str] = {}
    for el in root.iter("meta"):
        content = (el.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key and key not in table:
                table[key] = content
    _META_CACHE.clear()
    _META_CACHE[id(root)] = (root, table)
    return table


_META_CACHE: dict[int, tuple[Any, dict[str, str]]] = {}


def metadata_dates(sel: Selector | etree._Element) -> list[tuple[str, str]]:
    """Machine-readable publication dates, best first, as (raw, source)."""
    out: list[tuple[str, str]] = []
    ld = json_ld(sel)
    if isinstance(ld.get("datePublished"), str):
        out.append((ld["datePublished"], "jsonld"))
    value = meta(sel, "article:published_time", "datePublished", "pubdate", "og:published_time",
                 "dc.date.issued", "DC.date.issued")
    if value:
        out.append((value, "meta"))
    for dt in _DATE_PUBLISHED(node(sel))[:2]:
        out.append((dt, "meta"))
    return out


def is_article_by_metadata(sel: Selector | etree._Element) -> bool | None:
    og_type = meta(sel, "og:type")
    if og_type:
        return og_type.lower() == "article"
    if json_ld(sel):
        return True
    return None


TITLE_CANDIDATES = ("h1, h2, h3, [class*=title], [class*=tieu-de], [class*=tieude], "
                    "[class*=headline], [itemprop=headline]")


def first_text_block(content: Selector) -> etree._Element | None:
    """The first real paragraph of the main text (the title comes before it)."""
    for el in content.root.iter("p", "div", "td"):
        if any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el):
            continue
        if len(" ".join("".join(el.itertext()).split())) >= 60 and not _noise(el):
            return el
    return None


def find_title(sel: Selector, content: Selector | None = None, url: str = "",
               first_text: etree._Element | None = None) -> tuple[str | None, Selector | None]:
    """The article title and its element (the anchor for the date search).

    The title is the heading that names the page in its metadata (og:title, JSON-LD, <title>),
    else the last substantial heading before the first paragraph of the main text that is not
    in a sidebar, a related list or the site header (a heading linking to another page, like
    the logo's link home, is not this page's title), else the first <h1>.
    """
    from vpcrawl.text.boilerplate import is_boilerplate_line, is_stop_marker

    meta_title = json_ld(sel).get("headline") or meta(sel, "og:title", "twitter:title")
    page_title = " ".join((sel.xpath("//title/text()").get() or "").split())
    if first_text is None and content is not None:
        first_text = first_text_block(content)
    text_anchor = Selector(root=first_text, type="html") if first_text is not None else None
    before: tuple[str, Selector] | None = None
    first_h1: tuple[str, Selector] | None = None
    for cand in sel.css(TITLE_CANDIDATES):
        el = cand.root
        if text_anchor is not None and (el is first_text or follows(cand, text_anchor)):
            break  # reached the text: the last heading seen before it is the title
        text = element_text(cand)
        if not text or len(text.split()) < 4 or len(text) > 400:
            continue
        if is_stop_marker(text) or is_boilerplate_line(text) or _noise(el) or any(
            _noise(a) for a in el.iterancestors()
        ):
            continue
        if _names_page(text, meta_title) or _names_page(text, page_title):
            return text, cand
        if url and links_elsewhere(cand, url):
            continue
        if el.tag == "h1" and first_h1 is None:
            first_h1 = (text, cand)
        before = (text, cand)
    if before is not None and text_anchor is not None:
        return before
    if meta_title:
        return _strip_site_name(str(meta_title)), None
    if first_h1 is not None:
        return first_h1
    return (_strip_site_name(page_title), None) if page_title else (None, None)


def teaser_before_text(sel: Selector, first_text: etree._Element | None, url: str) -> bool:
    """The heading right above the first paragraph of the text links to another page: the
    "text" is a teaser in a listing, not an article."""
    if first_text is None:
        return False
    anchor = Selector(root=first_text, type="html")
    last = None
    for cand in sel.css(TITLE_CANDIDATES):
        if cand.root is first_text or follows(cand, anchor):
            break
        if len(element_text(cand).split()) >= 4 and not _noise(cand.root):
            last = cand
    return last is not None and links_elsewhere(last, url)


def _names_page(text: str, page_title: str | None) -> bool:
    """The heading is the page's own title (not the site name inside `Title - Site`)."""
    if not page_title:
        return False
    return text == page_title or text == _strip_site_name(page_title) or (
        page_title.startswith(text) and len(text) * 2 >= len(page_title)
    )


def _strip_site_name(title: str) -> str:
    parts = _TITLE_SPLIT.split(" ".join(title.split()))
    return max(parts, key=len) if len(parts) > 1 else parts[0]


def _noise(el: etree._Element) -> bool:
    attrs = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(attrs.strip()) and bool(_NOISE.search(attrs))


def main_content(sel: Selector) -> Selector | None:
    """The element holding the article text: the densest cluster of paragraph text."""
    scores: dict[etree._Element, float] = defaultdict(float)
    root = sel.root
    for p in root.iter("p", "div", "td"):
        if p.tag in ("div", "td") and any(
            isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in p
        ):
            continue  # only leaf text blocks count
        text = "".join(p.itertext())
        length = len(" ".join(text.split()))
        if length < 40:
            continue
        link_len = sum(len("".join(a.itertext())) for a in p.iter("a"))
        if link_len > length * 0.5:
            continue
        weight = min(length, 1000) + 25 * text.count(",")
        # parent, grandparent and great-grandparent share the score (1, 1/2, 1/4): the
        # common container of many short blocks (a listing of teasers) outweighs one teaser
        node, share = p.getparent(), 1.0
        while node is not None and share >= 0.25:
            scores[node] += weight * share
            node, share = node.getparent(), share / 2
    best, best_score = None, 0.0
    for el, score in scores.items():
        if el.tag in SKIP_TAGS or _noise(el) or any(_noise(a) for a in el.iterancestors()):
            continue
        if score > best_score:
            best, best_score = el, score
    if best is None:
        return None
    return Selector(root=best, type="html")


def follows(el: Selector, anchor: Selector) -> bool:
    """`el` comes after `anchor` in document order (and is not inside it)."""
    a, b = anchor.root, el.root
    lineage = {b, *b.iterancestors()}
    if a in lineage:
        return False
    node = a
    while node is not None:
        if any(sib in lineage for sib in node.itersiblings()):
            return True
        node = node.getparent()
    return False


def links_elsewhere(el: Selector, url: str) -> bool:
    """The element is (or wraps, or sits in) a link to another page."""
    from urllib.parse import urljoin, urlsplit

    here = urlsplit(url)
    anchors = [a for a in (el.root, *el.root.iterancestors()) if a.tag == "a"][:1] or list(el.root.iter("a"))
    for a in anchors:
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        target = urlsplit(urljoin(url, href))
        if (target.path, target.query) != (here.path, here.query):
            return True
    return False


LISTING_MIN_ENTRIES = 4


def looks_like_listing(el: Selector) -> bool:
    """Several headline-like links inside the text block: a category listing, not an article.

    Listings with summaries keep link density low, but each entry still has a long linked
    headline; an article body rarely links four whole sentences.
    """
    headlines = {
        a.get("href")
        for a in _iter_outside_noise(el.root, "a")
        if a.get("href") and len(" ".join("".join(a.itertext()).split()).split()) >= 5
    }
    return len(headlines) >= LISTING_MIN_ENTRIES


def _iter_outside_noise(root: etree._Element, tag: str) -> list[etree._Element]:
    """Descendants with this tag, not inside a related list, sidebar or other noise region."""
    out: list[etree._Element] = []
    stack = [c for c in root if isinstance(c.tag, str)]
    while stack:
        el = stack.pop()
        if _noise(el):
            continue
        if el.tag == tag:
            out.append(el)
        stack.extend(c for c in el if isinstance(c.tag, str))
    return out


def _text_len(el: etree._Element, skip_noise: bool) -> tuple[int, int]:
    """(characters of text, characters inside links) under el, skipping noise subtrees."""
    if (skip_noise and _noise(el)) or not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
        return 0, 0
    own = len((el.text or "").strip())
    total, linked = own, own if el.tag == "a" else 0
    for child in el:
        t, lnk = _text_len(child, skip_noise)
        total += t + len((child.tail or "").strip())
        linked += t if el.tag == "a" else lnk
    return total, linked


def link_density(el: Selector) -> float:
    """Share of an element's text inside links (high for listings, low for articles), not
    counting sidebars and related lists the text block happens to contain."""
    root = el.root
    total, linked = _text_len(root, skip_noise=not _noise(root))
    return linked / total if total else 1.0


def dates_after(sel: Selector, anchor: Selector | None, limit: int = 40) -> tuple[str, Selector] | None:
    """First date-looking short text after the title element (document order), and its element."""
    if anchor is None:
        return None
    count, seen, node = 0, False, anchor.root
    for el in sel.root.iter():
        if el is node:
            seen = True
            continue
        if not seen or not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
            continue
        count += 1
        if count > limit:
            break
        own = " ".join(((el.text or "") + " " + " ".join(
            (c.tail or "") for c in el if isinstance(c.tag, str))).split())
        if own and len(own) <= 120 and DATE_TEXT.search(own):
            return own, Selector(root=el, type="html")
        if el.get("datetime"):
            return el.get("datetime"), Selector(root=el, type="html")
    return None


BREADCRUMBS = (
    "[itemtype*=BreadcrumbList] [itemprop=itemListElement]:last-child [itemprop=name]",
    "ol.breadcrumb li:last-child",
    ".breadcrumb a:last-child",
    ".breadcrumbs a:last-child",
    ".breakcolumn a:last-child",
    "[class*=breadcrumb] a:last-of-type",
)


_BREADCRUMBS = tuple(compile_css(css) for css in BREADCRUMBS)


def breadcrumb_category(sel: Selector | etree._Element) -> str | None:
    """The category an article is filed under: breadcrumb trail, JSON-LD or article:section."""
    root = node(sel)
    for query in _BREADCRUMBS:
        found = query(root)
        text = element_text(found[-1]) if found else ""
        if text and text.lower() not in ("trang chủ", "trang nhất", "home"):
            return text
    ld = json_ld(sel)
    section = ld.get("articleSection")
    if isinstance(section, str):
        return section
    return meta(sel, "article:section")
