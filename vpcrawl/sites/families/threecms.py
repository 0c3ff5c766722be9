"""3CMS (VNITT, Java): `/3cms/…htm` portals of some provinces and their Party offices.

Markup from the 3CMS front-end script: `td.article_date`, `.article_summary_detail`,
`.article_content`, the injected "Xem với cỡ chữ" widget and the print link `art=<id>`.
"""

from vpcrawl.sites.base import Family, Layout, ListingRules


class ThreeCMS(Family):
    name = "3cms"
    label = "3CMS (VNITT)"
    fingerprints = (
        ("/3cms/", 3),
        ("article_print_mail_link", 3),
        ("change-font-size", 1),
        ("article_content", 1),
        ("3cms?cmd=", 2),
    )
    article_url = (r"^/3cms/[^?]+-\d+\.htm$", r"^/3cms/.+\.htm\?.*\bart(?:ID)?=\d+")
    non_article_url = (r"/3cms/text-to-speech\.htm", r"[?&]cmd=", r"/3cms/(?:gioi-thieu|lien-he|tim-kiem)")
    listing = ListingRules(
        item=("table.category_list tr", "div.category_list div.item", "ul.category_list > li",
              "div.article_list_item", "td.article_list_item"),
        item_link=("a.article_title[href]", "a[href]"),
        item_date=(".article_date", "span.date"),
        next_page=("div.paging a[href]", "td.paging a[href]", "span.paging a[href]"),
    )

    class V1(Layout):
        name = "V1"
        signature = (".article_content",)
        title = (".article_title", "h1.title", "td.article_title")
        summary = (".article_summary_detail",)
        body = (".article_content",)
        date = ("td.article_date", ".article_date")
        byline = (".article_author",)
        category = ("td.article_cat a:last-child", ".article_category", "a.category_title")
        captions = ("td.image_desc", ".image_desc", "figcaption", "p.caption")
        body_exclude = ("span.change-font-size", "a.article_print_mail_link", ".article_tools",
                        ".article_other", ".article_related")

    layouts = (V1,)
