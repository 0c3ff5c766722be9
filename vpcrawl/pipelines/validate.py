"""Last gate before export: classify Party documents, then validate against the JSON Schema.

An invalid item is never silently dropped: it is counted (`vpcrawl/validate/invalid`) and
written with its reasons to the rejects file (`VPCRAWL_REJECTS_FILE`, JSON Lines), then
dropped so the data file holds only valid items.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from vpcrawl.documents import classify, documents_of
from vpcrawl.pipelines import is_prepared
from vpcrawl.schema import reject_record, validate

logger = logging.getLogger(__name__)


def problems(item: Any) -> list[str]:
    """What is wrong with an item (empty when it may be exported)."""
    return validate(item)


class ValidatePipeline:
    def __init__(self, stats: Any, rejects_path: str = "") -> None:
        self.stats = stats
        self.rejects_path = Path(rejects_path) if rejects_path else None
        self._rejects: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        return cls(crawler.stats, crawler.settings.get("VPCRAWL_REJECTS_FILE", ""))

    def close_spider(self) -> None:
        if self._rejects is not None:
            self._rejects.close()

    def _reject(self, item: Any, found: list[str]) -> None:
        if self.rejects_path is None:
            return
        if self._rejects is None:
            self.rejects_path.parent.mkdir(parents=True, exist_ok=True)
            self._rejects = self.rejects_path.open("a", encoding="utf-8")
        self._rejects.write(json.dumps(reject_record(item, found), ensure_ascii=False, default=str) + "\n")
        self._rejects.flush()

    def prepare(self, item: Any) -> Any:
        """Party documents cited, and the kind of page (pure: runs in a page worker when
        there is one; the schema check stays in `process_item`, after dedup's fields)."""
        adapter = ItemAdapter(item)
        adapter["documents"] = documents_of(adapter)
        adapter["kind"] = classify(adapter)
        return item

    def process_item(self, item: Any) -> Any:
        if not is_prepared(item, self):
            self.prepare(item)
        found = validate(item)
        if found:
            self.stats.inc_value("vpcrawl/validate/invalid")
            logger.warning("invalid item %s: %s", ItemAdapter(item).get("url"), "; ".join(found))
            self._reject(item, found)
            raise DropItem("; ".join(found))
        self.stats.inc_value("vpcrawl/validate/ok")
        return item
