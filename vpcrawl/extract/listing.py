"""Links of a navigation page: listing entries (with their listing dates), pagination, the rest.

Family profiles name the listing items and pager; without a profile the same three lists come
from heuristics: pager links by rel/text/URL shape, listing dates from the small box around a
link. Links hidden in `onclick="self.location='…'"` (Liferay VCMS pagers) are read too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from vpcrawl.extract.blocks import element_text
from vpcrawl.extract.generic import DATE_TEXT
from vpcrawl.sites.base import Family

_ONCLICK = re.compile(r"""(?:self|window|document)?\.?location(?:\.href)?\s*=\s*['"]([^'"]+)['"]""")
PAGER_TEXT = re.compile(r"^(?:»|›|>|>>|»»|trang sau|sau|tiếp|tiếp theo|xem tiếp|next|\d{1,4})\s*[»›>]*$", re.I)
PAGE_PARAM = re.compile(
    r"(?:[?&;][^=&?]*(?:page|pagenum|pagenumber|pageindex|trang|start|_cur|paged)=\d+)"
    r"|(?:/page[-/]\d+/?$)|(?:/trang[-/]\d+(?:\.html?)?/?$)|(?:[?&]p=\d+$)",
    re.I,
)
_SCHEMES = ("http", "https")
MAX_ITEM_BOX_CHARS = 600


@dataclass
class Link:
    url: str
    text: str = ""
    date_raw: str | None = None


@dataclass
class PageLinks:
    items: list[Link] = field(default_factory=list)  # listing entries: article candidates
    next_pages: list[str] = field(default_factory=list)  # pagination of this listing
    links: list[Link] = field(default_factory=list)  # every other link on the page


def link_target(a: Selector, base_url: str) -> str | None:
    """Absolute http(s) URL of an <a> (href, or an onclick location), fragment dropped."""
    href = (a.attrib.get("href") or "").strip()
    if not href or href.startswith("#") or href.lower().startswith("javascript:"):
        match = _ONCLICK.search(a.attrib.get("onclick") or "")
        if not match:
            return None
        href = match.group(1)
    url = urljoin(base_url, href).split("#", 1)[0]
    if urlsplit(url).scheme.lower() not in _SCHEMES:
        return None  # mailto:, tel:, file:, data:, ftp: ...
    return url


def listing_key(url: str) -> str:
    """The listing a page belongs to: its URL without the page number (page budgets count per key)."""
    return PAGE_PARAM.sub("", url).rstrip("?&/")


def looks_like_pager(a: Selector, url: str) -> bool:
    rel = (a.attrib.get("rel") or "").lower()
    if rel in ("next", "prev"):
        return True
    text = element_text(a)
    if text and PAGER_TEXT.match(text) and (PAGE_PARAM.search(url) or rel):
        return True
    return bool(PAGE_PARAM.search(url)) and (not text or len(text) <= 12)


def _item_date(box: Selector, selectors: tuple[str, ...] | list[str], link_text: str) -> str | None:
    for css in selectors:
        for el in box.css(css):
            text = element_text(el)
            if text and DATE_TEXT.search(text):
                return text
    if not selectors:
        text = element_text(box)
        if len(text) <= MAX_ITEM_BOX_CHARS:
            rest = text.replace(link_text, " ") if link_text else text
            m = DATE_TEXT.search(rest)
            if m:
                return rest[max(0, m.start() - 12): m.end() + 12].strip()
    return None


def _generic_box(a: Selector) -> Selector | None:
    """The small element around a link that holds its listing entry (li, item div, table row)."""
    node = a
    for _ in range(3):
        parent = node.xpath("..")
        if not parent:
            return None
        node = parent[0]
        if node.root.tag in ("li", "tr", "article", "div", "dd", "td"):
            text = element_text(node)
            if len(text) > MAX_ITEM_BOX_CHARS:
                return None
            if DATE_TEXT.search(text):
                return node
    return None


def extract_links(sel: Selector, url: str, family: type[Family] | None = None) -> PageLinks:
    page = PageLinks()
    claimed: set[str] = set()
    if family is not None:
        rules = family.listing
        for css in rules.item:
            for box in sel.css(css):
                a = next((x for c in rules.item_link for x in box.css(c)), None)
                target = link_target(a, url) if a is not None else None
                if not target or target in claimed:
                    continue
                claimed.add(target)
                text = element_text(a)
                page.items.append(Link(target, text, _item_date(box, rules.item_date, text)))
        for css in rules.next_page:
            for a in sel.css(css):
                target = link_target(a, url)
                if target and target not in page.next_pages:
                    page.next_pages.append(target)
    for a in sel.css("a[href], a[onclick]"):
        target = link_target(a, url)
        if not target or target in claimed:
            continue
        claimed.add(target)
        if looks_like_pager(a, target):
            if target not in page.next_pages:
                page.next_pages.append(target)
            continue
        text = element_text(a) or (a.attrib.get("title") or "").strip()
        box = _generic_box(a) if len(text.split()) >= 4 else None
        date_raw = _item_date(box, (), text) if box is not None else None
        link = Link(target, text, date_raw)
        (page.items if date_raw else page.links).append(link)
    return page
