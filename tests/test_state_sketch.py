"""Near-duplicate detector: precision/recall on the labelled pair set, API behaviour."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from vpcrawl.state import sketch
from vpcrawl.state.sketch import (
    DEFAULT_THRESHOLD,
    NearDupIndex,
    _word_hashes_np,
    _word_hashes_py,
    _WordTable,
    content_hash,
    fingerprint,
    minhash,
    similarity,
    tokens,
    word_hashes,
)
from vpcrawl.state.store import StateError

PAIRS = json.loads((Path(__file__).parent / "data" / "near_dup_pairs.json").read_text("utf-8"))[
    "pairs"
]
KINDS = ("syndicated", "minor_edit", "same_topic", "template")
_LONG_BODY = "\n\n".join(p["a"] for p in PAIRS[:12])  # ~16,000 characters


def _doc_ids() -> dict[str, str]:
    """One id per distinct text: several pairs share a base article."""
    ids: dict[str, str] = {}
    for p in PAIRS:
        for side in ("a", "b"):
            ids.setdefault(p[side], f"doc{len(ids):03d}")
    return ids


def _evaluate(threshold: float) -> tuple[dict[str, int], list[str]]:
    """Index every distinct text, then ask for each pair whether b finds a (LSH + verify)."""
    ids = _doc_ids()
    idx = NearDupIndex(sqlite3.connect(":memory:", isolation_level=None), threshold=threshold)
    sigs = {text: idx.signature(text) for text in ids}
    for text, doc in ids.items():
        idx.add(doc, sigs[text])
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    wrong = []
    for p in PAIRS:
        found = {doc for doc, _ in idx.query(sigs[p["b"]])}
        pred = ids[p["a"]] in found
        dup = p["label"] == "dup"
        key = ("tp" if pred else "fn") if dup else ("fp" if pred else "tn")
        counts[key] += 1
        if key in ("fp", "fn"):
            wrong.append(f"{p['id']} ({p['kind']}): {key}")
    return counts, wrong


def _pr(c: dict[str, int]) -> tuple[float, float]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    return precision, c["tp"] / (c["tp"] + c["fn"])


def test_pair_set_shape() -> None:
    assert len(PAIRS) >= 48
    for kind in KINDS:
        assert sum(p["kind"] == kind for p in PAIRS) >= 12, kind
    for p in PAIRS:
        assert p["label"] == ("dup" if p["kind"] in ("syndicated", "minor_edit") else "distinct")
        for side in ("a", "b"):
            assert 120 <= len(tokens(p[side])) <= 400, (p["id"], side)


def test_precision_recall_at_default_threshold() -> None:
    c, wrong = _evaluate(DEFAULT_THRESHOLD)
    precision, recall = _pr(c)
    print(
        f"\nnear-dup @ {DEFAULT_THRESHOLD}: precision {precision:.3f} recall {recall:.3f} {c} {wrong}"
    )
    for th in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        p, r = _pr(_evaluate(th)[0])
        print(f"  threshold {th:.1f}: precision {p:.3f} recall {r:.3f}")
    assert precision >= 0.95
    assert recall >= 0.9


def test_same_topic_and_template_pairs_kept_apart() -> None:
    for p in PAIRS:
        if p["kind"] in ("same_topic", "template"):
            sim = similarity(minhash(p["a"]), minhash(p["b"]))
            assert sim < DEFAULT_THRESHOLD, (p["id"], sim)


def test_tone_placement_does_not_matter() -> None:
    old = "Ủy ban Kiểm tra Tỉnh ủy họp bàn về hòa giải ở cơ sở, chăm lo sức khỏe nhân dân"
    new = "Uỷ ban Kiểm tra Tỉnh uỷ họp bàn về hoà giải ở cơ sở, chăm lo sức khoẻ nhân dân"
    assert tokens(old) == tokens(new)
    assert minhash(old) == minhash(new)
    assert content_hash(old) == content_hash(new.upper())
    assert content_hash("Hội  nghị\n giao ban") == content_hash("hội nghị giao ban")
    assert content_hash("Hội nghị giao ban tháng 3") != content_hash("Hội nghị giao ban tháng 4")


def test_signature_is_stable_across_runs() -> None:
    sig = minhash("hội nghị giao ban công tác văn phòng cấp tỉnh quý một năm hai không hai bốn")
    assert len(sig) == 512
    # pinned values: signatures are stored, so they must not depend on the process or machine
    # (the one-permutation scheme "oph-v2"; a new scheme needs a new name in _check_config)
    assert hashlib.blake2b(sig, digest_size=8).hexdigest() == "041d469627d1e124"
    long_sig = minhash(_LONG_BODY)  # the vectorised word path
    assert hashlib.blake2b(long_sig, digest_size=8).hexdigest() == "5d78f068c6b946ca"


def test_fingerprint_key_is_stable_across_versions() -> None:
    """The exact-duplicate key is stored in the state database: it must not change when the
    tokeniser gets faster (pinned value from the per-word Python tokeniser)."""
    title = PAIRS[0]["a"][:80]
    key, sig = fingerprint(title, _LONG_BODY)
    assert key == "fdda12ef7b4ee9170423ee4a053339a8"
    assert sig == minhash(_LONG_BODY)
    assert key == fingerprint(title.upper(), _LONG_BODY.replace(" ", "  "))[0]
    assert key != fingerprint(title, _LONG_BODY.replace("năm", "tháng", 1))[0]


def _tricky_texts() -> list[str]:
    base = _LONG_BODY
    return [
        base,
        base.upper(),
        unicodedata.normalize("NFD", base),  # decomposed tones: normalised first
        base.replace("ủy", "uỷ").replace("hòa", "hoà"),
        base + " 😀 Đại hội👍đảng 𝐀𝐁 snake_case x2 ５月 " + "quá" * 40 + " " + "a" * 300,
        base + " İstanbul ǰ ΐ",  # casefolding moves word ends: the reference path
        base.replace(" ", "\u00a0\u200b", 200) + "\ud800 lone surrogate",
        "Hội nghị, " * 80,
        ".,;:!? " * 200,
        "",
    ]


def test_vectorised_word_hashes_match_reference() -> None:
    values = sketch._char_table()
    assert np.unique(values >> np.uint64(3)).size == values.size  # distinct characters differ
    for text in _tricky_texts():
        expected = _word_hashes_py(text)
        got = _word_hashes_np(text)
        if "İ" in text:
            assert got is None
        else:
            assert got is not None and got.dtype == np.uint64
            assert np.array_equal(got, expected), text[-60:]
        assert np.array_equal(word_hashes(text), expected)
        assert np.array_equal(word_hashes(text), expected)  # second time from the cache


def test_word_table_growth_and_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_WordTable, "MAX_ENTRIES", 3000)
    monkeypatch.setattr(sketch, "_WORD_TABLE", _WordTable())
    rng = random.Random(3)
    resets = 0
    for i in range(30):
        words = [f"{rng.randrange(10**6)}{rng.choice(['', 'ạ', 'Ủy'])}" for _ in range(700)]
        text = " ".join(words) + " " + _tricky_texts()[i % 5][:3000]
        before = sketch._WORD_TABLE.count
        assert np.array_equal(word_hashes(text), _word_hashes_py(text))
        resets += sketch._WORD_TABLE.count < before
        assert sketch._WORD_TABLE.count <= 3000
        assert sketch._WORD_TABLE.count * 4 <= sketch._WORD_TABLE.keys.size
    assert resets >= 3


def test_densified_signatures_have_no_empty_bins() -> None:
    assert minhash("") == b"\xff" * 512
    for text in ("Đại hội", "Hội nghị giao ban", PAIRS[0]["a"][:200], PAIRS[0]["a"]):
        sig = np.frombuffer(minhash(text), dtype="<u4")
        assert not (sig == 0xFFFFFFFF).any(), text
    one = np.frombuffer(minhash("Đại hội"), dtype="<u4")  # one shingle: every bin copies it
    assert (one == one[0]).all()


def test_state_built_with_another_hash_scheme_is_refused(tmp_path: Path) -> None:
    idx = NearDupIndex(tmp_path / "nd.sqlite")
    config = idx.conn.execute("SELECT value FROM meta WHERE key = 'sketch'").fetchone()[0]
    assert json.loads(config)["hash"] == "oph-v2"
    old = config.replace("oph-v2", "blake2b-mix-v1")  # the 128-permutation MinHash
    idx.conn.execute("UPDATE meta SET value = ? WHERE key = 'sketch'", (old,))
    idx.close()
    with pytest.raises(StateError, match="reset"):
        NearDupIndex(tmp_path / "nd.sqlite")


def test_index_api(tmp_path: Path) -> None:
    idx = NearDupIndex(tmp_path / "nd.sqlite")
    a, b, c = (PAIRS[0]["a"], PAIRS[0]["b"], PAIRS[-1]["a"])
    assert idx.query(idx.signature(a)) == []
    idx.add("A", idx.signature(a))
    idx.add_text("C", c)
    hits = idx.query(idx.signature(b))
    assert [h[0] for h in hits] == ["A"] and DEFAULT_THRESHOLD <= hits[0][1] <= 1.0
    assert idx.query(idx.signature(a))[0] == ("A", 1.0)
    # re-adding replaces the signature and its bands
    idx.add("A", idx.signature(c))
    assert {d for d, _ in idx.query(idx.signature(c))} == {"A", "C"}
    assert idx.query(idx.signature(b)) == []
    idx.remove("A")
    assert len(idx) == 1 and idx.conn.execute("SELECT count(*) FROM band").fetchone()[0] == 32
    # empty texts are never near-duplicates of each other
    idx.add_text("E", "  ...  ")
    assert idx.query(idx.signature("")) == []
    with pytest.raises(ValueError):
        idx.query(b"short")
    idx.close()
    # reopen with the same settings works; with other shingling it refuses
    NearDupIndex(tmp_path / "nd.sqlite").close()
    with pytest.raises(StateError, match="reset"):
        NearDupIndex(tmp_path / "nd.sqlite", bands=16, rows=8)
    other = NearDupIndex(tmp_path / "other.sqlite", bands=16, rows=8)
    other.add_text("A", a)
    assert other.query(other.signature(b))[0][0] == "A"
    other.reset()
    assert len(other) == 0


def test_short_texts() -> None:
    assert similarity(minhash("Đại hội"), minhash("đại  HỘI")) == 1.0
    assert similarity(minhash("Đại hội"), minhash("Hội nghị")) < 0.1


def test_works_on_a_default_mode_connection(tmp_path: Path) -> None:
    """The dedup pipeline passes a plain `sqlite3.connect()`: writes must still be committed."""
    text = PAIRS[1]["a"]
    conn = sqlite3.connect(tmp_path / "nd.sqlite3")  # legacy implicit-transaction mode
    idx = NearDupIndex(conn)
    idx.add_text("a", text)
    assert not conn.in_transaction
    conn.close()
    again = NearDupIndex(sqlite3.connect(tmp_path / "nd.sqlite3"))
    assert again.query(again.signature(text)) == [("a", 1.0)]


def test_sketches_of_an_older_scheme_are_refused_before_a_run_and_reset_by_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vpcrawl.cli import main
    from vpcrawl.extensions import STATE_FILE
    from vpcrawl.state.store import StateStore

    state_dir = tmp_path / "state"
    state_dir.mkdir()
    store = StateStore(state_dir / STATE_FILE)
    store.record_article("http://x.vn/a.html", "x", "ab" * 16, None, None)
    near = store.near_dups()
    near.add("A", near.signature(PAIRS[0]["a"]))
    config = store.conn.execute("SELECT value FROM meta WHERE key = 'sketch'").fetchone()[0]
    store.conn.execute("UPDATE meta SET value = ? WHERE key = 'sketch'",
                       (config.replace("oph-v2", "blake2b-mix-v1"),))
    store.close()
    # `vpcrawl run` says so, with the command that fixes it, before crawling anything
    assert main(["run", "--site", "tinhuy-bentre", "--out", str(tmp_path / "out"),
                 "--state-dir", str(state_dir)]) == 2
    err = capsys.readouterr().err
    assert "vpcrawl reset-sketches --state-dir" in err and str(state_dir) in err
    assert main(["reset-sketches", "--state-dir", str(state_dir)]) == 0
    assert "sketches of 1 articles" in capsys.readouterr().out
    store = StateStore(state_dir / STATE_FILE)
    assert len(store.near_dups()) == 0  # opens again, with this version's scheme
    assert store.seen_url("http://x.vn/a.html") is not None  # known URLs are kept
    store.close()
    assert main(["reset-sketches", "--state-dir", str(tmp_path / "nowhere")]) == 2


def test_add_from_writes_what_add_one_by_one_writes(tmp_path: Path) -> None:
    """The bulk copy from an attached index (a crawl's scratch index, at commit) leaves the
    same documents, numbers and bands as `add` called in the same order, revisions included."""
    words = "ban thường vụ tỉnh ủy hội nghị giao ban công tác quý văn phòng đảng bộ".split()
    rng = random.Random(7)
    texts = {f"d{i}": " ".join(rng.choice(words) for _ in range(60)) for i in range(40)}
    texts["empty"] = ""
    earlier = {d: minhash(t + " cũ") for d, t in list(texts.items())[:10]}  # indexed before
    order = list(texts)
    rng.shuffle(order)

    def fresh(name: str) -> NearDupIndex:
        index = NearDupIndex(tmp_path / name, threshold=0.5)
        for doc_id, sig in earlier.items():
            index.add(doc_id, sig)
        return index

    one_by_one = fresh("a.sqlite3")
    for doc_id in order:
        one_by_one.add(doc_id, minhash(texts[doc_id]))
    bulk = fresh("b.sqlite3")
    source = NearDupIndex(tmp_path / "src.sqlite3", threshold=0.5)
    source.conn.execute("CREATE TABLE pending (seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL)")
    for seq, doc_id in enumerate(order, 1):
        source.add(doc_id, minhash(texts[doc_id]))
        source.conn.execute("INSERT INTO pending VALUES (?, ?)", (seq, doc_id))
    source.conn.commit()
    bulk.conn.execute("ATTACH DATABASE ? AS src", (str(tmp_path / "src.sqlite3"),))
    assert bulk.add_from("src", "SELECT seq, doc_id FROM src.pending", chunk=7) == len(order)

    def rows(index: NearDupIndex) -> tuple[list, list]:
        c = index.conn
        return (c.execute("SELECT num, doc_id, sig FROM main.band_doc ORDER BY num").fetchall(),
                c.execute("SELECT band_no, hash, doc FROM main.band ORDER BY 1, 2, 3").fetchall())

    assert rows(bulk) == rows(one_by_one)
    assert bulk.query(minhash(texts["d3"]))[0] == ("d3", 1.0)
