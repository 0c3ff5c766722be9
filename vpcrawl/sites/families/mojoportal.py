"""mojoPortal "Article" feature, Vietnamese fork (ASP.NET WebForms), e.g. the Bến Tre deployments.

Markup from hauluu277/mojo ArticleView.ascx and CategoryPageControl.ascx.
"""

from vpcrawl.sites.base import Family, Layout, ListingRules


class MojoPortal(Family):
    name = "mojoportal"
    label = "mojoPortal Article (Vietnamese fork)"
    fingerprints = (
        ("mojoPortal", 3),
        ("articlecenter-rightnav", 3),
        ("left-article-more-container", 3),
        ("/Data/Sites/", 2),
        ("ArticleView", 1),
        ("__VIEWSTATE", 1),
    )
    article_url = (r"/Article/View(?:Post|Detail)\.aspx\?", r"^/[a-z0-9]+(?:-[a-z0-9]+){3,}(?:\.aspx)?$")
    non_article_url = (r"/Article/CategoryPage\.aspx", r"/article/viewtag\.aspx", r"/Secure/", r"/Search")
    listing = ListingRules(
        item=("div.list-article div.lisTin__item", "div.list-article div.listTin_Noibat",
              "div.list-article > div"),
        item_link=("h3.article-title a[href]", "a[href]"),
        item_date=("div.article-date li:first-child", "div.article-date"),
        next_page=("div.blogpager a[href]", "div.pager a[href]"),
    )

    class V1(Layout):
        name = "V1"
        signature = ("div.articletext", "h2.articletitle", "#article_text")
        title = ("h2.articletitle", "h1.articletitle")
        summary = ("div.sapo",)
        body = ("div.articletext", "#article_text")
        date = ("span.left-article-more-container", "span.post-date-article", "div.info-article-more")
        byline = ("div.article-author", "#Author")
        category = ("div.breadcrumbs a:last-child", "span.breadcrumbs a:last-child", "h2.moduletitle")
        tags = ("span.blogtags a",)
        attachments = ("div.article-file a[href]", "div.blogattachment a[href]")
        captions = ("figcaption", "p.image-caption", "div.image-caption")
        lead_image = ("div.image-wrapper",)
        body_exclude = ("div.article-tool", "div.pnOtherArticle", "ul.ulActiveReference",
                        "div.tags-detail", "span.wvag")

    layouts = (V1,)
