"""What a crawl knows across runs, and the rule that keeps it honest: commit with the data.

An article counts as known only once the file holding it is complete. During a run new
articles live in `pending` (memory: ids, hashes, an in-memory near-duplicate index); when a
feed is ready its run's pending articles are written in ONE transaction, together with a
`runs` row naming the finished `.part` file and its final name, and only then is the file
renamed. A run killed before that commit leaves the state as it was (so the next run fetches
those articles again: nothing lost); one killed between commit and rename is finished on the
next open (the `.part` file is complete and is renamed: nothing duplicated).

One `CrawlState` per state file is shared by all crawlers of a process (`for_path`), so a press
release syndicated by two portals crawled side by side is recognised within the run.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

from vpcrawl.state.sketch import NearDupIndex, fingerprint
from vpcrawl.state.store import ArticleRecord, StateStore, connect

_RUNS = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    part_path TEXT,
    final_path TEXT,
    status TEXT NOT NULL,              -- committing | done
    committed_at INTEGER NOT NULL,
    articles INTEGER NOT NULL
) WITHOUT ROWID
"""
_REMOVED = """
CREATE TABLE IF NOT EXISTS removals (
    article BLOB NOT NULL,
    canonical_url TEXT NOT NULL,
    site TEXT NOT NULL,
    removed_at INTEGER NOT NULL,
    status INTEGER,
    PRIMARY KEY (article, removed_at)
) WITHOUT ROWID
"""


@dataclass
class PendingArticle:
    canonical_url: str
    site: str
    content_hash: str
    signature: bytes
    published_at: datetime | None
    seen_at: datetime


@dataclass
class RunPending:
    articles: dict[str, PendingArticle] = field(default_factory=dict)  # by article id
    removals: list[tuple[str, str, int]] = field(default_factory=list)  # (id, url, http status)


class CrawlState:
    _shared: ClassVar[dict[Path, CrawlState]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def for_path(cls, path: str | Path, threshold: float) -> CrawlState:
        """The process-wide state for one state file (memory-only for ':memory:')."""
        key = Path(path) if str(path) == ":memory:" else Path(path).resolve()
        with cls._shared_lock:
            state = cls._shared.get(key)
            if state is None or state.closed:
                state = cls(path, threshold)
                if str(path) != ":memory:":
                    cls._shared[key] = state
            state.users += 1
            return state

    def __init__(self, path: str | Path, threshold: float) -> None:
        self.path = path
        self.store = StateStore(path)
        self.near = self.store.near_dups(threshold)
        with self.store.atomic():
            self.store.conn.execute(_RUNS)
            self.store.conn.execute(_REMOVED)
        # This run's sketches live in a scratch SQLite file, not in RAM: memory stays flat over
        # a long crawl (the file is deleted on release; a killed run leaves only a temp file).
        self._scratch = tempfile.TemporaryDirectory(prefix="vpcrawl-pending-")
        scratch = connect(Path(self._scratch.name) / "pending.sqlite3", cache_mb=8, mmap_mb=0)
        scratch.execute("PRAGMA synchronous=OFF")
        self.pending_near = NearDupIndex(scratch, threshold=threshold)
        self.runs: dict[str, RunPending] = {}
        self.pending_hashes: dict[str, str] = {}  # content hash -> article id (this run, all crawlers)
        self.users = 0
        self.closed = False
        self.recovered = self._recover()

    # ---------------------------------------------------------------- recovery
    def _recover(self) -> list[str]:
        """Finish runs whose state was committed but whose data file was not yet renamed."""
        finished = []
        rows = self.store.conn.execute(
            "SELECT run_id, part_path, final_path FROM runs WHERE status = 'committing'"
        ).fetchall()
        for run_id, part, final in rows:
            if part and final and Path(part).exists() and not Path(final).exists():
                os.replace(part, final)
                finished.append(final)
            with self.store.atomic():
                self.store.conn.execute("UPDATE runs SET status = 'done' WHERE run_id = ?", (run_id,))
        return finished

    # ----------------------------------------------------------------- lookups
    def run(self, run_id: str) -> RunPending:
        return self.runs.setdefault(run_id, RunPending())

    def known(self, canonical_url: str) -> ArticleRecord | None:
        return self.store.seen_url(canonical_url)

    def known_urls(self, site: str) -> set[str]:
        return self.store.known_urls(site)

    def recent_urls(self, site: str, since: datetime) -> list[str]:
        """Known, not removed articles of a site published since `since` (for re-checks)."""
        rows = self.store.conn.execute(
            "SELECT canonical_url FROM articles WHERE site = ? AND removed_at IS NULL "
            "AND COALESCE(published_at, first_seen) >= ?",
            (site, int(since.timestamp())),
        ).fetchall()
        return [r[0] for r in rows]

    def copy_of(self, content_hash: str) -> str | None:
        """Id of an article (committed or pending) with exactly this text."""
        return self.pending_hashes.get(content_hash) or self.store.find_by_hash(content_hash)

    def near_copies(self, signature: bytes) -> list[tuple[str, float]]:
        return sorted(self.near.query(signature) + self.pending_near.query(signature),
                      key=lambda m: (-m[1], m[0]))

    def fingerprint(self, title: str, body: str) -> tuple[str, bytes]:
        """(content hash, near-duplicate signature) of an article, in one pass."""
        return fingerprint(title, body, self.near.num_perm, self.near.shingle)

    # ------------------------------------------------------------------ writes
    def add_pending(self, run_id: str, article_id: str, article: PendingArticle) -> None:
        self.run(run_id).articles[article_id] = article
        self.pending_hashes.setdefault(article.content_hash, article_id)
        self.pending_near.add(article_id, article.signature)

    def add_removal(self, run_id: str, article_id: str, url: str, status: int) -> None:
        self.run(run_id).removals.append((article_id, url, status))

    def commit_run(self, run_id: str, site: str, part_path: str | None = None,
                   final_path: str | None = None) -> int:
        """Write the run's pending articles and removals in one transaction; returns the count."""
        pending = self.runs.pop(run_id, RunPending())
        now = datetime.now(timezone.utc)
        with self.store.atomic():  # all or nothing: the run's articles, removals and run row
            for aid, art in pending.articles.items():
                with self.store.atomic():
                    self.store.record_article(art.canonical_url, art.site, art.content_hash,
                                              art.published_at, art.seen_at)
                    self.near.add(aid, art.signature)
            for aid, url, status in pending.removals:
                self.store.mark_removed(aid, now)
                self.store.conn.execute(
                    "INSERT OR REPLACE INTO removals VALUES (?, ?, ?, ?, ?)",
                    (bytes.fromhex(aid), url, site, int(now.timestamp()), status),
                )
            self.store.conn.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, site, part_path, final_path, "committing" if final_path else "done",
                 int(now.timestamp()), len(pending.articles)),
            )
        for aid, art in pending.articles.items():
            self.pending_near.remove(aid)
            if self.pending_hashes.get(art.content_hash) == aid:
                del self.pending_hashes[art.content_hash]
        return len(pending.articles)

    def mark_done(self, run_id: str) -> None:
        with self.store.atomic():
            self.store.conn.execute("UPDATE runs SET status = 'done' WHERE run_id = ?", (run_id,))

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0 and not self.closed:
            self.store.close()
            self.pending_near.conn.close()
            self._scratch.cleanup()
            self.closed = True
