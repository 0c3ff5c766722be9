"""Item pipelines, in order: clean text → resolve dates → deduplicate → validate.

Each is a thin Scrapy wrapper (with `from_crawler`) over pure functions; each counts what it
did in the crawl stats under `vpcrawl/<stage>/<what>`. A pipeline's `prepare(item)` is the part
of its work that needs no crawl state: page workers run it where the page is read
(vpcrawl/pagework.py) and `process_item` skips it then (`is_prepared`).
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter


def stage_name(pipeline: Any) -> str:
    """The name a prepared stage is recorded under in `item.prepared` (the class's path)."""
    cls = pipeline if isinstance(pipeline, type) else type(pipeline)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_prepared(item: Any, pipeline: Any) -> bool:
    """Whether `pipeline.prepare` already ran on this item in a page worker."""
    prepared = ItemAdapter(item).get("prepared") if ItemAdapter.is_item(item) else None
    return bool(prepared) and stage_name(pipeline) in prepared
