"""Liferay 6 "vPortal" VCMS portlet (Vietsoftware) on provincial eGov / Ban Tuyên giáo portals.

Markup from phuongvh/eGov_Portal VCMS-portlet view_article.jspf / view_category.jspf.
Pagination links are `href="#"` with `onclick="self.location='…'"`: the listing extractor
reads the onclick target.
"""

from vpcrawl.sites.base import Family, Layout, ListingRules
from vpcrawl.state.canonical import CanonicalRules


class LiferayVCMS(Family):
    name = "liferay"
    label = "Liferay 6 vPortal VCMS"
    fingerprints = (
        ("Liferay", 3),
        ("p_p_id=", 2),
        ("VCMSportlet", 3),
        ("wd-boxs", 2),
        ("/html/portlet/vcms", 2),
        ("asset_publisher", 1),
    )
    article_url = (r"[?&][^=&]*articleId=\d+", r"/-/asset_publisher/[^/]+/content/", r"/view-article/")
    non_article_url = (r"p_p_lifecycle=1", r"/c/portal/login")
    listing = ListingRules(
        item=("ul.wd-communication > li", "ul.wd-other-news > li"),
        item_link=("h3 a[href]", "a[href]"),
        item_date=("span", "p.wd-date"),
        next_page=("div.wd-paging ul.yiiPager li.next a", "div.wd-paging ul.yiiPager li.page a"),
    )
    # p_p_* and the portlet's _cur/_delta paging noise are dropped by the built-in Liferay rule
    canonical = CanonicalRules(drop_params=frozenset({"redirect"}))

    class V6(Layout):
        name = "V6"
        signature = ("div.wd-introduction", "h3.wd-tlh3-4")
        title = ("div.wd-introduction h3.wd-tlh3-4", "h3.wd-tlh3-4")
        summary = ("div.wd-introduction > p[style*=bold]", "div.wd-introduction > b.hot-line")
        body = ("div.wd-introduction div.wd-content", "div.wd-introduction",)
        date = ("p.wd-date", "span.time")
        byline = ("p.wd-actor",)
        category = ("div.wd-boxs h2.wd-tlh1-2", "h2.wd-tlh1-2")
        attachments = ("a.wd-download-pdf", "div.wd-introduction a[href$='.pdf']")
        captions = ("figcaption", "p.wd-caption", "em.wd-caption")
        body_exclude = ("h3.wd-tlh3-4", "p.wd-date", "p.wd-actor", "div.wd-bortop",
                        "h3.wd-tlh3-3", "ul.wd-other-news", "div.wd-rss", "p[style*=bold]")

    class V6Old(Layout):
        """Older VCMS view (vcmsview/includes/view-article.jsp): one table cell holds it all."""

        name = "V6-old"
        signature = ("p.title01",)
        title = ("p.title01",)
        summary = ("b.hot-line",)
        body = ("table.chanel-news td",)
        date = ("span.time",)
        category = ("p.bread-crum a:last-child",)
        attachments = ("table.chanel-news a[href$='.pdf']",)
        body_exclude = ("b.news-other", "p.org2")

    layouts = (V6, V6Old)
