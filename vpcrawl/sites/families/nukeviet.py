"""NukeViet news module (PHP, VINADES): very common on Tỉnh ủy / Ban Tuyên giáo portals.

Markup from nukeviet/nukeviet themes/default/modules/news/detail.tpl (4.x) and the 3.x theme.
"""

from vpcrawl.sites.base import Family, Layout, ListingRules

_OTHER_NEWS = ("div.other-news", "ul.related", "div.news_column + div", "div.fb-comments")


class NukeViet(Family):
    name = "nukeviet"
    label = "NukeViet 3/4 news module"
    fingerprints = (
        ("nv_base_siteurl", 3),
        ("/themes/default/", 1),
        ("news_column", 2),
        ("NukeViet", 2),
        ("news-bodyhtml", 3),
        ("/modules/news/", 1),
    )
    article_url = (r"/news/[^/]+/[^/?]+-\d+\.html?$", r"^/(?:vi/)?[^/]+/[^/]+/[^/?]+-\d+\.html?$")
    non_article_url = (r"/news/tag/", r"/page-\d+/?$", r"/(?:search|seek|contact|users|rss)(?:/|$)")
    listing = ListingRules(
        item=("div.news_column div.panel-body > div", "div.news_column div.media", "ul.list-news > li",
              "div.list-news > div", "div.news-item"),
        item_link=("h3 a[href]", "h2 a[href]", "h4 a[href]", "a[href]"),
        item_date=("span.time", ".text-muted", "em", "span.h5"),
        next_page=("ul.pagination a[rel=next]", "ul.pagination a.page-link", "div.generate_page a"),
    )

    class V4(Layout):
        """4.x default theme (2019 on for most portals)."""

        name = "V4"
        signature = ("#news-bodyhtml", "div.news_column h1.title")
        title = ("h1.title", "h1[itemprop=headline]")
        summary = ("div.hometext", "#hometext")
        body = ("#news-bodyhtml", "div.bodytext")
        date = ("div.panel-body span.h5", "span.h5", "em.time")
        byline = ("p.h5.text-right", "div.author")
        category = ("ul.temp-breadcrumbs li:last-child [itemprop=name]", "ol.breadcrumb li:last-child a",
                    "ul.breadcrumbs li:last-child a")
        tags = ("div.h5 a[title]", "div.keywords a")
        attachments = ("div.download a[href]", "#news-bodyhtml a[href$='.pdf']",
                       "#news-bodyhtml a[href$='.doc']", "#news-bodyhtml a[href$='.docx']")
        captions = ("figcaption", "p.image-caption")
        lead_image = ("figure.article",)
        body_exclude = _OTHER_NEWS

    class V3(Layout):
        """3.x theme: `div#news_detail`; still served for old articles on some portals."""

        name = "V3"
        valid_from = None
        signature = ("div#news_detail",)
        title = ("div#news_detail h1", "h1")
        summary = ("div#hometext", "div.hometext")
        body = ("div.bodytext",)
        date = ("div#news_detail span.time", "span.time")
        byline = ("div#news_detail > p[style*=right]", "div#news_detail p.author", "p[align=right]")
        category = ("div.breakcolumn a:last-child", "div.breadcrumbs a:last-child")
        tags = ("div.keywords a",)
        attachments = ("div.bodytext a[href$='.pdf']", "div.bodytext a[href$='.doc']")
        captions = ("figcaption", "p.image-caption")
        body_exclude = _OTHER_NEWS

    layouts = (V4, V3)
