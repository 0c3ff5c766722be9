"""The page tree vpcrawl builds (plain lxml elements) is the tree parsel builds."""

from __future__ import annotations

import pytest
from lxml import etree
from parsel import Selector

from tests.test_fast_paths import SELECTORS, _pages
from vpcrawl.extract import query
from vpcrawl.extract.tree import build_root, html_selector

PAGES = _pages()


def _serialized(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", method="html")


def test_every_fixture_page_parses_to_parsels_tree() -> None:
    assert len(PAGES) > 100
    for name, html in PAGES:
        ours, theirs = build_root(html), Selector(text=html).root
        assert _serialized(ours) == _serialized(theirs), name
        assert not isinstance(ours, etree.ElementBase)  # no Python element-class lookup


@pytest.mark.parametrize("html", ["", "   \n ", "\x00", "<p>a\x00b</p>", "plain text, no markup",
                                  "\ufeff<html><body><p>BOM</p></body></html>"])
def test_edge_documents_parse_as_parsel_parses_them(html: str) -> None:
    assert _serialized(build_root(html)) == _serialized(Selector(text=html).root)


def test_selector_answers_css_and_xpath_like_parsels() -> None:
    for name, html in PAGES[::7]:
        ours, theirs = html_selector(html, base_url="http://x.vn/"), Selector(text=html, base_url="http://x.vn/")
        for css in SELECTORS[::3]:
            assert ours.css(css).getall() == theirs.css(css).getall(), (name, css)
            compiled = query.compile_css(css)
            assert [_serialized(e) if not isinstance(e, str) else e for e in compiled(ours.root)] == \
                [_serialized(e) if not isinstance(e, str) else e for e in compiled(theirs.root)], (name, css)
        assert ours.xpath("//a/@href").getall() == theirs.xpath("//a/@href").getall()
