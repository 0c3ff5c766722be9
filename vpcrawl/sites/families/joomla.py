"""Joomla 3 (com_content) and K2: e.g. doanvptw.dcs.vn, lyluanchinhtri.vn."""

from vpcrawl.sites.base import Family, Layout, ListingRules
from vpcrawl.state.canonical import CanonicalRules


class Joomla(Family):
    name = "joomla"
    label = "Joomla 3 / K2"
    fingerprints = (
        ("Joomla!", 3),
        ("/media/jui/", 2),
        ("com_content", 2),
        ("/components/com_k2/", 2),
        ("itemprop=\"articleBody\"", 1),
    )
    article_url = (r"/index\.php/.+/\d+-[^/?]+$", r"/item/\d+-[^/?]+\.html$", r"[?&]view=article")
    non_article_url = (r"[?&]start=\d+", r"[?&]task=", r"/component/search", r"format=feed")
    listing = ListingRules(
        item=("div.blog div.items-row div.item", "div.blog div.item", "div.items-leading > div",
              "table.category tr", "div.itemList div.catItemView"),
        item_link=("h2 a[href]", "h3 a[href]", ".page-header a[href]", "a[href]"),
        item_date=("dd.published", "time", ".catItemDateCreated"),
        next_page=("ul.pagination a[href]", "div.pagination a[href]", "a[title=Next]", "li.pagination-next a"),
    )
    canonical = CanonicalRules(drop_params=frozenset({"Itemid"}))

    class V3(Layout):
        name = "V3"
        signature = ("div.item-page", "div.itemView")
        title = ("div.item-page h2[itemprop=headline]", "div.page-header h2", "h2.itemTitle", "div.item-page h2")
        summary = ("div.item-page p.lead", "div.itemIntroText")
        body = ("div[itemprop=articleBody]", "div.itemFullText", "div.item-page")
        date = ("dd.published", "span.itemDateCreated", "time")
        byline = ("dd.createdby", "span.itemAuthor", "p.tac-gia")
        category = ("dd.category-name a", "dd.category-name", "span.itemCategory a")
        tags = ("ul.tags a", "div.itemTagsBlock a")
        attachments = ("div[itemprop=articleBody] a[href$='.pdf']", "div.itemAttachmentsBlock a")
        captions = ("figcaption", "p.caption", "span.itemImageCaption")
        body_exclude = ("ul.pager", "dl.article-info", "div.btn-group", "ul.tags", "div.related-items")

    layouts = (V3,)
