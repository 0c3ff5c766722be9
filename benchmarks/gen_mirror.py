"""Generate a synthetic portal mirror for the crawl benchmark, and serve it without nginx.

The pages are the real fixture pages of three profiled portals used as templates
(NukeViet: tinhuy-binhphuoc, mojoPortal: tinhuy-bentre, 3CMS: vptu-haiduong): their markup,
menus, sidebars and footers are kept; titles, leads, dates, ids, bylines and bodies are
replaced, bodies are padded with real Vietnamese sentences from the fixtures and test data
(recombined, numbers varied, so no two articles are identical; 2% are near-copies of an
earlier article, as syndicated press releases are) until the page weighs 30-60 KB. Each
portal gets a home page, category listings with pagination (<= 10 pages each, 20 items a
page) and its share of the articles, in its own directory; `manifest.json` maps every URL to
its file.

Only pages the vpcrawl spider and the bare spider both fetch are linked: template links to
pages outside the mirror (contact, tags, print views, RSS) point to `/` instead, and the RSS
`<link>` is dropped, so both crawls fetch exactly the same URLs.

    python benchmarks/gen_mirror.py OUT_DIR [--pages 2000] [--families nukeviet,mojoportal,3cms]
    python benchmarks/gen_mirror.py OUT_DIR --serve     # threaded server on free ports (no nginx)
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import math
import random
import re
import sys
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
VN = timezone(timedelta(hours=7))
PER_PAGE = 20
MAX_LISTING_PAGES = 10  # per category: keeps every listing page within 2 hops of the home page
SIDEBAR_ITEMS = 10
PAGE_KB = (30, 60)
NEAR_COPY_SHARE = 0.02
PH = "bench-ph"  # marker element replaced by a @@NAME@@ placeholder after serialisation

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
CATEGORY_NAMES = (
    "Tin hoạt động", "Xây dựng Đảng", "Kiểm tra - Giám sát", "Dân vận", "Tuyên giáo",
    "Tổ chức - Cán bộ", "Nội chính", "Công tác văn phòng cấp ủy", "Học tập và làm theo Bác",
    "Chuyển đổi số", "Kinh tế - Xã hội", "Quốc phòng - An ninh", "Văn hóa - Xã hội",
    "Đối ngoại", "Mặt trận và đoàn thể", "Tin địa phương",
)


def weekday(d: datetime, lower: bool = False) -> str:
    name = WEEKDAYS[d.weekday()]
    return name[:4] + name[4:].lower() if lower else name


def _letters(n: int) -> str:
    """1 -> B, 25 -> Z, 26 -> BA: a number spelled in letters."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(ord("A") + r) + out
        if n == 0:
            return out


def slugify(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def file_for(url: str) -> str:
    """The file (relative to a portal's www/) serving a path+query, as vpcrawl.mirror stores it."""
    path, _, query = url.partition("?")
    if path.endswith("/"):
        path += "index.html"
    rel = path.lstrip("/")
    return f"{rel}@{query.replace('/', '%2F')}" if query else rel


# --- family profiles: which template pages, where their parts are, what URLs look like ----


@dataclass
class Spec:
    key: str  # family name (vpcrawl profile)
    site: str  # portal id (vpcrawl registry and fixtures/)
    article: str  # template article URL path
    listing: str  # template listing (page 1) URL path
    categories: tuple[tuple[str, str], ...]  # the fixture's (listing URL, name)
    body_xpath: str
    items_xpath: str  # listing entries on the listing template
    pager_xpath: str
    menu_xpaths: tuple[str, ...]  # '{url}' = a fixture category URL; the element is cloned per category
    sidebar_xpaths: tuple[str, ...]  # list entries padded to SIDEBAR_ITEMS
    article_dates: tuple[Callable[[datetime], str], ...]
    listing_date: Callable[[datetime], str]
    article_url: Callable[[str, str, int], str]  # (category slug, title slug, id)
    listing_url: Callable[[str, int, int], str]  # (category slug, category number, page)
    paragraph: str  # '{}' = text
    image: str  # '{src}', '{caption}'
    byline_in_body: str | None  # '{}' = byline text; None: the template's own byline element
    author: str | None = None  # template author string replaced when byline_in_body is None
    pager: Callable[[Callable[[int], str], int, int], str] = field(default=lambda f, p, n: "")


def _nv_pager(url: Callable[[int], str], page: int, pages: int) -> str:
    out = []
    if page > 1:
        out.append(f'<li class="page-item"><a class="page-link" title="Trang trước" href="{url(page - 1)}">&laquo;</a></li>')
    else:
        out.append('<li class="page-item disabled"><a class="page-link" href="#">&laquo;</a></li>')
    for n in range(1, pages + 1):
        if n == page:
            out.append(f'<li class="page-item active"><a class="page-link" href="#">{n}</a></li>')
        else:
            out.append(f'<li class="page-item"><a class="page-link" title="Trang {n}" href="{url(n)}">{n}</a></li>')
    if page < pages:
        out.append(f'<li class="page-item"><a class="page-link" rel="next" title="Trang sau" href="{url(page + 1)}">&raquo;</a></li>')
    return "\n".join(out)


def _mojo_pager(url: Callable[[int], str], page: int, pages: int) -> str:
    out = []
    for n in range(1, pages + 1):
        if n == page:
            out.append(f'<span class="SelectedPage">{n}</span>')
        else:
            out.append(f'<a class="ModulePager" href="{html.escape(url(n))}" title="Trang {n}">{n}</a>')
    if page < pages:
        nxt, last = html.escape(url(page + 1)), html.escape(url(pages))
        out.append(f'<a class="ModulePager" href="{nxt}" title="Trang sau">&rsaquo;</a>')
        out.append(f'<a class="ModulePager" href="{last}" title="Trang cuối">&raquo;</a>')
    return "\n".join(out)


def _3cms_pager(url: Callable[[int], str], page: int, pages: int) -> str:
    out = ["Trang:"]
    for n in range(1, pages + 1):
        if n == page:
            out.append(f'<span class="paging_current">{n}</span>')
        else:
            out.append(f'<a class="paging_link" href="{url(n)}">{n}</a>')
    if page < pages:
        out.append(f'<a class="paging_next" href="{url(page + 1)}">Trang sau »</a>')
    return " ".join(out)


def _mojo_listing_url(slug: str, num: int, page: int) -> str:
    if page == 1:
        return f"/{slug}.aspx"
    return f"/Article/CategoryPage.aspx?pageid=673&catid={101 + num}&pagenumber={page}"


SPECS: dict[str, Spec] = {
    "nukeviet": Spec(
        key="nukeviet",
        site="tinhuy-binhphuoc",
        article="/news/hoat-dong-cua-tinh-uy/ban-chi-dao-phong-chong-tham-nhung-tieu-cuc-tinh-hop-phien-thuong-ky-3675.html",
        listing="/news/hoat-dong-cua-tinh-uy/",
        categories=(("/news/hoat-dong-cua-tinh-uy/", "Hoạt động của Tỉnh ủy"),
                    ("/news/xay-dung-dang/", "Xây dựng Đảng")),
        body_xpath="//div[@id='news-bodyhtml']",
        items_xpath="//div[contains(@class,'col-sm-16')]/div[contains(@class,'news_column')]",
        pager_xpath="//ul[contains(@class,'pagination')]",
        menu_xpaths=("//ul[contains(@class,'navbar-nav')]/li[a[@href='{url}']]",),
        sidebar_xpaths=("//div[contains(@class,'col-sm-8')]//ul[contains(@class,'list-items')]/li",
                        "//ul[contains(@class,'detail-related')]/li"),
        article_dates=(lambda d: f"{weekday(d, lower=True)} - {d:%d/%m/%Y %H:%M}",
                       lambda d: d.strftime("%Y-%m-%d+07%H:%M:%S"),
                       lambda d: d.strftime("%Y-%m-%dT%H:%M:%S+07:00")),
        listing_date=lambda d: d.strftime("%d/%m/%Y %H:%M"),
        article_url=lambda cat, slug, i: f"/news/{cat}/{slug}-{i}.html",
        listing_url=lambda cat, num, page: f"/news/{cat}/" if page == 1 else f"/news/{cat}/page-{page}",
        paragraph="<p>{}</p>",
        image='<figure class="image"><img alt="" src="{src}" width="600"><figcaption>{caption}</figcaption></figure>',
        byline_in_body=None,
        author="Minh Luân",
        pager=_nv_pager,
    ),
    "mojoportal": Spec(
        key="mojoportal",
        site="tinhuy-bentre",
        article="/hoi-nghi-ban-chap-hanh-dang-bo-tinh-lan-thu-12-mo-rong.aspx",
        listing="/tin-hoat-dong.aspx",
        categories=(("/tin-hoat-dong.aspx", "Tin hoạt động"), ("/xay-dung-dang.aspx", "Xây dựng Đảng")),
        body_xpath="//div[@id='article_text']",
        items_xpath="//div[contains(@class,'list-article')]/div[contains(@class,'article-thongbao')]",
        pager_xpath="//div[@class='modulepager']",
        menu_xpaths=("//ul[@class='sf-menu']/li[a[@href='{url}']]",),
        sidebar_xpaths=("//ul[@class='article_list']/li", "//ul[@class='ul-ortherArticleReference']/li"),
        article_dates=(lambda d: f"{weekday(d)}, {d:%d/%m/%Y, %H:%M} (GMT+7)",),
        listing_date=lambda d: d.strftime("%d/%m/%Y"),
        article_url=lambda cat, slug, i: f"/{slug}-{i}.aspx",
        listing_url=_mojo_listing_url,
        paragraph='<p style="text-align: justify;">{}</p>',
        image=('<table align="center" border="0" cellpadding="3" cellspacing="0" class="image-table" '
               'style="width: 500px;"><tbody><tr><td><img alt="" src="{src}" style="width: 500px; '
               'height: 333px;" /></td></tr><tr><td style="text-align: center;"><em>{caption}</em>'
               '</td></tr></tbody></table>'),
        byline_in_body='<p style="text-align: right;"><strong>{}</strong></p>',
        pager=_mojo_pager,
    ),
    "3cms": Spec(
        key="3cms",
        site="vptu-haiduong",
        article="/3cms/hoi-nghi-ban-chap-hanh-dang-bo-tinh-lan-thu-ba-khoa-xvii.htm",
        listing="/3cms/tin-tuc-su-kien.htm",
        categories=(("/3cms/tin-tuc-su-kien.htm", "Tin tức - Sự kiện"),
                    ("/3cms/hoat-dong-van-phong.htm", "Hoạt động Văn phòng")),
        body_xpath="//td[@class='article_content']",
        items_xpath="//table[@class='article_list']/tr",
        pager_xpath="//td[@class='paging']",
        menu_xpaths=("//td[@class='topmenu']/a[@href='{url}']",
                     "//tr[td[@class='menu_left_item']/a[@href='{url}']]"),
        sidebar_xpaths=("//tr[td[@class='new_article_item']]", "//tr[td[@class='hot_article_item']]",
                        "//ul[@class='other_article_list']/li"),
        article_dates=(lambda d: f"{weekday(d)} {d:%d/%m/%Y %H:%M}",),
        listing_date=lambda d: d.strftime("%d/%m/%Y"),
        article_url=lambda cat, slug, i: f"/3cms/{slug}-{i}.htm",
        listing_url=lambda cat, num, page: f"/3cms/{cat}.htm" + (f"?page={page}" if page > 1 else ""),
        paragraph='<p style="text-align: justify;">{}</p>',
        image=('<p style="text-align: center;"><img alt="" src="{src}" style="width: 500px; height: 333px;" />'
               '</p>\n<p style="text-align: center;"><em>{caption}</em></p>'),
        byline_in_body='<p style="text-align: right;"><strong>{}</strong></p>',
        pager=_3cms_pager,
    ),
}
FAMILY_ORDER = ("nukeviet", "mojoportal", "3cms")


# --- text: real sentences from the fixtures and test data, recombined -----------------------

_SENT_SPLIT = re.compile(r"(?<=[.;!?…])\s+(?=[A-ZĐÀ-ỸẠ-Ỹ“\"(])")
_LEAD_DATE = re.compile(r"^(?:Sáng|Chiều|Tối|Trưa|Ngày|Từ ngày)\s+[\d/]+(?:\s*-\s*[\d/]+)?,?\s*")
_NUMBER = re.compile(r"(?<![\d/.,:-])\d{1,6}(?![\d/:])")


class Corpus:
    def __init__(self, seed: int) -> None:
        texts: list[str] = []
        titles: list[str] = []
        bylines: set[str] = set()
        for f in sorted(FIXTURES.glob("*/www/**/*.expected.json")):
            d = json.loads(f.read_text("utf-8"))
            texts += [d.get("body") or "", d.get("summary") or ""]
            titles.append(d.get("title") or "")
        for f in sorted((FIXTURES / "_build" / "content").glob("*.json")):
            for a in json.loads(f.read_text("utf-8"))["articles"]:
                texts += [*a.get("paragraphs", []), a.get("summary") or ""]
                titles.append(a.get("title") or "")
                if a.get("author_line"):
                    bylines.add(a["author_line"])
        pairs = ROOT / "tests" / "data" / "near_dup_pairs.json"
        if pairs.is_file():
            texts += [p["a"] for p in json.loads(pairs.read_text("utf-8"))["pairs"]]
        sentences: set[str] = set()
        for t in texts:
            for para in re.split(r"\n\s*\n", t):
                for s in _SENT_SPLIT.split(para.strip()):
                    if 40 <= len(s) <= 400 and s[-1] in ".;!?…”\"" and (s[0].isupper() or s[0] in "“\"("):
                        sentences.add(s)
        self.sentences = sorted(sentences)
        self.titles = sorted({t for t in titles if 20 <= len(t) <= 160})
        self.bylines = sorted(bylines) or ["Minh Luân"]
        self.rng = random.Random(seed)

    def vary(self, s: str) -> str:
        """Numbers changed (years kept plausible), so recombined sentences rarely repeat."""
        rng = self.rng

        def number(m: re.Match[str]) -> str:
            digits = m.group()
            if len(digits) == 4 and 1900 <= int(digits) <= 2100:
                return str(rng.randint(2010, 2025) if int(digits) <= 2025 else rng.randint(2026, 2045))
            return str(rng.randint(10 ** (len(digits) - 1) if len(digits) > 1 else 1, 10 ** len(digits) - 1))

        return _NUMBER.sub(number, s)

    def sentences_(self, n: int) -> str:
        return " ".join(self.vary(self.rng.choice(self.sentences)) for _ in range(n))

    def paragraph(self) -> str:
        return self.sentences_(self.rng.randint(2, 5))

    def title(self) -> str:
        return self.vary(self.rng.choice(self.titles))


# --- templates -> skeletons with @@PLACEHOLDERS@@ ---------------------------------------------


def _marker(name: str) -> etree._Element:
    el = etree.Element(PH)
    el.set("id", name)
    return el


def _replace_with(el: etree._Element, new: etree._Element) -> None:
    new.tail = el.tail
    el.getparent().replace(el, new)


def _serialize(doc: etree._Element) -> str:
    """A whole page, markers turned into @@NAME@@."""
    out = lxml.html.tostring(doc, encoding="unicode", method="html",
                             doctype=doc.getroottree().docinfo.doctype)
    return re.sub(rf'<{PH} id="(\w+)"></{PH}>', r"@@\1@@", out)


def _fragment(el: etree._Element) -> str:
    """One element with its tail."""
    return lxml.html.tostring(el, encoding="unicode", method="html", with_tail=True)


def _replace_all(text: str, old: str, new: str, what: str, required: bool = True) -> str:
    """Replace a string and its HTML-escaped forms; fail loudly when a template changed."""
    forms = {old, html.escape(old, quote=False), html.escape(old, quote=True)}
    found = False
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            found = True
            text = text.replace(form, new)
    if required and not found:
        raise ValueError(f"template no longer holds the {what} {old!r}")
    return text


@dataclass
class Category:
    num: int
    name: str
    slug: str
    articles: list[Article] = field(default_factory=list)


@dataclass
class Article:
    id: int
    url: str
    title: str
    summary: str
    date: datetime
    category: Category


class Portal:
    """One generated portal: templates turned into skeletons, then pages rendered from them."""

    def __init__(self, spec: Spec, n_articles: int, corpus: Corpus, seed: int, first_id: int,
                 body_kb: tuple[int, int] | None = None) -> None:
        self.spec = spec
        self.body_kb = body_kb
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.www = FIXTURES / spec.site / "www"
        self.portal_json = json.loads((FIXTURES / spec.site / "portal.json").read_text("utf-8"))
        self.host = self.portal_json["host"]
        n_cat = max(len(spec.categories), math.ceil(n_articles / (PER_PAGE * MAX_LISTING_PAGES)))
        self.categories = []
        for i in range(n_cat):
            name = CATEGORY_NAMES[i % len(CATEGORY_NAMES)]
            if i >= len(CATEGORY_NAMES):  # "Dân vận khu vực B": no digits, so no slug looks like an article's
                name = f"{name} khu vực {_letters(i // len(CATEGORY_NAMES))}"
            self.categories.append(Category(i, name, slugify(name)))
        # articles: ids ascending with dates (2016-2025), spread over the categories
        start = datetime(2016, 1, 4, 7, 0, tzinfo=VN)
        span_min = int((datetime(2025, 6, 1, tzinfo=VN) - start).total_seconds() // 60)
        minutes = sorted(self.rng.randrange(span_min) for _ in range(n_articles))
        self.articles: list[Article] = []
        for i, m in enumerate(minutes):
            d = start + timedelta(minutes=m)
            d = d.replace(hour=self.rng.randint(7, 17))
            cat = self.categories[i % n_cat]
            title = corpus.title()
            art_id = first_id + i
            url = spec.article_url(cat.slug, slugify(title)[:80].strip("-"), art_id)
            when = self.rng.choice(("Sáng", "Chiều", "Ngày"))
            rest = _LEAD_DATE.sub("", corpus.sentences_(self.rng.randint(1, 2)), count=1)
            lead = f"{when} {d.day}/{d.month}/{d.year}, {rest}"
            art = Article(art_id, url, title, lead, d, cat)
            self.articles.append(art)
            cat.articles.append(art)
        for cat in self.categories:
            cat.articles.sort(key=lambda a: a.date, reverse=True)
        self.newest = sorted(self.articles, key=lambda a: a.date, reverse=True)
        self.fixture_articles = set(self.portal_json.get("articles", [])) | set(self.portal_json.get("aliases", {}))
        self.fixture_listings = set(self.portal_json.get("listings", [])) | {u for u, _ in spec.categories}
        self._links = 0
        self.menu_html: dict[str, str] = {}
        self.article_skel = self._article_skeleton()
        self.listing_skel, self.item_skels = self._listing_skeleton()
        self.home_skel = self._home_skeleton()

    # -- skeleton building --
    def _load(self, url: str) -> tuple[etree._Element, dict[str, Any] | None]:
        file = self.www / file_for(url)
        if not file.is_file() and (file / "index.html").is_file():
            file = file / "index.html"
        doc = lxml.html.document_fromstring(file.read_text("utf-8"))
        exp = file.with_name(file.name + ".expected.json")
        return doc, (json.loads(exp.read_text("utf-8")) if exp.is_file() else None)

    def _common(self, doc: etree._Element, page_cat_name: str | None) -> None:
        """Menus (every category), padded sidebars, link rewriting: the same on every page kind."""
        for el in doc.xpath("//link[@type='application/rss+xml' or @type='application/atom+xml']"):
            el.getparent().remove(el)
        # menus: one entry per generated category instead of the fixture's two
        for k, xp in enumerate(self.spec.menu_xpaths):
            found = [el for url, _ in self.spec.categories for el in doc.xpath(xp.format(url=url))]
            if not found:
                continue
            proto = copy.deepcopy(found[0])
            clones = []
            for cat in self.categories:
                el = copy.deepcopy(proto)
                for a in [el] if el.tag == "a" else el.iter("a"):
                    a.set("href", self.spec.listing_url(cat.slug, cat.num, 1))
                    if a.get("title"):
                        a.set("title", cat.name)
                    if len(a) == 0:
                        a.text = cat.name
                clones.append(_fragment(el))
            self.menu_html[f"MENU{k}"] = "".join(clones)
            _replace_with(found[0], _marker(f"MENU{k}"))
            for el in found[1:]:
                if el.getparent() is not None:
                    el.getparent().remove(el)  # with its tail (a " | " separator at most)
        # sidebars: lists of links to other articles, SIDEBAR_ITEMS long
        for xp in self.spec.sidebar_xpaths:
            items = doc.xpath(xp)
            if not items:
                continue
            parent = items[0].getparent()
            proto = items[0]
            for el in items:
                el.getparent().remove(el)
            for _ in range(SIDEBAR_ITEMS):
                el = copy.deepcopy(proto)
                self._link_placeholders(el)
                parent.append(el)
        for a in doc.iter("a"):
            self._rewrite(a, page_cat_name)  # skips the placeholders set above

    def _link_placeholders(self, el: etree._Element) -> None:
        """Every link in `el` to one (per page, random) generated article: @@Ln@@ / @@Tn@@."""
        n = self._links
        self._links += 1
        for a in el.iter("a"):
            a.set("href", f"@@L{n}@@")
            if a.get("title"):
                a.set("title", f"@@T{n}@@")
            if len(a) == 0 and (a.text or "").strip():
                a.text = f"@@T{n}@@"

    def _rewrite(self, a: etree._Element, page_cat_name: str | None) -> None:
        href = (a.get("href") or "").strip()
        for prefix in (f"http://{self.host}", f"https://{self.host}"):
            if href.startswith(prefix):
                href = href[len(prefix):] or "/"
        if not href or href.startswith(("#", "javascript:", "mailto:", "@@")) or "://" in href:
            return
        if href in self.fixture_listings:
            a.set("href", "@@CATURL@@")
            for el in a.iter():
                if page_cat_name and (el.text or "").strip() == page_cat_name:
                    el.text = "@@CATNAME@@"
            if a.get("title") == page_cat_name:
                a.set("title", "@@CATNAME@@")
        elif href in self.fixture_articles or (self.www / (file_for(href) + ".expected.json")).is_file():
            self._link_placeholders(a)
        elif href != "/":
            a.set("href", "/")  # a page outside the mirror (contact, tags, print, RSS): home instead

    def _finish(self, text: str) -> str:
        for prefix in (f"http://{self.host}", f"https://{self.host}"):
            text = text.replace(prefix + "/", "/")
        return text

    def _article_skeleton(self) -> str:
        spec = self.spec
        doc, exp = self._load(spec.article)
        assert exp is not None, spec.article
        body = doc.xpath(spec.body_xpath)[0]
        for child in list(body):
            body.remove(child)
        body.text = None
        body.append(_marker("BODY"))
        self._common(doc, exp["category"])
        text = self._finish(_serialize(doc))
        text = _replace_all(text, exp["url"], "@@URL@@", "article URL", required=False)
        if exp.get("summary"):  # before the title: a lead often repeats the title
            text = _replace_all(text, exp["summary"], "@@SUMMARY@@", "summary")
        text = _replace_all(text, exp["title"], "@@TITLE@@", "title")
        published = datetime.fromisoformat(exp["published_at"])
        for i, fmt in enumerate(spec.article_dates):
            text = _replace_all(text, fmt(published), f"@@D{i}@@", "date")
        if spec.author:
            text = _replace_all(text, spec.author, "@@AUTHOR@@", "author")
        text = _replace_all(text, exp["category"], "@@CATNAME@@", "category", required=False)
        return text

    def _listing_skeleton(self) -> tuple[str, list[str]]:
        spec = self.spec
        doc, _ = self._load(spec.listing)
        cat_name = dict(spec.categories)[spec.listing]
        items = doc.xpath(spec.items_xpath)
        assert items, f"{spec.site}: no listing items at {spec.items_xpath}"
        protos: list[str] = []
        for item in items[:2]:  # one with a thumbnail, one without (as the templates have them)
            href = next(a.get("href") for a in item.iter("a") if a.get("href"))
            exp_file = self.www / (file_for(href) + ".expected.json")
            exp = json.loads(exp_file.read_text("utf-8"))
            s = _fragment(item)
            s = _replace_all(s, href, "@@IURL@@", "item URL")
            if exp.get("summary"):
                s = _replace_all(s, exp["summary"], "@@ISUMMARY@@", "item summary", required=False)
            s = _replace_all(s, exp["title"], "@@ITITLE@@", "item title")
            s = _replace_all(s, spec.listing_date(datetime.fromisoformat(exp["published_at"])),
                             "@@IDATE@@", "item date")
            protos.append(s)
        _replace_with(items[0], _marker("ITEMS"))
        for item in items[1:]:
            item.getparent().remove(item)
        pager = doc.xpath(spec.pager_xpath)[0]
        for child in list(pager):
            pager.remove(child)
        pager.text = None
        pager.append(_marker("PAGER"))
        self._common(doc, cat_name)
        text = self._finish(_serialize(doc))
        text = _replace_all(text, cat_name, "@@CATNAME@@", "category")
        text = _replace_all(text, cat_name.upper(), "@@CATNAMEUP@@", "category", required=False)
        return text, protos

    def _home_skeleton(self) -> str:
        doc, _ = self._load("/")
        self._common(doc, None)
        return self._finish(_serialize(doc))

    # -- rendering --
    def _fill(self, skel: str, values: dict[str, str]) -> str:
        rng = self.rng
        chosen: dict[str, Article] = {}

        def sub(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in values:
                return values[key]
            if key in self.menu_html:
                return self.menu_html[key]
            kind, n = key[0], key[1:]
            if kind in "LT" and n.isdigit():
                if n not in chosen:  # half the sidebar links: the newest articles (as "Tin mới")
                    chosen[n] = self.newest[int(n) % min(12, len(self.newest))] if rng.random() < 0.5 else rng.choice(self.articles)
                art = chosen[n]
                return html.escape(art.url) if kind == "L" else html.escape(art.title)
            raise KeyError(key)

        return re.sub(r"@@(\w+)@@", sub, skel)

    def _body(self, art: Article, budget: int, base: list[str] | None) -> tuple[str, list[str]]:
        spec, corpus, rng = self.spec, self.corpus, self.rng
        paras: list[str] = []
        if base:  # a near-copy of an earlier article: one paragraph in twenty rewritten
            paras = [corpus.paragraph() if rng.random() < 0.05 else p for p in base]
            if paras == base:  # at least one: an unchanged copy would be an exact duplicate
                paras[rng.randrange(len(paras))] = corpus.paragraph()  # (which dedup drops)
        out: list[str] = []
        size = 0
        i = 0
        img = f"/uploads/news/{art.date:%Y_%m}/anh-{art.id}.jpg"
        # a near-copy keeps its original's length (a reprint is not cut or padded)
        while (i < len(base)) if base else (size < budget or i < 3):
            if i < len(paras):
                text = paras[i]
            else:
                text = corpus.paragraph()
                paras.append(text)
            if i == 2:
                out.append(spec.image.format(src=img, caption=html.escape(corpus.vary(rng.choice(corpus.sentences))[:120])))
            if rng.random() < 0.06:
                out.append(spec.paragraph.format(f"<strong>{html.escape(text.split('.')[0][:90])}</strong>"))
            chunk = spec.paragraph.format(html.escape(text, quote=False))
            out.append(chunk)
            size += len(chunk.encode("utf-8"))
            i += 1
        if spec.byline_in_body:
            out.append(spec.byline_in_body.format(html.escape(rng.choice(corpus.bylines))))
        return "\n".join(out), paras

    def _padding(self, budget: int) -> str:
        """Page chrome to fill `budget` bytes: a "more news" box and an inline script, as the
        heavier real portal pages carry (mega-menus, widget boxes, inline scripts, view state)."""
        rng = self.rng
        parts = ['<div class="other-box"><h3>Tin khác</h3><ul class="list-more">']
        size = 0
        while size < budget // 2 and len(parts) < 41:
            art = rng.choice(self.articles)
            li = (f'<li><a href="{html.escape(art.url)}" title="{html.escape(art.title)}">'
                  f'{html.escape(art.title)}</a> <span class="date">({art.date:%d/%m/%Y})</span></li>')
            parts.append(li)
            size += len(li.encode("utf-8"))
        parts.append("</ul></div>")
        box = "\n".join(parts)
        left = max(0, budget - len(box.encode("utf-8")))
        entry = '{"id":%d,"t":"%s","v":%d},'
        script = []
        n = 0
        while n < left:
            art = rng.choice(self.articles)
            e = entry % (art.id, art.title.replace('"', "'"), rng.randint(100, 9999))
            script.append(e)
            n += len(e.encode("utf-8"))
        return f'{box}\n<script type="text/javascript">var widgetData=[{"".join(script)}];</script>\n'

    def render_article(self, art: Article, near_base: list[str] | None) -> tuple[str, list[str]]:
        values = {
            "URL": art.url, "TITLE": html.escape(art.title), "SUMMARY": html.escape(art.summary),
            "AUTHOR": html.escape(self.rng.choice(self.corpus.bylines)),
            "CATNAME": html.escape(art.category.name),
            "CATURL": self.spec.listing_url(art.category.slug, art.category.num, 1),
            "BODY": "@@BODY@@",
        }
        for i, fmt in enumerate(self.spec.article_dates):
            values[f"D{i}"] = fmt(art.date)
        shell = self._fill(self.article_skel, dict(values))
        target = self.rng.randint(PAGE_KB[0] * 1024, PAGE_KB[1] * 1024)
        if self.body_kb is None:  # the body fills the page up to its target size
            budget = max(2_000, target - len(shell.encode("utf-8")) - 600)  # 600: half a paragraph
        else:
            budget = self.rng.randint(self.body_kb[0] * 1024, self.body_kb[1] * 1024) - 600
        body, paras = self._body(art, budget, near_base)
        page = shell.replace("@@BODY@@", body)
        missing = target - len(page.encode("utf-8"))
        if self.body_kb is not None and missing > 0:
            cut = page.rfind("</body>")
            page = page[:cut] + self._padding(missing) + page[cut:]
        return page, paras

    def render_listing(self, cat: Category, page: int, pages: int) -> str:
        spec = self.spec
        items = []
        for k, art in enumerate(cat.articles[(page - 1) * PER_PAGE: page * PER_PAGE]):
            proto = self.item_skels[k % len(self.item_skels)]
            items.append(proto.replace("@@IURL@@", html.escape(art.url))
                         .replace("@@ITITLE@@", html.escape(art.title))
                         .replace("@@IDATE@@", spec.listing_date(art.date))
                         .replace("@@ISUMMARY@@", html.escape(art.summary)))
        values = {
            "ITEMS": "\n".join(items),
            "PAGER": spec.pager(lambda n: spec.listing_url(cat.slug, cat.num, n), page, pages),
            "CATNAME": html.escape(cat.name), "CATNAMEUP": html.escape(cat.name.upper()),
            "CATURL": spec.listing_url(cat.slug, cat.num, 1),
        }
        return self._fill(self.listing_skel, values)

    def write(self, out: Path) -> dict[str, Any]:
        """Write every page under out/<site>/www/; returns this portal's manifest entry."""
        www = out / self.spec.site / "www"
        pages: dict[str, str] = {}

        def put(url: str, text: str | bytes) -> None:
            rel = file_for(url)
            dest = www / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
            pages[url] = rel

        put("/", self._fill(self.home_skel, {"CATURL": "/", "CATNAME": ""}))
        put("/robots.txt", b"User-agent: *\nDisallow:\n")
        sizes: list[int] = []
        bodies: dict[int, list[str]] = {}
        n_near = 0
        for art in self.articles:
            base = None
            if bodies and self.rng.random() < NEAR_COPY_SHARE:
                base = bodies[self.rng.choice(list(bodies))]
                n_near += 1
            text, paras = self.render_article(art, base)
            if len(bodies) < 200:
                bodies[art.id] = paras
            put(art.url, text)
            sizes.append(len(text.encode("utf-8")))
        n_listing = 0
        for cat in self.categories:
            pages_n = max(1, math.ceil(len(cat.articles) / PER_PAGE))
            for page in range(1, pages_n + 1):
                put(self.spec.listing_url(cat.slug, cat.num, page), self.render_listing(cat, page, pages_n))
                n_listing += 1
        sizes.sort()
        return {
            "family": self.spec.key, "site": self.spec.site, "host": self.host,
            "dir": f"{self.spec.site}/www", "articles": len(self.articles), "listing_pages": n_listing,
            "categories": len(self.categories), "near_copies": n_near,
            "article_kb_min": sizes[0] / 1024 if sizes else 0,
            "article_kb_median": sizes[len(sizes) // 2] / 1024 if sizes else 0,
            "article_kb_max": sizes[-1] / 1024 if sizes else 0,
            "article_re": _article_regex(self.spec),
            "pages": pages,
        }


def _article_regex(spec: Spec) -> str:
    """A regex matching exactly this portal's generated article URLs (for the bare spider)."""
    sample = spec.article_url("CAT", "SLUG", 12345)
    pattern = re.escape(sample).replace("CAT", "[^/]+").replace("SLUG", "[a-z0-9-]+").replace("12345", r"\d+")
    return f"^{pattern}$"


def generate(out: Path, pages: int = 2000, families: tuple[str, ...] = FAMILY_ORDER, seed: int = 1,
             body_kb: tuple[int, int] | None = None) -> dict[str, Any]:
    """Write the mirror into `out` (a fresh directory) and return its manifest.

    `body_kb=None`: article bodies are padded until the page weighs 30-60 KB. `body_kb=(lo, hi)`:
    bodies of lo-hi KB of HTML, and page chrome (a "more news" box, an inline script) brings
    the page to 30-60 KB.
    """
    out.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(seed)
    share = [pages // len(families) + (1 if i < pages % len(families) else 0) for i in range(len(families))]
    portals = []
    first_id = 1000
    for i, (fam, n) in enumerate(zip(families, share, strict=True)):
        portal = Portal(SPECS[fam], n, corpus, seed * 100 + i, first_id, body_kb)
        portals.append(portal.write(out))
        first_id += n + 1000
    manifest = {"articles": pages, "seed": seed, "portals": portals, "body_kb": body_kb,
                "sentences": len(corpus.sentences), "titles": len(corpus.titles)}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return manifest


# --- the fallback server: every page preloaded, threaded, HTTP/1.1 keep-alive ---------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        pages: dict[str, bytes] = self.server.pages  # type: ignore[attr-defined]
        body = pages.get(self.path)
        status = 200
        if body is None:
            status, body = 404, b"<html><body>404</body></html>"
        self.send_response(status)
        ctype = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class PreloadedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, pages: dict[str, bytes], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.pages = pages


def serve(mirror: Path, ports: list[int] | None = None) -> list[PreloadedServer]:
    """Start one preloaded server per portal of the mirror (daemon threads)."""
    manifest = json.loads((mirror / "manifest.json").read_text("utf-8"))
    servers = []
    for i, p in enumerate(manifest["portals"]):
        root = mirror / p["dir"]
        pages = {url: (root / rel).read_bytes() for url, rel in p["pages"].items()}
        srv = PreloadedServer(pages, ports[i] if ports else 0)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    return servers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="directory to write (or serve with --serve)")
    ap.add_argument("--pages", type=int, default=2000, help="article pages in all (default 2000)")
    ap.add_argument("--families", default=",".join(FAMILY_ORDER), help="comma-separated: nukeviet,mojoportal,3cms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--body-kb", default="", help="LO,HI: body size range; chrome pads pages to 30-60 KB")
    ap.add_argument("--serve", action="store_true", help="serve an existing mirror until stdin closes")
    ap.add_argument("--ports", default="", help="with --serve: comma-separated ports, one per portal")
    args = ap.parse_args(argv)
    if args.serve:
        ports = [int(p) for p in args.ports.split(",")] if args.ports else None
        servers = serve(args.out, ports)
        print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
        sys.stdin.read()  # the parent closes our stdin to stop us
        return 0
    body_kb = tuple(int(x) for x in args.body_kb.split(",")) if args.body_kb else None
    m = generate(args.out, args.pages, tuple(args.families.split(",")), args.seed, body_kb)  # type: ignore[arg-type]
    for p in m["portals"]:
        print(f"{p['site']:18} {p['family']:11} {p['articles']:6} articles {p['listing_pages']:4} listing pages "
              f"{p['categories']:3} categories  article page {p['article_kb_min']:.0f}/"
              f"{p['article_kb_median']:.0f}/{p['article_kb_max']:.0f} KB (min/median/max)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
