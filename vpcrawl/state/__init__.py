"""Crawl state: URL canonicalization, the SQLite store and the near-duplicate sketch (pure)."""

from vpcrawl.state.canonical import CanonicalRules, article_id, canonicalize, same_document
from vpcrawl.state.sketch import NearDupIndex, content_hash, minhash, similarity
from vpcrawl.state.store import ArticleRecord, Recorded, StateError, StateStore

__all__ = [
    "ArticleRecord",
    "CanonicalRules",
    "NearDupIndex",
    "Recorded",
    "StateError",
    "StateStore",
    "article_id",
    "canonicalize",
    "content_hash",
    "minhash",
    "same_document",
    "similarity",
]
