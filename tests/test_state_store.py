"""StateStore: round trips, reopen, refusal of foreign/newer/corrupt files, kill safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from vpcrawl.state.canonical import article_id, canonicalize
from vpcrawl.state.sketch import content_hash
from vpcrawl.state.store import SCHEMA_VERSION, StateError, StateStore

VN = timezone(timedelta(hours=7))
T0 = datetime(2024, 3, 14, 9, 30, tzinfo=VN)
URL = canonicalize("https://thainguyen.dcs.vn/xay-dung-dang/cong-tac-van-phong/hoi-nghi-1385.html")


def test_record_round_trip_and_revisions(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.sqlite") as store:
        h1 = content_hash("Hội nghị giao ban tháng 3")
        r = store.record_article(URL, "thainguyen", h1, published_at=T0, seen_at=T0)
        assert r.status == "new" and r.record.revision == 1
        assert r.record.id == article_id(URL) and r.record.published_at == T0
        assert r.record.first_seen == r.record.last_seen == T0

        later = T0 + timedelta(days=1)
        r2 = store.record_article(URL, "thainguyen", h1, seen_at=later)
        assert r2.status == "unchanged" and r2.record.last_seen == later
        assert r2.record.first_seen == T0 and r2.record.published_at == T0

        h2 = content_hash("Hội nghị giao ban tháng 3 (sửa)")
        r3 = store.record_article(URL, "thainguyen", h2, seen_at=later)
        assert (r3.status, r3.record.revision, r3.previous_hash) == ("revised", 2, h1)
        assert r3.record.content_hash == h2

        # both revisions' hashes point at the article; http/https are the same article
        assert store.find_by_hash(h1) == store.find_by_hash(h2) == r.record.id
        assert store.find_by_hash(content_hash("khác")) is None
        assert store.seen_url(URL.replace("https://", "http://")) == r3.record
        assert store.seen_url(canonicalize("https://thainguyen.dcs.vn/other-1.html")) is None
        assert store.has_url(URL) and not store.has_url(URL + "?page=2")

        assert store.mark_removed(r.record.id, later)
        assert store.get(r.record.id).removed_at == later
        assert not store.mark_removed("00" * 8)
        # seen again: not removed any more
        assert store.record_article(URL, "thainguyen", h2).record.removed_at is None
        assert store.known_urls("thainguyen") == {URL} and store.known_urls("x") == set()
        assert store.count() == 1 and store.count("thainguyen") == 1


def test_naive_datetimes_are_vietnam_time(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        rec = store.record_article(URL, "s", None, published_at=datetime(2024, 3, 14, 9, 30))
        assert rec.record.published_at == T0 and rec.record.content_hash is None


def test_listing_marks_only_move_forward(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        listing = "https://tinhuybinhphuoc.vn/news/tag/dai-hoi/page-1"
        assert store.listing_newest("bp", listing) is None
        store.set_listing_newest("bp", listing, T0)
        store.set_listing_newest("bp", listing, T0 - timedelta(days=2))
        assert store.listing_newest("bp", listing) == T0
        store.set_listing_newest("bp", listing, None)
        assert store.listing_newest("bp", listing) == T0
        store.set_listing_newest("bp", listing, T0 + timedelta(hours=1))
        assert store.listing_newest("bp", listing) == T0 + timedelta(hours=1)
        assert store.listing_newest("other", listing) is None


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "state.sqlite"
    with StateStore(path) as store, store.batch():
        for i in range(300):
            store.record_article(f"https://x.vn/a-{i}.html", "x", f"{i:032x}", seen_at=T0)
        store.near_dups().add_text("doc", "Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 17")
    with StateStore(path) as store:
        assert store.count("x") == 300
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.find_by_hash(f"{7:032x}") == article_id("https://x.vn/a-7.html")
        nd = store.near_dups()
        assert (
            nd.query(nd.signature("Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 17"))[0][0] == "doc"
        )
        assert store.check() == "ok"


def test_batch_commits_completed_writes_on_exception(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = StateStore(path, commit_every=1000)
    with pytest.raises(RuntimeError), store.batch():
        store.record_article("https://x.vn/1", "x", "11" * 16)
        store.record_article("https://x.vn/2", "x", "22" * 16)
        raise RuntimeError("spider crashed")
    store.close()
    with StateStore(path) as again:
        assert again.count() == 2


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    StateStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 2),)
    )
    conn.commit()
    conn.close()
    with pytest.raises(StateError) as err:
        StateStore(path)
    msg = str(err.value)
    assert str(path) in msg and f"schema {SCHEMA_VERSION + 2} > {SCHEMA_VERSION}" in msg
    assert "upgrade vpcrawl" in msg and "VPCRAWL_STATE_DIR" in msg


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 100, b"SQLite format 3\x00" + os.urandom(4000)],
    ids=["garbage", "mangled-header"],
)
def test_corrupt_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(content)
    with pytest.raises(StateError) as err:
        StateStore(path)
    assert str(path) in str(err.value) and "move it aside" in str(err.value)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(StateError, match="not a vpcrawl state database"):
        StateStore(path)


def test_directory_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateError, match=str(tmp_path)):
        StateStore(tmp_path)


CHILD = textwrap.dedent(
    """
    import os, sys
    from vpcrawl.state.store import StateStore
    store = StateStore(sys.argv[1], commit_every=50, commit_seconds=3600)
    nd = store.near_dups()
    with store.batch():
        for i in range(10**7):
            with store.atomic():
                r = store.record_article(f"https://x.vn/a-{i}.html", "x", f"{i:032x}")
                nd.add(r.record.id, os.urandom(512))
            if i % 50 == 49:
                print(i + 1, flush=True)   # the 50th write of a group has committed
    """
)


def test_sigkill_mid_batch_leaves_a_consistent_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True
    )
    committed = 0
    deadline = time.monotonic() + 15
    assert proc.stdout is not None
    while committed < 1500 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line)
    time.sleep(0.05)  # let it get into the middle of the next group
    proc.send_signal(signal.SIGKILL)
    proc.wait(5)
    assert committed >= 1500, "child did not make progress"
    assert path.with_name(path.name + "-wal").exists()  # killed with an open WAL

    with StateStore(path) as store:
        assert store.check() == "ok"
        n = store.count()
        assert n >= committed and n % 50 == 0  # whole groups only
        c = store.conn
        assert c.execute("SELECT count(*) FROM hashes").fetchone()[0] == n
        orphan = c.execute(
            "SELECT count(*) FROM articles a LEFT JOIN hashes h ON h.article = a.id WHERE h.hash IS NULL"
        ).fetchone()[0]
        assert orphan == 0
        assert c.execute("SELECT count(*) FROM band_doc").fetchone()[0] == n
        assert c.execute("SELECT count(*) FROM band").fetchone()[0] == 32 * n
        # and it is writable again
        assert store.record_article("https://x.vn/after.html", "x", "ff" * 16).status == "new"


def test_atomic_is_all_or_nothing_even_inside_a_batch(tmp_path: Path) -> None:
    """`atomic()` around a whole run = one transaction (no periodic commit inside it)."""
    store = StateStore(tmp_path / "s.sqlite", commit_every=10, commit_seconds=0.0)
    with store.batch():
        store.record_article("https://x.vn/kept", "x", "aa" * 16)
        with pytest.raises(RuntimeError), store.atomic():
            for i in range(100):
                store.record_article(f"https://x.vn/{i}", "x", f"{i:032x}")
            raise RuntimeError("killed mid-run")
        with store.atomic():
            for i in range(100, 150):
                store.record_article(f"https://x.vn/{i}", "x", f"{i:032x}")
    assert store.count() == 51
    store.close()


def test_record_articles_applies_record_article_rules_in_order(tmp_path: Path) -> None:
    """The bulk form gives the rows `record_article` would write one call at a time, also when
    one article comes back within the batch (new, then unchanged, then revised)."""
    def ts(d: datetime | None) -> int | None:
        return None if d is None else int(d.timestamp())

    u = [canonicalize(f"https://x.vn/tin-{i}.html") for i in range(4)]
    ops = [  # (url, hash, published_at, seen_at)
        (u[0], "aa" * 16, None, T0), (u[1], None, T0, T0), (u[0], "aa" * 16, T0, T0 + timedelta(1)),
        (u[0], "bb" * 16, None, T0 + timedelta(2)), (u[2], "bb" * 16, T0, T0), (u[1], "cc" * 16, None, T0),
        (u[3].replace("https://", "http://"), None, None, T0), (u[3], "dd" * 16, T0, T0 + timedelta(3)),
        (u[2], "ff" * 16, T0 + timedelta(1), T0 + timedelta(1)), (u[2], "ff" * 16, T0, T0 + timedelta(2)),
    ]
    with StateStore(tmp_path / "one.sqlite") as one, StateStore(tmp_path / "bulk.sqlite") as bulk:
        for store in (one, bulk):
            store.record_article(u[1], "x", "ee" * 16, None, T0 - timedelta(9))
            store.mark_removed(article_id(u[1]), T0 - timedelta(5))
        for url, hh, pub, seen in ops:
            one.record_article(url, "x", hh, pub, seen)
        rows = ((bytes.fromhex(article_id(url)), url, "x", None if hh is None else bytes.fromhex(hh),
                 ts(seen), ts(pub)) for url, hh, pub, seen in ops)
        assert bulk.record_articles(rows, chunk=3) == len(ops)
        for table in ("articles", "hashes"):
            q = f"SELECT * FROM {table} ORDER BY 1"
            assert bulk.conn.execute(q).fetchall() == one.conn.execute(q).fetchall()
        assert [bulk.get(article_id(x)).revision for x in u] == [2, 2, 2, 2]
