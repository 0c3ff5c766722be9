"""Deduplicate: one item per article across URLs, runs and portals; revisions of known ones.

* The same article again (same canonical id) in this run is dropped. A known article from an
  earlier run is dropped when its text is unchanged, and emitted as a new `revision` (with
  `revised_at`) when the text changed: silent edits matter to researchers.
* Exact copies (same tone-normalised text under another URL, in this run or an earlier one)
  are dropped and counted.
* Near copies (a press release republished with other boilerplate, an edited sentence or
  another byline) are kept and marked `duplicate_of` = the id of the most similar copy seen
  before it (in crawl order), so researchers decide whether to keep syndicated copies.

State comes from the crawl-state extension (`crawler.vpcrawl_state`): persistent with
`VPCRAWL_STATE_DIR`, in memory otherwise.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from vpcrawl.pipelines import is_prepared
from vpcrawl.state.crawlstate import PendingArticle
from vpcrawl.state.sketch import fingerprint

logger = logging.getLogger(__name__)


class DedupPipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        return cls(crawler)

    def _count(self, key: str) -> None:
        self.stats.inc_value(f"vpcrawl/dedup/{key}")

    def prepare(self, item: Any) -> Any:
        """Content hash and near-duplicate signature (pure: runs in a page worker when there
        is one; the state lookups stay in `process_item`)."""
        adapter = ItemAdapter(item)
        adapter["content_hash"], adapter["signature"] = fingerprint(adapter.get("title") or "",
                                                                   adapter.get("body") or "")
        return item

    def process_item(self, item: Any) -> Any:
        ext = self.crawler.vpcrawl_state
        state, run_id = ext.state, ext.run_id
        adapter = ItemAdapter(item)
        item_id = adapter["id"]
        shared = getattr(self.crawler, "vpcrawl_redis", None)  # other workers (distributed mode)
        if state.emitted(run_id, item_id) or (shared is not None and not shared.claim_id(item_id)):
            self._count("same_url")
            raise DropItem(f"already emitted: {adapter['url']}", log_level="INFO")
        if not is_prepared(item, self):
            self.prepare(item)
        digest = adapter["content_hash"]
        signature = adapter["signature"]
        known = state.known(adapter["url"])
        if known is not None:
            if known.content_hash == digest:
                self._count("unchanged")
                raise DropItem(f"unchanged since {known.last_seen:%Y-%m-%d}: {adapter['url']}", log_level="INFO")
            adapter["revision"] = known.revision + 1
            adapter["revised_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self._count("revised")
        else:
            first = state.copy_of(digest)
            if first is None and shared is not None:
                first = shared.claim_hash(digest, item_id)
            if first is not None and first != item_id:
                self._count("exact")
                logger.info("exact copy of %s dropped: %s", first, adapter["url"])
                raise DropItem(f"exact copy of {first}: {adapter['url']}", log_level="INFO")
        found = state.near_copies(signature) + (shared.query(signature) if shared is not None else [])
        matches = sorted((m for m in found if m[0] != item_id), key=lambda m: (-m[1], m[0]))
        if matches:
            adapter["duplicate_of"] = matches[0][0]
            self._count("near")
        if shared is not None:
            shared.add(item_id, signature)
        published = adapter.get("published_at")
        state.add_pending(run_id, item_id, PendingArticle(
            canonical_url=adapter["url"], site=adapter.get("site") or "", content_hash=digest,
            signature=signature,
            published_at=datetime.fromisoformat(published) if published else None,
            seen_at=datetime.now(timezone.utc),
        ))
        return item
