"""Feed storage that never leaves a half-written export looking complete.

Scrapy's file storage writes straight into the final path, so a killed crawl leaves a
truncated `out.jsonl` that looks like a result. This storage writes `<path>.part` and renames
it to `<path>` only when the feed is closed normally; the rename is atomic on POSIX. It
replaces the `file` scheme (and plain paths), so `scrapy crawl portal -O out.jsonl` gets it too.
After the rename it tells the crawl state, which commits the run's articles only then.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from scrapy.extensions.feedexport import FileFeedStorage

PART_SUFFIX = ".part"


class AtomicFileFeedStorage(FileFeedStorage):
    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Any = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.final_path = Path(self.path)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any, uri: str, *, feed_options: dict[str, Any] | None = None
                     ) -> AtomicFileFeedStorage:
        return cls(uri, feed_options=feed_options, crawler=crawler)

    @property
    def part_path(self) -> Path:
        return self.final_path.with_name(self.final_path.name + PART_SUFFIX)

    def open(self, spider: Any) -> IO[bytes]:
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        if self.write_mode == "ab" and self.final_path.exists() and not self.part_path.exists():
            # append mode (-o): continue from the complete file we already have
            self.part_path.write_bytes(self.final_path.read_bytes())
        return self.part_path.open(self.write_mode)

    def store(self, file: IO[bytes]) -> None:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        if self.crawler is not None:
            # the crawl state commits now: after this the data exists, complete, in `.part`
            self.crawler.signals.send_catch_log(feed_ready, part_path=self.part_path,
                                                final_path=self.final_path)
        os.replace(self.part_path, self.final_path)
        if self.crawler is not None:
            self.crawler.stats.set_value("vpcrawl/feed/committed", str(self.final_path))
            self.crawler.signals.send_catch_log(feed_committed, path=self.final_path)
        return None


feed_ready = object()  # signal: a feed is complete in its .part file (kwargs: part_path, final_path)
feed_committed = object()  # signal: a feed file is complete under its final name (kwargs: path)
