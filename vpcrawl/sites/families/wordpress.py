"""WordPress themes (some Ban Tuyên giáo and district portals, often VNPT-hosted)."""

from vpcrawl.sites.base import Family, Layout, ListingRules


class WordPress(Family):
    name = "wordpress"
    label = "WordPress"
    fingerprints = (
        ("/wp-content/", 3),
        ("/wp-json/", 2),
        ("wp-includes", 2),
        ('content="WordPress', 3),
    )
    article_url = (r"^/(?!category/|tag/|author/|page/|feed/|wp-)(?:\d{4}/\d{2}/(?:\d{2}/)?)?[^/?]+/?$",
                   r"[?&]p=\d+$")
    non_article_url = (r"^/(?:category|tag|author|feed|wp-json|wp-admin|wp-login)", r"/page/\d+/?$",
                       r"[?&]s=")
    listing = ListingRules(
        item=("article", "div.post", "li.post"),
        item_link=("h2.entry-title a[href]", "h3.entry-title a[href]", ".entry-title a[href]", "a[href]"),
        item_date=("time", ".entry-date", ".posted-on"),
        next_page=("a.next.page-numbers", "div.nav-previous a", "a[rel=next]", ".pagination a"),
    )

    class V1(Layout):
        name = "V1"
        signature = ("div.entry-content", "article.post")
        title = ("h1.entry-title", "article h1")
        summary = ("div.entry-summary", "p.sapo", "div.sapo")
        body = ("div.entry-content", "div.post-content")
        date = ("time.entry-date", "span.posted-on time", ".entry-date", ".posted-on")
        byline = ("p.author-line", "div.tac-gia")
        category = ("span.cat-links a", "a[rel='category tag']")
        tags = ("span.tags-links a", "a[rel=tag]")
        captions = ("figcaption", ".wp-caption-text")
        body_exclude = ("div.sharedaddy", "div.jp-relatedposts", "div.related-posts", "nav", "div.addtoany_share_save_container")

    layouts = (V1,)
