"""Clean text fields: legacy encodings, Unicode, boilerplate, stop markers, captions, bylines."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from vpcrawl.pipelines import is_prepared
from vpcrawl.text.boilerplate import clean_blocks
from vpcrawl.text.byline import Byline, parse_byline, split_byline, split_dateline
from vpcrawl.text.legacy import detect_and_convert
from vpcrawl.text.normalize import clean_text, clean_texts, restyle_tones

logger = logging.getLogger(__name__)
MAX_FIELD_CHARS = 1_000_000
LEGACY_FONT = {"tcvn3": ".VnTime", "vni": "VNI-Times"}  # a 5 MB "article" is a broken page, not a text to clean


class CleanTextPipeline:
    def __init__(self, stats: Any, tone_style: str = "keep") -> None:
        if tone_style not in ("keep", "old", "new"):
            raise ValueError(f"VPCRAWL_TONE_STYLE={tone_style!r}: expected keep, old or new")
        self.stats = stats
        self.tone_style = tone_style

    @classmethod
    def from_crawler(cls, crawler: Any) -> CleanTextPipeline:
        return cls(crawler.stats, crawler.settings.get("VPCRAWL_TONE_STYLE", "keep"))

    def _count(self, key: str) -> None:
        self.stats.inc_value(f"vpcrawl/clean/{key}")

    def _text(self, value: str | None, font_hint: str | None) -> str | None:
        if not value:
            return None
        if len(value) > MAX_FIELD_CHARS:
            self._count("truncated_field")
            value = value[:MAX_FIELD_CHARS]
        if font_hint:
            value, _ = detect_and_convert(value, font_hint)
        value = clean_text(value)
        if self.tone_style != "keep":
            value = restyle_tones(value, self.tone_style)
        return value or None

    def _texts(self, values: list[str], font_hint: str | None) -> list[str]:
        """`_text` of each value, empty results dropped (the paragraphs of a body: cleaned
        together when no legacy font or tone style asks for more than `clean_text`)."""
        if font_hint or self.tone_style != "keep" or any(len(v) > MAX_FIELD_CHARS for v in values):
            return [t for t in (self._text(v, font_hint) for v in values) if t]
        return [t for t in clean_texts(values) if t]

    def process_item(self, item: Any) -> Any:
        if is_prepared(item, self):
            return item
        try:
            return self.prepare(item)
        except DropItem as exc:
            # logged here, once: `prepare` may also have run (and stopped) where a page was
            # read, in a page worker or in the crawler itself
            logger.warning("dropped %s", exc)
            raise

    def prepare(self, item: Any) -> Any:
        """All of the cleaning (pure: runs in a page worker when there is one)."""
        adapter = ItemAdapter(item)
        # Detect a legacy font encoding once per article, on all of its text together.
        blocks: list[str] = list(adapter.get("body_blocks") or [])
        sample = " ".join([adapter.get("title") or "", adapter.get("summary") or "", *blocks[:20]])
        _, encoding = detect_and_convert(sample[:20_000], adapter.get("legacy_font_hint"))
        if encoding:
            self._count(f"legacy/{encoding}")
            # each field is still tested on its own (a Unicode title over a pasted TCVN3 body),
            # with the detected encoding's font as the hint that lowers the bar
            encoding = adapter.get("legacy_font_hint") or LEGACY_FONT.get(encoding) or encoding
        for name in ("title", "summary", "category"):
            adapter[name] = self._text(adapter.get(name), encoding)
        cleaned = self._texts(blocks, encoding)
        cleaned = clean_blocks(cleaned)
        summary = adapter.get("summary")
        dateline_source = None
        if summary:
            summary, dateline_source = split_dateline(summary)
            adapter["summary"] = summary or None
        if cleaned and summary and cleaned[0] == summary:
            cleaned = cleaned[1:]  # some CMS repeat the lead as the first body paragraph
        if cleaned:
            first, first_source = split_dateline(cleaned[0])
            if first_source:
                cleaned[0] = first
                dateline_source = dateline_source or first_source
        byline: Byline | None = None
        for line in adapter.get("byline_lines") or []:
            parsed = parse_byline(self._text(line, encoding) or "")
            if parsed is not None:
                byline = _merge(byline, parsed)
        cleaned, tail = split_byline(cleaned)
        if tail is not None:
            byline = _merge(byline, tail)
        adapter["body"] = "\n\n".join(cleaned) if cleaned else None
        # the blocks are consumed: `body` is the cleaned text (keeping both doubles every
        # article in memory and in transit from a page worker)
        adapter["body_blocks"] = []
        adapter["author"] = byline.author if byline else None
        adapter["source"] = (byline.source if byline else None) or dateline_source
        adapter["tags"] = [t for t in (self._text(t, encoding) for t in adapter.get("tags") or []) if t]
        for image in adapter.get("images") or []:
            image["caption"] = self._text(image.get("caption"), encoding)
        for doc in adapter.get("attachments") or []:
            doc["title"] = self._text(doc.get("title"), encoding)
        if not adapter.get("title") or not adapter.get("body"):
            self._count("dropped_empty")
            missing = "title" if not adapter.get("title") else "body"
            raise DropItem(f"{adapter.get('url')}: no {missing} after cleaning")
        self._count("items")
        return item


def _merge(first: Byline | None, second: Byline) -> Byline:
    """Explicit byline elements win; the body's tail byline fills what they lack."""
    if first is None:
        return second
    return Byline(
        authors=first.authors or second.authors,
        source=first.source or second.source,
        raw=f"{first.raw} | {second.raw}",
    )
