"""Pure extraction: parsel Selector + URL (+ profile) in, fields out; no Scrapy engine needed."""

from vpcrawl.extract.article import RawArticle, extract_article
from vpcrawl.extract.fingerprint import detect_family
from vpcrawl.extract.listing import PageLinks, extract_links

__all__ = ["PageLinks", "RawArticle", "detect_family", "extract_article", "extract_links"]
