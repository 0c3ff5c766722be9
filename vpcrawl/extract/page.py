"""Decide what a fetched page is (article or navigation) and read its article. Pure.

The spider counts the outcome; tests and `vpcrawl extract` call the same function, so a
fixture page is judged exactly as it is in a crawl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsel import Selector

from vpcrawl.extract.article import RawArticle, extract_generic, extract_with_family, has_signature
from vpcrawl.extract.generic import is_article_by_metadata
from vpcrawl.extract.listing import has_listing_items
from vpcrawl.sites.base import Family

# Pages that are never articles on any portal: introduction, contact, search, calendars,
# document registers, login, feeds, print views, tag pages and binary files.
NON_ARTICLE = re.compile(
    r"/(?:gioi-thieu(?:-chung)?|lien-he|contact|tim-kiem|search|lich-cong-tac|lich-lam-viec|calendar"
    r"|van-ban|he-thong-van-ban|vanban|login|dang-nhap|dang-ky|sitemap|rss|feed|print|in-bai"
    r"|so-do-(?:trang|cong)|hoi-dap|thu-vien-anh|albums?|tag|tags)(?:\.(?:html?|aspx|php|jsp))?(?:[/?]|$)"
    r"|[?&](?:print=1|view=print|op=print|task=print|format=feed)"
    r"|\.(?:pdf|docx?|xlsx?|pptx?|zip|rar|jpe?g|png|gif|webp|mp[34]|avi|css|js|xml|ico)(?:$|\?)",
    re.I,
)


_END_OF_PAGE_TEXT = re.compile(r"</(?:html|body)\s*>", re.I)


_FONT_DECL = re.compile(r"(?:font-family\s*:|face\s*=)\s*([^;>}]{1,200})", re.I)


# `.vn` then a letter, `vni` or `viscii` in any case, found in the text itself: lowering a whole
# page first costs more than the rest of the check. Case-insensitive on the lowered text means
# exactly this: only V/v lower to v, N/n to n, S/s to s, C/c to c, and I/i and İ to a string
# starting with i (İ to i + U+0307, so İ can only be a final i); a character is a letter exactly
# when the first character of its lower case is.
_DOT_VN = re.compile(r"\.[vV][nN]")
_VNI_LOWER = re.compile("v(?:[nN][iI\u0130]|[iI][sS][cC][iI][iI\u0130])")
_VNI_UPPER = re.compile("V(?:[nN][iI\u0130]|[iI][sS][cC][iI][iI\u0130])")


def _mentions_legacy_font(text: str) -> bool:
    """Cheap pre-check: `.vn` followed by a letter (`.vntime`), `vni` or `viscii` somewhere,
    in any case."""
    for m in _DOT_VN.finditer(text):
        if text[m.end() : m.end() + 1].isalpha():
            return True
    return _VNI_LOWER.search(text) is not None or _VNI_UPPER.search(text) is not None


def legacy_font_hint(html: str) -> str | None:
    """The font names a page declares (CSS `font-family`, `<font face>`) when one of them is a
    legacy Vietnamese font (`.VnTime`, `VNI-Times`, VISCII): its text is then probably in that
    font's encoding (TCVN3, VNI), not Unicode. Host names such as `.vnpt…` are not fonts."""
    from vpcrawl.text.legacy import font_hint_encoding

    head = html[:200_000]
    if not _mentions_legacy_font(head):
        return None
    declared = " ".join(m.group(1) for m in _FONT_DECL.finditer(head))
    return declared if font_hint_encoding(declared)[0] else None


def looks_truncated(html: str) -> bool:
    """The page stops before its end (no closing </body>/</html> near the end of the text).

    A truncated article would otherwise yield a plausible item with half its body; every
    CMS we know closes its pages, so a missing end tag is a truncation, not a style.
    """
    return _END_OF_PAGE_TEXT.search(html[-4096:]) is None


@dataclass
class PageResult:
    raw: RawArticle | None
    # article | generic_fallback | failed | truncated | navigation | non_article_url | not_article
    outcome: str


def url_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_non_article_url(url: str, family: type[Family] | None = None) -> bool:
    path = url_path(url)
    return bool(NON_ARTICLE.search(path)) or bool(family and family.is_non_article_url(path))


def read_page(
    sel: Selector,
    url: str,
    family: type[Family] | None = None,
    family_fixed: bool = False,
    candidate: bool = False,
    truncated: bool = False,
) -> PageResult:
    """The article on a page, or why there is none.

    With a family: its layouts first; an article-looking page the profile cannot read gets
    generic heuristics (a layout change must not lose articles) and is counted as failed only
    when those fail too. Without one (zero-config), an article needs a title, a body that is
    not mostly links, a date, and no metadata saying it is something else.
    """
    if is_non_article_url(url, family):
        return PageResult(None, "non_article_url")
    if truncated:
        return PageResult(None, "truncated")
    if family is not None:
        raw = extract_with_family(sel, url, family)
        if raw is not None:
            return PageResult(raw, "article")
        signature = has_signature(sel, family)
        article_url = family.is_article_url(url_path(url))
        if article_url or signature:
            raw = extract_generic(sel, url)
            # the same evidence zero-config demands: a date, and no metadata saying "not an
            # article" (a CMS error page at an article URL has a title and text, but no date)
            if raw is not None and raw.date_candidates and is_article_by_metadata(sel) is not False:
                return PageResult(raw, "generic_fallback")
            # counted as a failure only where an article was expected (URL shape, listing
            # entry) and the page is not one of the family's listings
            if (article_url or candidate) and (signature or not has_listing_items(sel, family)):
                return PageResult(None, "failed")
            return PageResult(None, "navigation")
        if family_fixed:
            return PageResult(None, "navigation")
    raw = extract_generic(sel, url)
    if raw is None or is_article_by_metadata(sel) is False or not raw.date_candidates:
        return PageResult(None, "not_article" if candidate else "navigation")
    return PageResult(raw, "article")
