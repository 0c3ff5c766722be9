"""DotNetNuke (DNN) skin "TN" as used by dangcongsan.vn until ~2019 (real 2018 HTML saved)."""

from vpcrawl.sites.base import Family, Layout, ListingRules


class DotNetNuke(Family):
    name = "dnn"
    label = "DotNetNuke (skin TN)"
    fingerprints = (
        ("DotNetNuke", 2),
        ("/Portals/_default/", 3),
        ("__dnnVariable", 3),
        ("DependencyHandler.axd", 2),
        ("/DesktopModules/", 2),
    )
    article_url = (r"^/[a-z0-9-]+(?:/[a-z0-9-]+)?/[a-z0-9-]+-\d{4,}\.html$",)
    non_article_url = (r"/he-thong-van-ban/", r"/tim-kiem", r"/Handler\.ashx")
    listing = ListingRules(
        item=("div.list-news > div", "ul.list-news > li", "div.post-list div.item", "div.i-item",
              "div.item-news"),
        item_link=("h2 a[href]", "h3 a[href]", "a.i-title[href]", "a[href]"),
        item_date=("span.time", "span.date", ".i-date"),
        next_page=("div.paging a[href]", "ul.pagination a[href]", "a.next[href]"),
    )

    class V2018(Layout):
        name = "V2018"
        signature = ("div.post-content",)
        title = ("h1.post-title", "div.post-detail h1", "h1")
        summary = ("div.post-summary", "h2.post-summary", "div.sapo")
        body = ("div.post-content",)
        date = ("div.post-date", "span.post-date", "span.date")
        byline = ("div.post-author", "p.post-author")
        category = ("div.breadcrumb a:last-child", "h2.cate-title a")
        tags = ("div.post-tags a",)
        captions = ("figcaption", "td.image_desc", "p.image-caption", "em.caption")
        body_exclude = ("div.post-related", "div.related-news", "div.post-tools")

    layouts = (V2018,)
