"""Links of a navigation page: listing entries (with their listing dates), pagination, the rest.

Family profiles name the listing items and pager; without a profile the same three lists come
from heuristics: pager links by rel/text/URL shape, listing dates from the small box around a
link. Links hidden in `onclick="self.location='…'"` (Liferay VCMS pagers) are read too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector

from vpcrawl.extract.blocks import element_text
from vpcrawl.extract.generic import DATE_TEXT
from vpcrawl.extract.query import Query, compile_css, node
from vpcrawl.sites.base import Family, ListingRules

_ONCLICK = re.compile(r"""(?:self|window|document)?\.?location(?:\.href)?\s*=\s*['"]([^'"]+)['"]""")
PAGER_TEXT = re.compile(r"^(?:»|›|>|>>|»»|trang sau|sau|tiếp|tiếp theo|xem tiếp|next|\d{1,4})\s*[»›>]*$", re.I)
PAGE_PARAM = re.compile(
    r"(?:[?&;][^=&?]*(?:page|pagenum|pagenumber|pageindex|trang|start|_cur|paged)=\d+)"
    r"|(?:/page[-/]\d+/?$)|(?:/trang[-/]\d+(?:\.html?)?/?$)|(?:[?&]p=\d+$)",
    re.I,
)
# What every PAGE_PARAM match holds: a page keyword right before "=<digit>", or "/page" or
# "/trang" (whose letters `re.I` matches in ASCII only, as `str.lower()` folds them). Most
# links hold none, and PAGE_PARAM takes 2-15 µs on them (its `[^=&?]*` backtracks over every
# parameter name of a long portal URL).
_PAGE_KEY = re.compile(r"(?:page|pagenum|pagenumber|pageindex|trang|start|_cur|paged|p)\Z", re.I)
_SCHEMES = ("http", "https")
MAX_ITEM_BOX_CHARS = 600

# `DATE_TEXT.search` tries its five branches at every character: 5-15 µs on a listing entry's
# text. Every match starts at a digit, at "hôm" or "vừa", or at the "ngày" (then whitespace)
# just before a digit, so the search can start where the first of those could begin, which a
# plain character-class scan finds (the letters as `re.I` matches them: see
# tests/test_fast_paths.py), and from there only positions holding a digit, n, h or v are
# tried (a lookahead the matches all pass). Only for the DATE_TEXT these words were read from.
_DATE_TEXT_READ = (
    r"\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}\s+tháng\s+\d{1,2},?\s+\d{4}"
    r"|\b(?:\d+\s+(?:phút|giờ|ngày|tuần|tháng)\s+trước|hôm\s+qua|hôm\s+nay|vừa\s+xong)\b"
)
_DATE_START = re.compile(r"\d|[hH][ôÔ][mM]|[vV][ừỪ][aA]")
_FAST_DATES = DATE_TEXT.pattern == _DATE_TEXT_READ and DATE_TEXT.flags == re.I | re.U
_DATE_SCAN = re.compile(rf"(?=[\dnhv])(?:{DATE_TEXT.pattern})", DATE_TEXT.flags)


def find_date(text: str) -> re.Match[str] | None:
    """`DATE_TEXT.search(text)`, sooner."""
    if not _FAST_DATES:
        return DATE_TEXT.search(text)
    first = _DATE_START.search(text)
    if first is None:
        return None
    start = first.start()
    while start and text[start - 1].isspace():  # `\s` is `str.isspace()`
        start -= 1
    return _DATE_SCAN.search(text, max(0, start - 4))  # (`\b` still sees the text before)


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


class _Base:
    """A page URL, split once for the links of the page: `join` is `urljoin(url, href)`
    without its fragment, None when that is not an http(s) URL."""

    __slots__ = ("scheme", "site", "url")

    def __init__(self, url: str) -> None:
        self.url = url
        self.site: str | None = None  # "scheme://netloc", when root-relative links need only it
        self.scheme = ""
        try:
            parts = urlsplit(url)
        except ValueError:
            return
        if parts.scheme in _SCHEMES and parts.netloc:
            self.scheme = parts.scheme
            self.site = f"{parts.scheme}://{parts.netloc}"

    def join(self, href: str) -> str | None:
        """`urljoin(self.url, href)` up to its fragment, if its scheme is http(s).

        Root-relative (`/path?query`) and absolute `http://` / `https://` links are put
        together the way `urljoin` puts them (whatever its version, their path, query and host
        are kept as written: no `.`/`..` segment, no `;params`, no tab or newline, an ASCII
        host without brackets), and the scheme is known; every other link goes through
        `urljoin` and `urlsplit` (tests/test_fast_paths.py checks both ways agree)."""
        site = self.site
        if site is not None and "\t" not in href and "\n" not in href and "\r" not in href:
            if href[0] == "/":
                if href[1:2] != "/":
                    joined = _put_together(site, href)
                    if joined is not None:
                        return joined
            elif href.startswith(("http://", "https://")):
                scheme, _, rest = href.partition("://")
                end = len(rest)
                for stop in "/?#":
                    at = rest.find(stop)
                    if 0 <= at < end:
                        end = at
                host = rest[:end]
                if host and host.isascii() and "[" not in host and "]" not in host:
                    if scheme != self.scheme:
                        return href.split("#", 1)[0]  # urljoin keeps a link to the other scheme as it is
                    joined = _put_together(f"{scheme}://{host}", rest[end:])
                    if joined is not None:
                        return joined
        url = urljoin(self.url, href).split("#", 1)[0]
        if urlsplit(url).scheme.lower() not in _SCHEMES:
            return None  # mailto:, tel:, file:, data:, ftp: ...
        return url


def _put_together(site: str, ref: str) -> str | None:
    """`site` + a path (empty or from "/") with its query, fragment dropped, as urljoin gives
    it; None when the path needs urljoin's resolution (dot segments, `;params`)."""
    path, _, query = ref.split("#", 1)[0].partition("?")
    if ";" in path or "/." in path:
        return None
    return f"{site}{path}?{query}" if query else site + path


def _target(a: Any, base: _Base) -> str | None:
    """Absolute http(s) URL of an <a> (href, or an onclick location), fragment dropped."""
    if isinstance(a, str):
        return None  # a text or attribute match has no href (a Selector of one: no attributes)
    href = (a.get("href") or "").strip()
    if not href or href.startswith("#") or href.lower().startswith("javascript:"):
        match = _ONCLICK.search(a.get("onclick") or "")
        if not match:
            return None
        href = match.group(1)
    return base.join(href)


def listing_key(url: str) -> str:
    """The listing a page belongs to: its URL without the page number (page budgets count per key)."""
    return PAGE_PARAM.sub("", url).rstrip("?&/")


def _looks_like_pager(a: etree._Element, url: str, text: str) -> bool:
    rel = (a.get("rel") or "").lower()
    if rel in ("next", "prev"):
        return True
    paged = has_page_param(url)
    if text and PAGER_TEXT.match(text) and (paged or rel):
        return True
    return paged and (not text or len(text) <= 12)


def has_page_param(url: str) -> bool:
    """`PAGE_PARAM.search(url)` finds something."""
    low = url.lower()
    if "/page" in low or "/trang" in low:
        return PAGE_PARAM.search(url) is not None
    at = url.find("=")
    while at != -1:
        # `\d` is `str.isdecimal()`; the longest keyword has 10 letters
        if url[at + 1: at + 2].isdecimal() and _PAGE_KEY.search(url, max(0, at - 10), at):
            return PAGE_PARAM.search(url) is not None
        at = url.find("=", at + 1)
    return False


def _item_date(box: Any, queries: Sequence[Query], link_text: str, box_text: str | None = None) -> str | None:
    """The listing date of an entry: the first date-like text of the profile's date elements
    in it, or, with no date selectors, the date-like text of the entry itself (`box_text`,
    when it is known, is that text)."""
    for query in queries:
        for el in query.scan(box):
            text = element_text(el)
            if text and find_date(text):
                return text
    if not queries:
        text = element_text(box) if box_text is None else box_text
        if len(text) <= MAX_ITEM_BOX_CHARS:
            rest = text.replace(link_text, " ") if link_text else text
            m = find_date(rest)
            if m:
                return rest[max(0, m.start() - 12): m.end() + 12].strip()
    return None


_BOX_TAGS = frozenset(("li", "tr", "article", "div", "dd", "td"))


def _generic_box(a: etree._Element, texts: dict[Any, str]) -> tuple[etree._Element, str] | None:
    """The small element around a link that holds its listing entry (li, item div, table row),
    with its text. `texts` keeps the texts of the page's elements already read (links of
    one menu or list share their ancestors)."""
    el = a
    for _ in range(3):
        el = el.getparent()
        if el is None:
            return None
        if el.tag in _BOX_TAGS:
            text = texts.get(el)
            if text is None:
                text = texts[el] = element_text(el)
            if len(text) > MAX_ITEM_BOX_CHARS:
                return None
            if find_date(text):
                return el, text
    return None


class _Rules:
    """A family's listing rules, compiled."""

    __slots__ = ("item", "item_date", "item_link", "next_page")

    def __init__(self, rules: ListingRules) -> None:
        self.item = [compile_css(css) for css in rules.item]
        self.item_link = [compile_css(css) for css in rules.item_link]
        self.item_date = [compile_css(css) for css in rules.item_date]
        self.next_page = [compile_css(css) for css in rules.next_page]


_RULES: dict[int, tuple[ListingRules, _Rules]] = {}
_ANCHORS = compile_css("a[href], a[onclick]")


def _compiled(rules: ListingRules) -> _Rules:
    found = _RULES.get(id(rules))
    if found is None or found[0] is not rules:  # (the rules are held: their id is theirs)
        found = _RULES[id(rules)] = (rules, _Rules(rules))
    return found[1]


def has_listing_items(sel: Selector | etree._Element, family: type[Family], at_least: int = 2) -> bool:
    """The family's listing rules find entries on this page: it is a category page, even
    where its URL has an article's shape (a mojoPortal category slug is a page name like any
    other, e.g. `/cong-tac-van-phong-cap-uy.aspx`)."""
    root = node(sel)
    return any(len(query(root)) >= at_least for query in _compiled(family.listing).item)


def extract_links(sel: Selector | etree._Element, url: str, family: type[Family] | None = None) -> PageLinks:
    root = node(sel)
    base = _Base(url)
    page = PageLinks()
    claimed: set[str] = set()
    if family is not None:
        rules = _compiled(family.listing)
        for query in rules.item:
            for box in query(root):
                a = None
                for link in rules.item_link:
                    a = link.scan_first(box)
                    if a is not None:
                        break
                target = _target(a, base) if a is not None else None
                if not target or target in claimed:
                    continue
                claimed.add(target)
                text = element_text(a)
                page.items.append(Link(target, text, _item_date(box, rules.item_date, text)))
        for query in rules.next_page:
            for a in query(root):
                target = _target(a, base)
                if target and target not in page.next_pages:
                    page.next_pages.append(target)
    texts: dict[Any, str] = {}
    for a in _ANCHORS(root):
        target = _target(a, base)
        if not target or target in claimed:
            continue
        claimed.add(target)
        text = element_text(a)
        if _looks_like_pager(a, target, text):
            if target not in page.next_pages:
                page.next_pages.append(target)
            continue
        text = text or (a.get("title") or "").strip()
        found = _generic_box(a, texts) if len(text.split()) >= 4 else None
        date_raw = _item_date(found[0], (), text, found[1]) if found is not None else None
        link = Link(target, text, date_raw)
        (page.items if date_raw else page.links).append(link)
    return page
