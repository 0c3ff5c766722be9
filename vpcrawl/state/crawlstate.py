"""What a crawl knows across runs, and the rule that keeps it honest: commit with the data.

An article counts as known only once the file holding it is complete. During a run new
articles are pending: rows in a scratch SQLite file (not RAM: a 20,000-article run would hold
~30 MB of ids, hashes and signatures), with the run's near-duplicate sketches next to them;
when a feed is ready its run's pending articles are written in ONE transaction, together with
a `runs` row naming the finished `.part` file and its final name, and only then is the file
renamed. A run killed before that commit leaves the state as it was (so the next run fetches
those articles again: nothing lost); one killed between commit and rename is finished on the
next open (the `.part` file is complete and is renamed: nothing duplicated).

One `CrawlState` per state file is shared by all crawlers of a process (`for_path`), so a press
release syndicated by two portals crawled side by side is recognised within the run.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import ClassVar

from vpcrawl.state.canonical import article_id as url_id
from vpcrawl.state.sketch import NearDupIndex
from vpcrawl.state.store import ArticleRecord, StateStore, _statements, _ts, connect

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


# The run's pending articles, in the scratch file (next to `pending_near`'s `band`/`band_doc`).
# `seq` is the order of arrival: the commit records them in that order, as `record_article`
# one by one would have. Lookups: "emitted in this run?" (pending_doc), "which pending article
# has this text?" (pending_hash: the first one), "the run's rows in order" (pending_run).
_PENDING = """
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,              -- CrawlState._run_nos[run_id]
    doc_id TEXT NOT NULL,              -- the item's id (its near-duplicate doc id)
    key BLOB NOT NULL,                 -- 8 bytes: article_id(canonical_url), the articles key
    canonical_url TEXT NOT NULL,
    site TEXT NOT NULL,
    content_hash BLOB,                 -- 16 bytes
    published_at INTEGER,              -- Unix seconds
    seen_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS pending_doc ON pending (run, doc_id);
CREATE INDEX IF NOT EXISTS pending_hash ON pending (content_hash);
CREATE INDEX IF NOT EXISTS pending_run ON pending (run);
"""
SCRATCH = "vp_pending"  # schema name of the scratch file attached to the state connection
_SCRATCH_COMMIT_EVERY = 500  # articles per scratch transaction (the file is disposable)
# Page cache of the scratch file: full after ~2,500 articles, then memory stays flat. Measured
# per article (lookups + add_pending, 12,000 articles): 8 MB ~330 us, 4 MB ~340 us, 2 MB ~400 us.
_SCRATCH_CACHE_MB = 4
# Page cache of the state file while a run is committed (pages spill to the WAL beyond it).
# Measured on 20,000 articles, peak RSS during the commit: +29 MB with the usual 64 MB (every
# page dirtied is held until COMMIT), +11 MB with 8 MB, +5 MB with 4 MB; ~0.9 s each way.
_COMMIT_CACHE_MB = 4
_CHUNK = 1000  # rows read from the scratch file at a time
_SCRATCH_PREFIX = "vpcrawl-pending-"  # + owner pid + "-": a killed run's folder is swept later


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _sweep_dead_scratch(tmp: str | None = None) -> list[Path]:
    """Delete scratch folders whose owner process is gone (a run killed with SIGKILL cannot
    clean up after itself); returns what was removed. Folders of live processes are kept."""
    removed = []
    for folder in Path(tmp or tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(_SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@dataclass
class PendingArticle:
    canonical_url: str
    site: str
    content_hash: str
    signature: bytes
    published_at: datetime | None
    seen_at: datetime


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
        # This run's articles and sketches live in a scratch SQLite file, not in RAM: memory
        # stays flat over a long crawl (the file is deleted on release; a killed run's folder
        # is swept by the next run on this machine). Its writes are grouped in transactions of a few hundred.
        _sweep_dead_scratch()
        self._scratch = tempfile.TemporaryDirectory(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-")
        scratch_path = Path(self._scratch.name) / "pending.sqlite3"
        self.scratch = connect(scratch_path, cache_mb=_SCRATCH_CACHE_MB, mmap_mb=0)
        self.scratch.execute("PRAGMA synchronous=OFF")
        for stmt in _statements(_PENDING):
            self.scratch.execute(stmt)
        self.pending_near = NearDupIndex(self.scratch, threshold=threshold)
        same = ("num_perm", "bands", "rows", "shingle")
        if any(getattr(self.near, a) != getattr(self.pending_near, a) for a in same):
            raise ValueError("pending and committed near-duplicate indexes differ")  # pragma: no cover
        # the commit copies the run's rows from the scratch file with INSERT ... SELECT
        self.store.conn.execute(f"ATTACH DATABASE ? AS {SCRATCH}", (str(scratch_path),))
        # read through the page cache, not mmap: mapped pages of the whole file would count
        # in the crawler's RSS (measured: +29 MB at the commit of 20,000 articles)
        self.store.conn.execute(f"PRAGMA {SCRATCH}.mmap_size = 0")
        self.store.conn.execute(f"PRAGMA {SCRATCH}.cache_size = -1024")  # read once, in order
        self._scratch_writes = 0
        self._run_nos: dict[str, int] = {}  # run id -> its number in the scratch rows
        self._run_counter = itertools.count(1)
        self._removals: dict[str, list[tuple[str, str, int]]] = {}  # (id, url, http status); rare
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

    # ----------------------------------------------------------------- scratch
    def _run_no(self, run_id: str) -> int:
        no = self._run_nos.get(run_id)
        if no is None:
            no = self._run_nos[run_id] = next(self._run_counter)
        return no

    def _flush_scratch(self) -> None:
        if self.scratch.in_transaction:
            self.scratch.execute("COMMIT")
        self._scratch_writes = 0

    # ----------------------------------------------------------------- lookups
    def emitted(self, run_id: str, article_id: str) -> bool:
        """Whether this run already has the article pending (emitted it)."""
        no = self._run_nos.get(run_id)
        return no is not None and self.scratch.execute(
            "SELECT 1 FROM pending WHERE run = ? AND doc_id = ?", (no, article_id)
        ).fetchone() is not None

    def pending_count(self, run_id: str) -> int:
        no = self._run_nos.get(run_id)
        if no is None:
            return 0
        return self.scratch.execute("SELECT count(*) FROM pending WHERE run = ?", (no,)).fetchone()[0]

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
        """Id of an article (pending in any run of this process, else committed) with exactly
        this text: the first one seen."""
        row = self.scratch.execute(
            "SELECT doc_id FROM pending WHERE content_hash = ? ORDER BY seq LIMIT 1",
            (bytes.fromhex(content_hash),),
        ).fetchone()
        return row[0] if row is not None else self.store.find_by_hash(content_hash)

    def near_copies(self, signature: bytes) -> list[tuple[str, float]]:
        return sorted(self.near.query(signature) + self.pending_near.query(signature),
                      key=lambda m: (-m[1], m[0]))

    # ------------------------------------------------------------------ writes
    def add_pending(self, run_id: str, article_id: str, article: PendingArticle) -> None:
        """Remember an emitted article until its run is committed (again: replaces it)."""
        row = (self._run_no(run_id), article_id, bytes.fromhex(url_id(article.canonical_url)),
               article.canonical_url, article.site,
               None if article.content_hash is None else bytes.fromhex(article.content_hash),
               _ts(article.published_at), _ts(article.seen_at))
        conn = self.scratch
        if not conn.in_transaction:
            conn.execute("BEGIN")
        conn.execute("SAVEPOINT pending")
        try:
            conn.execute(
                "INSERT INTO pending (run, doc_id, key, canonical_url, site, content_hash, "
                "published_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run, doc_id) DO UPDATE SET key = excluded.key, "
                "canonical_url = excluded.canonical_url, site = excluded.site, "
                "content_hash = excluded.content_hash, published_at = excluded.published_at, "
                "seen_at = excluded.seen_at",
                row,
            )
            self.pending_near.add(article_id, article.signature)
        except BaseException:
            conn.execute("ROLLBACK TO pending")
            conn.execute("RELEASE pending")
            raise
        conn.execute("RELEASE pending")
        self._scratch_writes += 1
        if self._scratch_writes >= _SCRATCH_COMMIT_EVERY:
            self._flush_scratch()

    def add_removal(self, run_id: str, article_id: str, url: str, status: int) -> None:
        self._removals.setdefault(run_id, []).append((article_id, url, status))

    def _pending_rows(self, run_no: int) -> Iterator[tuple]:
        """The run's pending articles in order of arrival, read `_CHUNK` rows at a time."""
        last = 0
        while True:
            rows = self.store.conn.execute(
                f"SELECT seq, key, canonical_url, site, content_hash, seen_at, published_at "
                f"FROM {SCRATCH}.pending WHERE run = ? AND seq > ? ORDER BY seq LIMIT ?",
                (run_no, last, _CHUNK),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for r in rows:
                yield r[1:]

    def _commit_sketches(self, run_no: int) -> None:
        """`near.add` for each pending article of the run, in bulk (same rows as one by one)."""
        self.near.add_from(SCRATCH, f"SELECT seq, doc_id FROM {SCRATCH}.pending WHERE run = ?",
                           (run_no,), chunk=_CHUNK)

    def _drop_pending(self, run_no: int) -> None:
        """Forget a committed run's rows in the scratch file (a doc id another run still has
        pending keeps its sketch)."""
        conn = self.scratch
        conn.execute("BEGIN")
        if conn.execute("SELECT 1 FROM pending WHERE run != ? LIMIT 1", (run_no,)).fetchone() is None:
            for table in ("band", "band_doc", "pending"):
                conn.execute(f"DELETE FROM {table}")
        else:
            gone = ("SELECT doc_id FROM pending WHERE run = ? EXCEPT "
                    "SELECT doc_id FROM pending WHERE run != ?")
            conn.execute(f"DELETE FROM band WHERE doc IN (SELECT num FROM band_doc WHERE doc_id IN ({gone}))",
                         (run_no, run_no))
            conn.execute(f"DELETE FROM band_doc WHERE doc_id IN ({gone})", (run_no, run_no))
            conn.execute("DELETE FROM pending WHERE run = ?", (run_no,))
        conn.execute("COMMIT")

    def commit_run(self, run_id: str, site: str, part_path: str | None = None,
                   final_path: str | None = None) -> int:
        """Write the run's pending articles and removals in one transaction; returns the count.

        Bulk statements fed from the scratch file, in chunks: neither the time nor the memory
        of a commit grows with a savepoint or a Python object per article, and the state
        file's page cache is kept small meanwhile (pages spill to the WAL), so the commit of
        a long run does not raise the crawl's peak memory.
        """
        self._flush_scratch()
        run_no = self._run_nos.get(run_id)
        removals = self._removals.get(run_id, [])
        now = datetime.now(timezone.utc)
        count = 0
        # the scratch file's own cache is not needed meanwhile: its memory serves the commit
        self.scratch.execute("PRAGMA cache_size = -1024")
        try:
            with self.store.cache_limit(_COMMIT_CACHE_MB), self.store.atomic():
                # all or nothing: the run's articles, sketches, removals and run row
                if run_no is not None:
                    count = self.store.record_articles(self._pending_rows(run_no), chunk=_CHUNK)
                    self._commit_sketches(run_no)
                for aid, url, status in removals:
                    self.store.mark_removed(aid, now)
                    self.store.conn.execute(
                        "INSERT OR REPLACE INTO removals VALUES (?, ?, ?, ?, ?)",
                        (bytes.fromhex(aid), url, site, int(now.timestamp()), status),
                    )
                self.store.conn.execute(
                    "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (run_id, site, part_path, final_path, "committing" if final_path else "done",
                     int(now.timestamp()), count),
                )
            # committed: the run is over (a failed commit keeps it pending, to be retried)
            self._run_nos.pop(run_id, None)
            self._removals.pop(run_id, None)
            if run_no is not None:
                self._drop_pending(run_no)
        finally:
            self.scratch.execute(f"PRAGMA cache_size = {-1024 * _SCRATCH_CACHE_MB}")
        return count

    def mark_done(self, run_id: str) -> None:
        with self.store.atomic():
            self.store.conn.execute("UPDATE runs SET status = 'done' WHERE run_id = ?", (run_id,))

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0 and not self.closed:
            self.store.close()
            self.scratch.close()
            self._scratch.cleanup()
            self.closed = True
