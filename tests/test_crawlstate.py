"""CrawlState: pending articles live in the scratch file; the bulk commit equals one-by-one writes."""

from __future__ import annotations

import os
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from vpcrawl.state.canonical import article_id
from vpcrawl.state.crawlstate import CrawlState, PendingArticle
from vpcrawl.state.store import StateStore

VN = timezone(timedelta(hours=7))
T0 = datetime(2024, 3, 14, 9, 30, tzinfo=VN)
SITE = "tinhuy-binhphuoc"


def url(i: int) -> str:
    return f"https://tinhuybinhphuoc.vn/news/tin-hoat-dong/hoi-nghi-lan-thu-{i}-{i}.html"


def h(i: int) -> str:
    return f"{i:032x}"


def sig(i: int, empty: bool = False) -> bytes:
    if empty:
        return np.full(128, 0xFFFFFFFF, dtype="<u4").tobytes()
    return np.random.default_rng(i).integers(0, 2**32, 128, dtype=np.uint32).astype("<u4").tobytes()


def near(i: int, changed: int = 20) -> bytes:
    """A near copy of sig(i): `changed` of the 128 values differ."""
    s = np.frombuffer(sig(i), dtype="<u4").copy()
    s[:changed] ^= 0x5A5A5A5A
    return s.tobytes()


def pending(i: int, hash_: str | None = None, signature: bytes | None = None,
            published: datetime | None = T0, seen: datetime = T0 + timedelta(days=1)) -> PendingArticle:
    return PendingArticle(url(i), SITE, hash_ if hash_ is not None else h(i),
                          signature if signature is not None else sig(i), published, seen)


def dump(store: StateStore) -> dict[str, list]:
    c = store.conn
    return {
        "articles": c.execute("SELECT * FROM articles ORDER BY id").fetchall(),
        "hashes": c.execute("SELECT * FROM hashes ORDER BY hash").fetchall(),
        "band_doc": c.execute("SELECT doc_id, sig FROM band_doc ORDER BY doc_id").fetchall(),
        "band": c.execute("SELECT b.band_no, b.hash, d.doc_id FROM band AS b JOIN band_doc AS d "
                          "ON d.num = b.doc ORDER BY 1, 2, 3").fetchall(),
    }


@pytest.fixture
def state(tmp_path: Path):
    st = CrawlState.for_path(tmp_path / "state.sqlite3", 0.5)
    yield st
    st.release()


def test_commit_equals_record_article_one_by_one(tmp_path: Path) -> None:
    """Every rule of `record_article` + `near.add`, applied by the bulk commit."""
    later = T0 + timedelta(days=3)
    seeded = [  # (i, hash, published, signature): committed in an earlier run
        (1, h(1), T0, sig(1)), (2, h(2), None, sig(2)), (3, None, T0, sig(3)),
        (4, h(4), T0, sig(4, empty=True)), (5, h(5), T0, sig(5)), (6, h(6), None, sig(6)),
    ]
    run = [  # this run, in crawl order
        (1, h(1), later, sig(1)),        # unchanged text: keeps revision and publication time
        (2, h(102), later, near(2)),     # revised: revision 2, publication time now known
        (3, h(103), None, sig(3)),       # had no hash: revised, keeps its publication time
        (4, h(104), later, sig(4)),      # empty signature before: bands only for the new one
        (5, None, None, sig(5, True)),   # no hash: unchanged; empty signature now: no bands
        (6, h(106), later, sig(6)),      # removed before: seen again, no longer removed
        (10, h(10), None, sig(10)),      # new articles...
        (11, h(11), T0, near(10)),       # ... a near copy
        (12, h(1), T0, sig(12)),         # ... same text as an earlier article: hash stays its
        (13, h(13), T0, sig(13, True)),  # ... empty text
    ]
    ref = StateStore(tmp_path / "ref.sqlite3")
    ref_near = ref.near_dups(0.5)
    st = CrawlState.for_path(tmp_path / "bulk.sqlite3", 0.5)
    try:
        for i, hh, pub, s in seeded:
            ref.record_article(url(i), SITE, hh, pub, T0)
            ref_near.add(article_id(url(i)), s)
            st.store.record_article(url(i), SITE, hh, pub, T0)
            st.near.add(article_id(url(i)), s)
        for store in (ref, st.store):
            store.mark_removed(article_id(url(6)), T0 + timedelta(days=1))
        for i, hh, pub, s in run:
            aid = article_id(url(i))
            ref.record_article(url(i), SITE, hh, pub, later)
            ref_near.add(aid, s)
            st.add_pending("r1", aid, PendingArticle(url(i), SITE, hh, s, pub, later))
        assert st.commit_run("r1", SITE) == len(run)
        got, want = dump(st.store), dump(ref)
        assert got == want
        revisions = {r[1]: r[7] for r in got["articles"]}
        assert revisions[url(1)] == 1 and revisions[url(2)] == 2 and revisions[url(3)] == 2
        assert st.store.get(article_id(url(6))).removed_at is None
        assert st.store.find_by_hash(h(1)) == article_id(url(1))
        assert st.near.query(sig(10))[0][0] == article_id(url(10))
        assert st.store.conn.execute("SELECT articles, status FROM runs WHERE run_id = 'r1'").fetchone() \
            == (len(run), "done")
    finally:
        st.release()
        ref.close()


def test_lookups_while_pending_and_after_commit(state: CrawlState) -> None:
    a1, a2 = article_id(url(1)), article_id(url(2))
    assert not state.emitted("r1", a1) and state.copy_of(h(1)) is None
    state.add_pending("r1", a1, pending(1))
    state.add_pending("r1", a2, pending(2, signature=near(1)))
    assert state.emitted("r1", a1) and not state.emitted("r2", a1)
    assert state.copy_of(h(2)) == a2 and state.pending_count("r1") == 2
    assert [m[0] for m in state.near_copies(sig(1))] == [a1, a2]
    assert state.store.count() == 0  # nothing is known before the commit
    assert state.commit_run("r1", SITE) == 2
    assert not state.emitted("r1", a1) and state.pending_count("r1") == 0
    assert state.copy_of(h(2)) == a2  # now from the state file
    assert [m[0] for m in state.near_copies(sig(1))] == [a1, a2]
    assert len(state.pending_near) == 0 and state.scratch.execute("SELECT count(*) FROM pending").fetchone()[0] == 0
    assert state.commit_run("r1", SITE) == 0  # nothing left


def test_adding_again_replaces(state: CrawlState) -> None:
    aid = article_id(url(1))
    state.add_pending("r1", aid, pending(1))
    state.add_pending("r1", aid, pending(1, hash_=h(9), signature=sig(9)))
    assert state.pending_count("r1") == 1 and state.copy_of(h(9)) == aid and state.copy_of(h(1)) is None
    assert state.commit_run("r1", SITE) == 1
    assert state.store.get(aid).content_hash == h(9)
    assert state.near.query(sig(9))[0][0] == aid and state.near.query(sig(1)) == []


def test_two_runs_of_one_process(state: CrawlState) -> None:
    """Crawlers side by side share the pending articles; each commit takes only its own."""
    a1, a2, shared = article_id(url(1)), article_id(url(2)), article_id(url(3))
    state.add_pending("A", a1, pending(1))
    state.add_pending("B", a2, pending(2))
    state.add_pending("A", shared, pending(3))
    state.add_pending("B", shared, pending(3))
    assert state.copy_of(h(2)) == a2  # B's article, seen from A's crawler
    state.add_removal("B", article_id(url(7)), url(7), 404)
    assert state.commit_run("A", SITE) == 2
    assert state.emitted("B", a2) and state.emitted("B", shared) and not state.emitted("A", a1)
    assert a2 in [m[0] for m in state.pending_near.query(sig(2))]
    assert shared in [m[0] for m in state.pending_near.query(sig(3))]  # still pending in B
    assert state.commit_run("B", SITE) == 2
    assert state.store.count() == 3 and len(state.near) == 3 and len(state.pending_near) == 0
    rows = dict(state.store.conn.execute("SELECT run_id, articles FROM runs"))
    assert rows == {"A": 2, "B": 2}
    assert state.store.conn.execute("SELECT status FROM removals").fetchall() == [(404,)]


def test_a_failed_commit_changes_nothing_and_can_be_retried(state: CrawlState, monkeypatch) -> None:
    for i in range(1, 4):
        state.add_pending("r1", article_id(url(i)), pending(i))
    original = CrawlState._commit_sketches

    def broken(self: CrawlState, run_no: int) -> None:
        original(self, run_no)
        raise OSError("disk full")

    monkeypatch.setattr(CrawlState, "_commit_sketches", broken)
    with pytest.raises(OSError):
        state.commit_run("r1", SITE, "out.jsonl.part", "out.jsonl")
    assert state.store.count() == 0 and len(state.near) == 0
    assert state.store.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    assert state.pending_count("r1") == 3 and state.emitted("r1", article_id(url(2)))
    monkeypatch.setattr(CrawlState, "_commit_sketches", original)
    assert state.commit_run("r1", SITE, "out.jsonl.part", "out.jsonl") == 3
    assert state.store.count() == 3 and len(state.near) == 3
    # the state file keeps its usual cache after the commit's small one
    assert state.store.conn.execute("PRAGMA main.cache_size").fetchone()[0] == -64 * 1024


def test_pending_articles_take_no_python_memory(state: CrawlState) -> None:
    """They used to take ~1.5 KB of Python objects each (dict entry, dataclass, 512-byte
    signature, hash index); now only the scratch file grows."""
    def add(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            aid = article_id(url(i))
            state.emitted("r1", aid)
            state.copy_of(h(i))
            state.add_pending("r1", aid, pending(i))

    add(0, 600)  # statement caches and the like warm up
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        add(600, 3600)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 150_000, f"{grown} bytes for 3,000 pending articles"
    assert state.commit_run("r1", SITE) == 3600


def test_scratch_folders_of_dead_runs_are_swept(tmp_path: Path) -> None:
    """A run killed with SIGKILL leaves its scratch folder behind; the next run removes it,
    and never the folder of a run that is still alive."""
    import subprocess
    import sys

    from vpcrawl.state.crawlstate import _SCRATCH_PREFIX, _sweep_dead_scratch

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f"{_SCRATCH_PREFIX}{int(gone.stdout)}-abc"
    alive = tmp_path / f"{_SCRATCH_PREFIX}{os.getpid()}-def"
    other = tmp_path / "vpcrawl-pending-notapid"  # not ours to judge
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "pending.sqlite3").write_bytes(b"x")
    assert _sweep_dead_scratch(str(tmp_path)) == [dead]
    assert not dead.exists() and alive.exists() and other.exists()


def test_scratch_folder_is_named_after_its_process_and_removed_on_release(tmp_path: Path) -> None:
    state = CrawlState.for_path(tmp_path / "s.sqlite3", 0.5)
    folder = Path(state._scratch.name)
    assert folder.name.startswith(f"vpcrawl-pending-{os.getpid()}-") and folder.exists()
    state.release()
    assert not folder.exists()
