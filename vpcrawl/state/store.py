"""The crawl state: which articles we have seen, their content hashes, and listing marks.

One SQLite file in WAL mode with `synchronous=NORMAL`: a killed crawl loses at most the
writes since the last commit of the current `batch()` and never corrupts the file (WAL
frames of an unfinished transaction are ignored on reopen). Keys are compact BLOBs in
WITHOUT ROWID tables (measured: ~5 µs lookups at a million keys). Timestamps are stored as
integer Unix seconds and come back as aware datetimes in Vietnam time (+07:00).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from vpcrawl.state.canonical import article_id

if TYPE_CHECKING:
    from vpcrawl.state.sketch import NearDupIndex

__all__ = [
    "SCHEMA_VERSION",
    "ArticleRecord",
    "Recorded",
    "StateError",
    "StateStore",
    "connect",
]

SCHEMA_VERSION = 1
VN_TZ = timezone(timedelta(hours=7))


class StateError(RuntimeError):
    """The state database cannot be used; the message says which file and what to do."""


def connect(path: str | Path, cache_mb: int = 64, mmap_mb: int = 256) -> sqlite3.Connection:
    """Open a SQLite file the way vpcrawl needs it (WAL, NORMAL sync, autocommit).

    At a million articles the file is ~245 MB and keys are random (hashes), so the default
    2 MB cache thrashes. Measured at 1M (benchmarks/bench_state.py), 16 MB cache without mmap
    vs 64 MB + mmap: has_url 14 -> 7.4 µs, bulk insert 42 -> 30 µs/key, near-dup add at 100k
    docs 340 -> 190 µs. The cache is allocated only as pages are used.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=10.0
        )
        if str(path) != ":memory:":
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.DatabaseError(f"cannot switch to WAL (journal_mode={mode})")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute(f"PRAGMA cache_size={-1024 * cache_mb}")
        conn.execute(f"PRAGMA mmap_size={mmap_mb * 1024 * 1024}")
    except sqlite3.DatabaseError as e:
        raise StateError(
            f"{path} is not a valid vpcrawl state database ({e}); move it aside to start fresh"
        ) from e
    return conn


def _ts(value: datetime | None) -> int | None:
    """Unix seconds; naive datetimes are taken as Vietnam wall time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    return int(value.timestamp())


def _dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, VN_TZ)


def _now() -> datetime:
    return datetime.now(VN_TZ)


@dataclass(frozen=True)
class ArticleRecord:
    """One known article (as stored)."""

    id: str
    canonical_url: str
    site: str
    content_hash: str | None
    first_seen: datetime
    last_seen: datetime
    published_at: datetime | None
    revision: int
    removed_at: datetime | None


@dataclass(frozen=True)
class Recorded:
    """Result of `record_article`: status is 'new', 'unchanged' or 'revised'."""

    status: str
    record: ArticleRecord
    previous_hash: str | None = None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS articles (
    id BLOB PRIMARY KEY,               -- 8 bytes: article_id(canonical_url)
    canonical_url TEXT NOT NULL,
    site TEXT NOT NULL,
    content_hash BLOB,                 -- 16 bytes: sketch.content_hash of the current revision
    first_seen INTEGER NOT NULL,       -- Unix seconds
    last_seen INTEGER NOT NULL,
    published_at INTEGER,
    revision INTEGER NOT NULL DEFAULT 1,
    removed_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS articles_site ON articles (site);
CREATE TABLE IF NOT EXISTS hashes (    -- every content hash ever seen -> first article with it
    hash BLOB PRIMARY KEY,
    article BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listings (
    site TEXT NOT NULL,
    listing_url TEXT NOT NULL,
    newest_published_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (site, listing_url)
) WITHOUT ROWID;
"""

# `record_article`'s rules as one statement, for `record_articles` (?5 = seen_at twice)
_SAME = "(excluded.content_hash IS NULL OR excluded.content_hash = content_hash)"
_UPSERT_ARTICLE = (
    "INSERT INTO articles VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 1, NULL) ON CONFLICT (id) DO UPDATE SET "
    f"content_hash = CASE WHEN {_SAME} THEN content_hash ELSE excluded.content_hash END, "
    f"published_at = CASE WHEN {_SAME} THEN coalesce(published_at, excluded.published_at) "
    "ELSE coalesce(excluded.published_at, published_at) END, "
    f"revision = CASE WHEN {_SAME} THEN revision ELSE revision + 1 END, "
    "last_seen = excluded.last_seen, removed_at = NULL"
)

_COLS = (
    "id, canonical_url, site, content_hash, first_seen, last_seen, published_at, revision, "
    "removed_at"
)


def _statements(script: str) -> list[str]:
    """Split a schema script (executescript would COMMIT an open transaction)."""
    lines = [ln.split("--", 1)[0] for ln in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _hash_blob(h: str | None) -> bytes | None:
    return None if h is None else bytes.fromhex(h)


class StateStore:
    """SQLite-backed crawl state. Use `with store.batch():` around many writes."""

    def __init__(self, path: str | Path, commit_every: int = 500, commit_seconds: float = 2.0):
        self.path = Path(path)
        self.commit_every = commit_every
        self.commit_seconds = commit_seconds
        self._lock = threading.RLock()
        self._batch_depth = 0
        self._tx_depth = 0
        self._pending = 0
        self._last_commit = time.monotonic()
        self._near: NearDupIndex | None = None
        self.conn = connect(self.path)
        try:
            self._open()
        except BaseException:
            self.conn.close()
            raise

    # ------------------------------------------------------------------ opening
    def _open(self) -> None:
        try:
            tables = {
                r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            version = None
            if "meta" in tables:
                row = self.conn.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'"
                ).fetchone()
                version = int(row[0]) if row else None
        except (sqlite3.DatabaseError, ValueError) as e:
            raise StateError(
                f"{self.path} is not a valid vpcrawl state database ({e}); "
                "move it aside to start fresh"
            ) from e
        if version is None and "articles" in tables:
            raise StateError(
                f"{self.path} is not a valid vpcrawl state database (no schema_version); "
                "move it aside to start fresh"
            )
        if version is None and tables - {"meta", "band", "band_doc"}:
            raise StateError(
                f"{self.path} is not a vpcrawl state database (tables: "
                f"{', '.join(sorted(tables))}); move it aside or point VPCRAWL_STATE_DIR elsewhere"
            )
        if version is not None and version > SCHEMA_VERSION:
            raise StateError(
                f"state database {self.path} was written by a newer vpcrawl (schema {version} > "
                f"{SCHEMA_VERSION}); upgrade vpcrawl or point VPCRAWL_STATE_DIR elsewhere"
            )
        try:
            with self._tx():
                for stmt in _statements(_SCHEMA):
                    self.conn.execute(stmt)
                if version is None:
                    self.conn.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
                    self.conn.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('created_at', ?)",
                        (_now().isoformat(timespec="seconds"),),
                    )
                # future migrations: `if version < 2: ...`
        except sqlite3.DatabaseError as e:
            raise StateError(
                f"{self.path} is not a valid vpcrawl state database ({e}); "
                "move it aside to start fresh"
            ) from e

    # ------------------------------------------------------------- transactions
    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One atomic write group: a savepoint inside a batch, its own transaction outside."""
        with self._lock:
            self.conn.execute("SAVEPOINT w")
            self._tx_depth += 1
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK TO w")
                self.conn.execute("RELEASE w")
                raise
            finally:
                self._tx_depth -= 1
            self.conn.execute("RELEASE w")
            if self._batch_depth and not self._tx_depth:
                self._pending += 1
                if self._pending >= self.commit_every or (
                    time.monotonic() - self._last_commit >= self.commit_seconds
                ):
                    self._commit_and_reopen()

    def atomic(self) -> AbstractContextManager[None]:
        """Make several writes (e.g. `record_article` + `near_dups().add`) one unit.

        Inside a `batch()` the periodic commit never falls between them, so a killed crawl
        never keeps an article without its sketch.
        """
        return self._tx()

    def _commit_and_reopen(self) -> None:
        self.conn.execute("COMMIT")
        self._pending = 0
        self._last_commit = time.monotonic()
        self.conn.execute("BEGIN")

    @contextmanager
    def batch(self) -> Iterator[StateStore]:
        """Group writes into transactions of `commit_every` writes (or `commit_seconds`).

        Every write method is atomic on its own, so on an exception the completed writes are
        committed; a SIGKILL loses only the writes since the last periodic commit.
        """
        with self._lock:
            self._batch_depth += 1
            if self._batch_depth == 1:
                self.conn.execute("BEGIN")
                self._pending = 0
                self._last_commit = time.monotonic()
            try:
                yield self
            finally:
                self._batch_depth -= 1
                if self._batch_depth == 0 and self.conn.in_transaction:
                    self.conn.execute("COMMIT")
                    self._pending = 0

    def commit(self) -> None:
        """Force a commit now (inside a batch the batch continues)."""
        with self._lock:
            if self.conn.in_transaction:
                if self._batch_depth:
                    self._commit_and_reopen()
                else:
                    self.conn.execute("COMMIT")

    # ------------------------------------------------------------------ articles
    def _row(self, row: tuple | None) -> ArticleRecord | None:
        if row is None:
            return None
        return ArticleRecord(
            id=row[0].hex(),
            canonical_url=row[1],
            site=row[2],
            content_hash=None if row[3] is None else row[3].hex(),
            first_seen=_dt(row[4]),  # type: ignore[arg-type]
            last_seen=_dt(row[5]),  # type: ignore[arg-type]
            published_at=_dt(row[6]),
            revision=row[7],
            removed_at=_dt(row[8]),
        )

    def get(self, article: str) -> ArticleRecord | None:
        """Record by article id (16 hex digits)."""
        row = self.conn.execute(
            f"SELECT {_COLS} FROM articles WHERE id = ?", (bytes.fromhex(article),)
        ).fetchone()
        return self._row(row)

    def seen_url(self, canonical_url: str) -> ArticleRecord | None:
        """Record of a canonical URL (http and https of one URL are the same article)."""
        return self.get(article_id(canonical_url))

    def has_url(self, canonical_url: str) -> bool:
        """Fast membership test for the spider (no record built)."""
        key = bytes.fromhex(article_id(canonical_url))
        return (
            self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (key,)).fetchone() is not None
        )

    def find_by_hash(self, content_hash: str) -> str | None:
        """Id of the first article whose text (any revision) had this content hash."""
        row = self.conn.execute(
            "SELECT article FROM hashes WHERE hash = ?", (bytes.fromhex(content_hash),)
        ).fetchone()
        return None if row is None else row[0].hex()

    def record_article(
        self,
        canonical_url: str,
        site: str,
        content_hash: str | None = None,
        published_at: datetime | None = None,
        seen_at: datetime | None = None,
    ) -> Recorded:
        """Insert or refresh an article; a changed content hash bumps the revision.

        The URL and site first recorded are kept (an http/https variant is the same article).
        """
        aid = article_id(canonical_url)
        key = bytes.fromhex(aid)
        now = _ts(seen_at or _now())
        pub = _ts(published_at)
        hblob = _hash_blob(content_hash)
        with self._tx():
            old = self.conn.execute(f"SELECT {_COLS} FROM articles WHERE id = ?", (key,)).fetchone()
            if old is None:
                row = (key, canonical_url, site, hblob, now, now, pub, 1, None)
                self.conn.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                status, previous = "new", None
            else:
                previous = None if old[3] is None else old[3].hex()
                if hblob is None or old[3] == hblob:
                    status, h, rev = "unchanged", old[3], old[7]
                    pub = old[6] if old[6] is not None else pub
                else:
                    status, h, rev = "revised", hblob, old[7] + 1
                    pub = pub if pub is not None else old[6]
                row = (key, old[1], old[2], h, old[4], now, pub, rev, None)
                self.conn.execute(
                    "UPDATE articles SET content_hash = ?, last_seen = ?, published_at = ?, "
                    "revision = ?, removed_at = NULL WHERE id = ?",
                    (h, now, pub, rev, key),
                )
            if hblob is not None:
                self.conn.execute("INSERT OR IGNORE INTO hashes VALUES (?, ?)", (hblob, key))
        rec = self._row(row)
        assert rec is not None
        return Recorded(status, rec, previous)

    def record_articles(
        self,
        rows: Iterable[tuple[bytes, str, str, bytes | None, int, int | None]],
        chunk: int = 1000,
    ) -> int:
        """`record_article` for many articles at once: the same rules, applied in the given order.

        Rows are (8-byte id, canonical_url, site, 16-byte content hash or None, seen_at,
        published_at), times in Unix seconds. A new id is inserted (revision 1, first_seen =
        last_seen = seen_at); a known one keeps its first URL, site and first_seen, gets
        last_seen = seen_at and is no longer removed; an absent or equal hash keeps the revision
        (and the stored publication time, if any), another one bumps it (and a new publication
        time, if given, replaces the stored one). Every hash is remembered (`find_by_hash`):
        the first id recorded with it wins. Rows are consumed `chunk` at a time (an iterator
        is never held in memory whole); returns the number of rows.
        """
        n = 0
        buf: list[tuple] = []
        with self._tx():
            for row in rows:
                buf.append(row)
                if len(buf) >= chunk:
                    n += self._record_chunk(buf)
            if buf:
                n += self._record_chunk(buf)
        return n

    def _record_chunk(self, buf: list[tuple]) -> int:
        self.conn.executemany(_UPSERT_ARTICLE, buf)
        self.conn.executemany(
            "INSERT OR IGNORE INTO hashes VALUES (?, ?)", [(r[3], r[0]) for r in buf if r[3] is not None]
        )
        n = len(buf)
        buf.clear()
        return n

    @contextmanager
    def cache_limit(self, mb: int) -> Iterator[None]:
        """Keep at most `mb` MB of this file's pages in RAM meanwhile, then the usual cache size.

        For one big transaction: SQLite holds every page it dirtied until COMMIT unless the
        cache is full, so a run's commit would otherwise grow the process by the size of what
        it writes (up to the 64 MB cache); with a small cache the pages spill to the WAL.
        """
        with self._lock:
            old = self.conn.execute("PRAGMA main.cache_size").fetchone()[0]
            self.conn.execute(f"PRAGMA main.cache_size = {-1024 * mb}")
            try:
                yield
            finally:
                self.conn.execute(f"PRAGMA main.cache_size = {int(old)}")

    def import_articles(
        self,
        rows: Iterable[tuple[str, str, str | None, datetime | None]],
        seen_at: datetime | None = None,
        chunk: int = 10_000,
    ) -> int:
        """Bulk insert (canonical_url, site, content_hash, published_at); known ids are kept.

        For seeding a state from an earlier export; returns the number of rows offered.
        """
        now = _ts(seen_at or _now())
        n = 0
        buf: list[tuple] = []
        hbuf: list[tuple] = []

        def flush() -> None:
            buf.sort()  # key order: each B-tree page is touched once per chunk, not per row
            hbuf.sort()
            with self._tx():
                self.conn.executemany(
                    "INSERT OR IGNORE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, 1, NULL)", buf
                )
                self.conn.executemany("INSERT OR IGNORE INTO hashes VALUES (?, ?)", hbuf)
            buf.clear()
            hbuf.clear()

        for url, site, h, pub in rows:
            key = bytes.fromhex(article_id(url))
            hb = _hash_blob(h)
            buf.append((key, url, site, hb, now, now, _ts(pub)))
            if hb is not None:
                hbuf.append((hb, key))
            n += 1
            if len(buf) >= chunk:
                flush()
        if buf:
            flush()
        return n

    def mark_removed(self, article: str, when: datetime | None = None) -> bool:
        """Mark an article as gone from its portal (404/410 on recrawl). False if unknown."""
        with self._tx():
            cur = self.conn.execute(
                "UPDATE articles SET removed_at = ? WHERE id = ?",
                (_ts(when or _now()), bytes.fromhex(article)),
            )
        return cur.rowcount > 0

    def known_urls(self, site: str) -> set[str]:
        """Canonical URLs already recorded for a site (removed ones included)."""
        return {
            r[0]
            for r in self.conn.execute("SELECT canonical_url FROM articles WHERE site = ?", (site,))
        }

    def count(self, site: str | None = None) -> int:
        if site is None:
            return self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        return self.conn.execute(
            "SELECT count(*) FROM articles WHERE site = ?", (site,)
        ).fetchone()[0]

    # ------------------------------------------------------------------ listings
    def listing_newest(self, site: str, listing_url: str) -> datetime | None:
        """Newest publication time seen on a listing page in earlier runs."""
        row = self.conn.execute(
            "SELECT newest_published_at FROM listings WHERE site = ? AND listing_url = ?",
            (site, listing_url),
        ).fetchone()
        return None if row is None else _dt(row[0])

    def set_listing_newest(
        self, site: str, listing_url: str, newest: datetime | None, when: datetime | None = None
    ) -> None:
        """Remember the newest date seen on a listing; never moves the mark backwards."""
        with self._tx():
            self.conn.execute(
                "INSERT INTO listings VALUES (?, ?, ?, ?) ON CONFLICT (site, listing_url) DO "
                "UPDATE SET newest_published_at = max(coalesce(newest_published_at, "
                "excluded.newest_published_at), coalesce(excluded.newest_published_at, "
                "newest_published_at)), updated_at = excluded.updated_at",
                (site, listing_url, _ts(newest), _ts(when or _now())),
            )

    # --------------------------------------------------------------- near dups
    def near_dups(self, threshold: float | None = None) -> NearDupIndex:
        """The near-duplicate index on this store's connection (same transactions)."""
        from vpcrawl.state.sketch import DEFAULT_THRESHOLD, NearDupIndex

        if self._near is None:
            self._near = NearDupIndex(self.conn, threshold=threshold or DEFAULT_THRESHOLD)
        elif threshold is not None:
            self._near.threshold = threshold
        return self._near

    # ------------------------------------------------------------------- misc
    def check(self) -> str:
        """`PRAGMA quick_check` result ('ok' when the file is sound)."""
        return self.conn.execute("PRAGMA quick_check").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
            self.conn.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
