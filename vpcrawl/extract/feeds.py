"""Sitemaps and RSS/Atom feeds as extra discovery, parsed without expanding entities.

The parser never resolves entities, never touches the network and refuses huge trees, so a
hostile feed ("billion laughs", external entities) costs nothing and yields nothing.
"""

from __future__ import annotations

from lxml import etree

MAX_FEED_BYTES = 10 * 1024 * 1024
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True,
                          remove_comments=True, remove_pis=True, load_dtd=False)


def feed_links(body: bytes) -> list[tuple[str, bool]]:
    """(url, is_sitemap_index_entry) for each <loc>/<link> of a sitemap or feed."""
    if not body or len(body) > MAX_FEED_BYTES:
        return []
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    out: list[tuple[str, bool]] = []
    is_index = etree.QName(root).localname == "sitemapindex"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name == "loc" and el.text:
            out.append((el.text.strip(), is_index))
        elif name == "link":
            href = el.get("href") or (el.text or "")
            if href.strip() and el.getparent() is not None and \
                    etree.QName(el.getparent()).localname in ("item", "entry"):
                out.append((href.strip(), False))
    return out
