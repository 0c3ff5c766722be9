"""vpcrawl's middlewares: MetaRefreshMiddleware redirects exactly where Scrapy's does and decodes
no page that cannot redirect; both it and ListingDepthMiddleware replace Scrapy's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from tests.conftest import FIXTURES
from vpcrawl.middlewares import MetaRefreshMiddleware, writes_ascii_as_ascii
from vpcrawl.mirror import content_type_for

URL = "http://tinhuy.example.dcs.vn/a/b.html"
REFRESH = '<meta http-equiv="Refresh" content="0; url=/portal/home.html">'


def _pages() -> Iterator[tuple[str, bytes, str]]:
    """Every stored HTML page of the fixtures, with the Content-Type the mirror serves."""
    for page in sorted(FIXTURES.glob("*/www/**/*")):
        if page.is_file() and not page.name.endswith(".json"):
            ctype = content_type_for(page.name, page)
            if "html" in ctype:
                yield str(page.relative_to(FIXTURES)), page.read_bytes(), ctype


def _pair(**settings: Any) -> tuple[MetaRefreshMiddleware, ScrapyMetaRefresh]:
    crawler = get_crawler(Spider, settings)
    return MetaRefreshMiddleware.from_crawler(crawler), ScrapyMetaRefresh.from_crawler(crawler)


def _outcome(mw: Any, body: bytes, ctype: str = "text/html; charset=utf-8") -> Any:
    response = HtmlResponse(URL, body=body, headers={"Content-Type": ctype}, request=Request(URL))
    out = mw.process_response(Request(URL), response)
    return ("redirect", out.url) if isinstance(out, Request) else ("page", out is response)


def _head(prefix: str, encoding: str = "utf-8") -> bytes:
    return f"<html><head>{prefix}{REFRESH}</head><body>x</body></html>".encode(encoding)


SYNTHETIC = {
    "refresh in the head": (_head(""), "text/html; charset=utf-8"),
    "refresh after 5,000 characters (Scrapy looks at 4,096)": (_head("a" * 5000), "text/html; charset=utf-8"),
    # 3,000 three-byte characters: within 4,096 characters, far beyond 4,096 bytes
    "refresh at character 3,000, byte 9,000": (_head("<title>" + "ệ" * 3000 + "</title>"),
                                               "text/html; charset=utf-8"),
    "UTF-16 page": ("\ufeff".encode("utf-16-le") + _head("", "utf-16-le"), "text/html"),
    "UTF-16 declared in the header": (_head("", "utf-16-le"), "text/html; charset=utf-16-le"),
    "windows-1258 page": (_head("<title>H\u00e0 N\u00f4\u0323i</title>", "cp1258"), "text/html; charset=windows-1258"),
    "the word in a script, no meta": (b"<html><head><script>x.refresh()</script></head></html>",
                                      "text/html; charset=utf-8"),
    "charset only in the page": (b'<html><head><meta charset="utf-8">' + REFRESH.encode() + b"</head></html>",
                                 "text/html"),
    "no refresh at all": (b"<html><head><title>t</title></head><body>" + b"p" * 50000 + b"</body></html>",
                          "text/html; charset=utf-8"),
}


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_outcome_as_scrapy_on_edge_pages(name: str) -> None:
    ours, scrapys = _pair()
    body, ctype = SYNTHETIC[name]
    assert _outcome(ours, body, ctype) == _outcome(scrapys, body, ctype)


def test_the_edge_pages_do_redirect_where_they_should() -> None:
    """The comparison above is not vacuous: these redirect, in both middlewares."""
    ours, _ = _pair()
    for name in ("refresh in the head", "refresh at character 3,000, byte 9,000", "UTF-16 page",
                 "windows-1258 page", "charset only in the page"):
        body, ctype = SYNTHETIC[name]
        assert _outcome(ours, body, ctype) == ("redirect", "http://tinhuy.example.dcs.vn/portal/home.html"), name


def test_same_outcome_as_scrapy_on_every_fixture_page() -> None:
    ours, scrapys = _pair()
    pages = list(_pages())
    assert len(pages) > 200
    for name, body, ctype in pages:
        assert _outcome(ours, body, ctype) == _outcome(scrapys, body, ctype), name


def test_a_page_without_the_word_is_not_decoded() -> None:
    ours, _ = _pair()
    body, ctype = SYNTHETIC["no refresh at all"]
    response = HtmlResponse(URL, body=body, headers={"Content-Type": ctype}, request=Request(URL))
    assert ours.process_response(Request(URL), response) is response
    assert response._cached_ubody is None, "the body was decoded"


def test_scrapy_settings_still_apply() -> None:
    with pytest.raises(NotConfigured):
        _pair(METAREFRESH_ENABLED=False)
    ours, _ = _pair(METAREFRESH_MAXDELAY=0)  # a refresh of 0 s is not < 0: not followed
    assert _outcome(ours, _head("")) == ("page", True)


@pytest.mark.parametrize(("setting", "ours", "scrapys"), [
    ("DOWNLOADER_MIDDLEWARES", "vpcrawl.middlewares.MetaRefreshMiddleware", "redirect.MetaRefreshMiddleware"),
    ("SPIDER_MIDDLEWARES", "vpcrawl.middlewares.ListingDepthMiddleware", "depth.DepthMiddleware"),
])
def test_project_settings_replace_scrapys_middleware(setting: str, ours: str, scrapys: str) -> None:
    from scrapy.settings import Settings
    from scrapy.utils.conf import build_component_list

    import vpcrawl.settings

    settings = Settings()
    settings.setmodule(vpcrawl.settings, priority="project")
    chain = build_component_list(settings.getwithbase(setting))
    assert ours in chain
    assert not any(str(c).endswith(scrapys) for c in chain)


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", True), ("cp1258", True), ("latin-1", True), ("gb18030", True),
    ("utf-16", False), ("utf-16-be", False), ("utf-32", False), ("cp500", False), ("utf-7", False),
    ("no-such-codec", False),
])
def test_writes_ascii_as_ascii(encoding: str, expected: bool) -> None:
    assert writes_ascii_as_ascii(encoding) is expected
