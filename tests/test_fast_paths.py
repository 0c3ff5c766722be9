"""The per-page fast paths give exactly what the plain code they replace gives.

Compiled selector queries (split at the leftmost compound, per-page memo, class/id index,
tag scans, Python matching under small elements) against parsel's `Selector.css` on every
fixture page; the listing's URL joining, date search and page-parameter test against
`urljoin`, `DATE_TEXT` and `PAGE_PARAM`; the legacy-font pre-check against lowering the page;
the batched `clean_texts` against `clean_text`; the schema's compiled test against its full
check.
"""

from __future__ import annotations

import copy
import random
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector

from tests.conftest import mirror_portals
from vpcrawl.extract import article, generic, listing, query
from vpcrawl.extract.page import _mentions_legacy_font
from vpcrawl.schema import SCHEMA, compile_schema, compile_test
from vpcrawl.sites import FAMILIES
from vpcrawl.text.normalize import clean_text, clean_texts

ATTRS = ("signature", "title", "summary", "body", "date", "byline", "category", "tags", "attachments",
         "captions", "lead_image", "body_exclude")
LISTING_ATTRS = ("item", "item_link", "item_date", "next_page")
# what extract_links and canonical_url run on a page root
PAGE_LISTING_SELECTORS = sorted(
    {css for family in FAMILIES.values() for attr in ("item", "next_page") for css in getattr(family.listing, attr)}
    | {listing._ANCHORS.css, "link[rel=canonical]::attr(href)"}
)
# what extract_links runs under a listing entry, and a few shapes the Python matching reads
ENTRY_SELECTORS = sorted(
    {css for family in FAMILIES.values() for attr in ("item_link", "item_date") for css in getattr(family.listing, attr)}
    | {"a[href], a[onclick]", "li a", "div > a[href]", "ul > li a.x[href]", "* a", "div *", "[href]", "#x",
       "a#x[title=Next]", "span.a.b", "li:first-child", "a[href$='.pdf']", "a::attr(href)", "h3 a::attr(href)",
       "div.a > p, span", "p ~ p"}
)


def _selectors() -> list[str]:
    found: set[str] = set()
    for family in FAMILIES.values():
        for layout in family.layouts:
            for attr in ATTRS:
                selectors = tuple(getattr(layout, attr))
                found.update(selectors)
                if selectors:
                    found.add(", ".join(selectors))  # the unions extraction runs
    found.update(article.GLOBAL_BODY_EXCLUDE)
    found.update(article.LEAD_SELECTORS)
    found.update(generic.BREADCRUMBS)
    found.update({"[datetime]::attr(datetime)", "a[href]", "h1", "div + p", "p ~ p", "li:first-child",
                  "div > p:last-of-type", "*.x", "div.a.b", "#x p"})
    found.update(PAGE_LISTING_SELECTORS)
    return sorted(found)


SELECTORS = _selectors()
# what extraction runs under an element (a body, a lead box, a date element), and a few shapes
SUBTREE_SELECTORS = sorted(
    {css for family in FAMILIES.values() for layout in family.layouts
     for attr in ("captions", "body_exclude") for css in (*getattr(layout, attr), ", ".join(getattr(layout, attr)))
     if css}
    | {*article.GLOBAL_BODY_EXCLUDE, ", ".join(article.GLOBAL_BODY_EXCLUDE), *article.LEAD_SELECTORS,
       "a[href]", "[datetime]::attr(datetime)", "form[role=search]", "h1", "p ~ p", "div > p:last-of-type"}
)


def _pages() -> list[tuple[str, str]]:
    """Every HTML page of the fixture portals (articles, listings, traps), as the spider reads it."""
    from vpcrawl.mirror import content_type_for

    out = []
    for portal in mirror_portals():
        for f in sorted(portal.www.rglob("*")):
            if not f.is_file() or f.name.endswith(".json"):
                continue
            path = "/" + str(f.relative_to(portal.www)).replace("@", "?")
            if "html" in content_type_for(path, f):
                out.append((f"{portal.id}{path}", portal.html(path)))
    return out


def _same(got: list[Any], want: list[Any]) -> bool:
    return len(got) == len(want) and all(a is b or (isinstance(a, str) and a == b) for a, b in zip(got, want, strict=True))


@pytest.mark.parametrize(("name", "html"), _pages(), ids=lambda v: v if isinstance(v, str) and len(v) < 90 else "")
def test_queries_match_parsel(name: str, html: str) -> None:
    sel = Selector(text=html)
    root = sel.root
    want = {css: [s.root for s in sel.css(css)] for css in SELECTORS}
    for css in SELECTORS:  # on the page root: split, memo and index
        q = query.compile_css(css)
        assert _same(q(root), want[css]), (name, css)
        first = q.first(root)
        assert (first is None) if not want[css] else (first is want[css][0] or first == want[css][0]), (name, css)
    # metadata dates: one attribute walk instead of a predicate on every element
    assert generic._DATE_PUBLISHED(root) == sel.xpath(
        "//*[@itemprop='datePublished']/@datetime | //time[@datetime]/@datetime").getall(), name
    # under elements of the same page (the index is built now): the containers profiles take
    # for a body, and a few others
    bodies = {id(el): el for family in FAMILIES.values() for layout in family.layouts
              for css in layout.body for el in want.get(css, ())}
    others = [el for el in root.iter("div", "td", "article", "section", "ul") if len(el)]
    contexts = [*bodies.values(), *others[:: max(1, len(others) // 4)][:4]]
    for el in contexts:
        sub = Selector(root=el, type="html")
        for css in SUBTREE_SELECTORS:
            q = query.compile_css(css)
            expected = [s.root for s in sub.css(css)]
            assert _same(q(el), expected), (name, css, el.tag, el.get("class"))
            first = q.first(el)
            assert (first is None) if not expected else (first is expected[0] or first == expected[0]), (name, css)


@pytest.mark.parametrize(("name", "html"), _pages(), ids=lambda v: v if isinstance(v, str) and len(v) < 90 else "")
def test_listing_queries_match_parsel(name: str, html: str) -> None:
    """Under the listing entries every family's item selectors find on the page (and a few
    other elements), calling a query and scanning the element in Python both give what
    parsel gives."""
    sel = Selector(text=html)
    root = sel.root
    entries = {id(s.root): s for family in FAMILIES.values() for css in family.listing.item for s in sel.css(css)}
    others = [el for el in root.iter("li", "div", "td", "tr", "ul") if len(el)]
    contexts = [*entries.values(), *(Selector(root=el, type="html") for el in others[:: max(1, len(others) // 6)][:6]),
                sel]
    for sub in contexts:
        el = sub.root
        for css in ENTRY_SELECTORS:
            q = query.compile_css(css)
            got = sub.css(css)
            expected = [s.root for s in got]
            first = expected[0] if expected else None
            for found in (q(el), q.scan(el)):
                assert _same(found, expected), (name, css, el.tag, el.get("class"))
            for found in (q.first(el), q.scan_first(el)):
                assert (found is None) if first is None else (found is first or found == first), (name, css)


def _link_target(base: str, href: str) -> str | None:
    """What `listing._Base.join` replaces (link_target before it)."""
    url = urljoin(base, href).split("#", 1)[0]
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    return url


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ValueError as exc:  # urlsplit: invalid IPv6 host
        return ("ValueError", str(exc))


def test_link_join_is_urljoin() -> None:
    bases = ["http://h.vn/a/b?x=1", "https://h.vn/", "http://h.vn", "HTTP://H.vn/x/", "http://[::1]/a",
             "http://h.vn/a;p?q#f", "ftp://h/x", "", "http:///x", "http://u@h.vn:80/p", "http://h.vn/a/./b/../c",
             "http://hà.vn/x", "https://h.vn/p?page=2#top", "mailto:x@h.vn", "http://h.vn\t/x", "//h.vn/x",
             "http://127.0.0.1:8000/news/tin/page-2"]
    pieces = ["/", "//", "http://", "https://", "HTTP://", "Https://", "ftp://", "mailto:", "javascript:", "a", "b.htm",
              "é", ".", "..", "./", "../", "?", "#", ";", ":", "@", "[", "]", "[::1]", "%20", " ", "\t", "\n", "\r",
              "\x00", "=", "&", "h.vn", "hà.vn", "1", "p=2", "x.aspx?", "\\"]
    rng = random.Random(7)
    hrefs = [*pieces, "/a/b", "/a/../b", "/a/./b", "/a;x", "/a?b#c", "/?", "/#", "http://h.vn", "http://h.vn?",
             "https://h.vn/a?b=1#x", "http://h.vn/a/../b", "http://[::1", "http://x]/", "http:///a", "http://h.vn;x/a"]
    for _ in range(20_000):
        hrefs.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))))
    for base in bases:
        page = listing._Base(base)
        for href in hrefs:
            if not href:
                continue
            assert _outcome(page.join, href) == _outcome(_link_target, base, href), (base, href)


def _every_char() -> str:
    return "".join(map(chr, range(0x110000)))


def _matched(pattern: str, chars: str, flags: int = 0) -> set[str]:
    return {m.group() for m in re.finditer(pattern, chars, flags)}


def test_date_and_page_hints_read_the_letters_as_re_does() -> None:
    """The character classes the listing's fast paths use are what `re.I` and `\\s`, `\\d` match."""
    chars = _every_char()
    assert _matched(r"\s", chars) == {c for c in chars if c.isspace()}
    assert _matched(r"\d", chars) == {c for c in chars if c.isdecimal()}
    for pattern, letters in ((r"\d|[hH][ôÔ][mM]|[vV][ừỪ][aA]", "hômvừa"),):
        assert pattern == listing._DATE_START.pattern
        for letter in letters:
            case_sensitive = re.search(rf"\[[^]]*{letter}[^]]*\]", pattern)
            assert case_sensitive is not None
            assert _matched(case_sensitive.group(), chars) == _matched(letter, chars, re.I), letter
    for letter in "nhv":  # the lookahead of the date scan
        assert _matched(f"[{letter}]", chars, re.I) == _matched(letter, chars, re.I)
    for letter in "pagetrn":  # "/page", "/trang" found in `url.lower()`
        assert {c.lower() for c in _matched(letter, chars, re.I)} == {letter}
    assert listing._FAST_DATES  # DATE_TEXT is the one the fast search was written for


def test_find_date_is_date_text_search() -> None:
    pieces = ["1", "12", "2023", "٣", "/", ".", "-", " ", "  ", "\xa0", "\u2003", "\n", ",", "ngày", "NGÀY", "Ngày",
              "tháng", "THÁNG", "năm", "hôm", "HÔM", "vừa", "VỪA", "xong", "qua", "nay", "phút", "giờ", "tuần",
              "trước", "a", "Hội nghị", "x", "h", "v", "n", "ô", "_"]
    rng = random.Random(11)
    texts = ["", "12/03/2021", "ngày 5 tháng 3 năm 2020", "hôm qua", "3 giờ trước", "2020-01-02", "x ngày  1/2/2020"]
    for _ in range(40_000):
        texts.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
    for text in texts:
        want = generic.DATE_TEXT.search(text)
        got = listing.find_date(text)
        assert (got and (got.span(), got.group())) == (want and (want.span(), want.group())), repr(text)


def test_page_param_test_is_page_param_search() -> None:
    pieces = ["page", "PAGE", "Page", "pagenum", "pagenumber", "pageindex", "pageİndex", "trang", "TRANG", "start",
              "ſtart", "_cur", "paged", "p", "P", "=", "&", "?", ";", "/", "-", ".html", ".htm", "1", "23", "٣", "\n",
              "x", "a", "_", "#", "http://h.vn", "/page-", "/trang/"]
    rng = random.Random(5)
    urls = ["http://h.vn/page/2", "http://h.vn/trang-3.html", "http://h.vn/?p=2", "http://h.vn/x?pageindex=3&a=b",
            "http://h.vn/x;jsessionid?a=1&_cur=2", "http://h.vn/x?ab_start=5"]
    for _ in range(40_000):
        urls.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))))
    for url in urls:
        assert listing.has_page_param(url) == (listing.PAGE_PARAM.search(url) is not None), repr(url)


def test_legacy_font_precheck_is_lowering_the_page() -> None:
    def lowered(text: str) -> bool:
        low = text.lower()
        if "vni" in low or "viscii" in low:
            return True
        i = low.find(".vn")
        while i != -1:
            if low[i + 3 : i + 4].isalpha():
                return True
            i = low.find(".vn", i + 3)
        return False

    rng = random.Random(1)
    alphabet = list(".vVnNiIsScCx1 ạ-\u0130\u0307ẞ")
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        assert _mentions_legacy_font(text) == lowered(text), repr(text)


def test_clean_texts_is_clean_text_of_each() -> None:
    rng = random.Random(3)
    alphabet = [*"ab ạễ&;\r\n\t\u00a0\u0301\u00ad .Ð", "&amp;", "&x", "&#1", "&lt;", "e\u0301", "\u0301x",
                "&#x41;", "  ", "\n\n\n"]
    for _ in range(30_000):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(0, 4))]
        assert clean_texts(texts) == [clean_text(t) for t in texts], texts


def test_compiled_schema_test_agrees_with_the_check() -> None:
    from tests.test_schema import BAD_CASES, good, sample_items

    check = compile_schema(SCHEMA)
    test = compile_test(SCHEMA)
    cases = [good(), *sample_items()]
    for field, value, _ in BAD_CASES:
        item = good()
        item[field] = value
        cases.append(item)
    values = [None, "", "x", 1, 1.5, 2.0, True, [], {}, ["a"], [{}], [{"url": ""}], [{"url": "u", "caption": 1}],
              "2021-01-01T00:00:00+07:00", "0123456789abcdef"]
    for field in SCHEMA["properties"]:
        for value in values:
            item = good()
            item[field] = copy.deepcopy(value)
            cases.append(item)
        item = good()
        del item[field]
        cases.append(item)
    cases.append({**good(), "unexpected": 1})
    for item in cases:
        problems: list[str] = []
        check(item, "", problems)
        assert test(item) == (not problems), (item, problems)


def test_published_stamps_xpath_is_the_union() -> None:
    html = ('<html><body><time datetime="a">x</time><span itemprop="datePublished" datetime="b"></span>'
            '<time itemprop="datePublished" datetime="c"></time><div datetime="d"></div>'
            '<p itemprop="datePublished">no</p><div><time datetime="e"></time></div></body></html>')
    sel = Selector(text=html)
    union = sel.xpath("//*[@itemprop='datePublished']/@datetime | //time[@datetime]/@datetime").getall()
    assert generic._DATE_PUBLISHED(sel.root) == union == ["a", "b", "c", "e"]
