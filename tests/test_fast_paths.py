"""The per-page fast paths give exactly what the plain code they replace gives.

Compiled selector queries (split at the leftmost compound, per-page memo, class/id index)
against parsel's `Selector.css` on every fixture page; the legacy-font pre-check against
lowering the page; the batched `clean_texts` against `clean_text`; the schema's compiled
test against its full check.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from parsel import Selector

from tests.conftest import mirror_portals
from vpcrawl.extract import article, generic, query
from vpcrawl.extract.page import _mentions_legacy_font
from vpcrawl.schema import SCHEMA, compile_schema, compile_test
from vpcrawl.sites import FAMILIES
from vpcrawl.text.normalize import clean_text, clean_texts

ATTRS = ("signature", "title", "summary", "body", "date", "byline", "category", "tags", "attachments",
         "captions", "lead_image", "body_exclude")


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
