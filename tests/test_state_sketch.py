"""Near-duplicate detector: precision/recall on the labelled pair set, API behaviour."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from vpcrawl.state.sketch import (
    DEFAULT_THRESHOLD,
    NearDupIndex,
    content_hash,
    minhash,
    similarity,
    tokens,
)
from vpcrawl.state.store import StateError

PAIRS = json.loads((Path(__file__).parent / "data" / "near_dup_pairs.json").read_text("utf-8"))[
    "pairs"
]
KINDS = ("syndicated", "minor_edit", "same_topic", "template")


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
    # pinned value: signatures are stored, so they must not depend on the process or machine
    assert hashlib.blake2b(sig, digest_size=8).hexdigest() == "ef36744c372f2dc9"


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
