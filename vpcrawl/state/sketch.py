r"""Near-duplicate detection: MinHash over tone-normalised word 3-shingles + LSH bands in SQLite.

Why this design (numbers from tests/data/near_dup_pairs.json and benchmarks/bench_state.py):

* Shingles are word 3-grams of `tone_key`-normalised `\w+` tokens. Exact Jaccard on the
  labelled pairs (duplicates' minimum vs distinct pairs' maximum): 3-grams 0.71 vs 0.35,
  5-grams 0.68 vs 0.33, 2-grams 0.75 vs 0.38 (same-topic articles climb to 0.12), 1-grams
  0.83 vs 0.52. 3-grams keep the margin of 2-grams (0.36 vs 0.37) while different articles on
  one topic stay under 0.09, and an edited word breaks 3 shingles instead of 5. Tone normalisation makes `Ủy ban` and `Uỷ ban` one
  word; without it (NFC + casefold only) the 3-gram margin shrinks to 0.31, the 5-gram one
  to 0.20.
* MinHash is one-permutation hashing (OPH) with optimal densification (Shrivastava 2017): one
  mixed 64-bit hash per shingle, its high 32 bits pick one of 128 bins, a bin keeps the
  minimum of the low 32 bits, and an empty bin (short texts) copies the first non-empty bin
  of its own fixed pseudo-random probe sequence. The share of equal values still estimates
  Jaccard, at O(shingles) instead of O(128 x shingles): on a 22,000-character article body
  (~4,800 shingles) 25 us instead of 1.2 ms for 128 multiply-shift permutations. On the
  labelled pairs the estimate is as good or better: duplicates' minimum 0.67 vs distinct
  pairs' maximum 0.36 (128 permutations: 0.66 vs 0.40), mean |estimate - exact| 0.016
  (0.023); on generated 40/250/1,500-word pairs the error's s.d. is 0.040/0.032/0.037
  (0.036/0.040/0.040).
* Word hashes are stable across runs and machines (blake2b-64 of the `tone_key` of each NFC,
  casefolded `\w+` word; no Python `hash()`), computed once per word form and cached. Long
  texts find and look up their words in a few numpy passes over the code points
  (`_word_hashes_np`: 0.17 ms instead of 1.1 ms for a 22,000-character body); the exact
  duplicate key of `fingerprint` is unchanged by that. A whole `fingerprint` of such a body
  takes ~0.3 ms (2.5 ms with per-word Python tokenising and 128 permutations).
* LSH: 32 bands x 4 rows. The S-curve midpoint is (1/32)**(1/4) ~= 0.42, so a pair at
  Jaccard 0.5 becomes a candidate with p = 0.87, at 0.6 with 0.99, at 0.71 (our weakest
  duplicate) with 0.9999; candidates are then verified by the estimated Jaccard against
  `threshold` (default 0.5, the middle of the measured gap). Rows of 4 keep unrelated
  documents that share the usual Party phrases out of the candidate set (a pair at J = 0.05
  collides with p = 2e-4), so query time does not grow with the corpus.
* Band hashes live in SQLite (`band(band_no, hash, doc)`, WITHOUT ROWID) with the 512-byte
  signature in `band_doc`: ~1.3 KB per document on disk instead of ~6 KB of RAM per document
  for datasketch's in-memory LSH.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from vpcrawl.state.store import StateError, _statements, connect

try:  # written by another module; fall back to NFC + casefold until it exists
    from vpcrawl.text.normalize import tone_key as _tone_key

    KEY_NAME = "tone_key"
except ImportError:  # pragma: no cover - depends on the checkout
    _tone_key = None
    KEY_NAME = "nfc_casefold"

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_ROWS",
    "DEFAULT_THRESHOLD",
    "SKETCH_SCHEME",
    "LSHIndex",
    "NearDupIndex",
    "content_hash",
    "minhash",
    "reset_sketches",
    "shingle_hashes",
    "similarity",
    "tokens",
]

NUM_PERM = 128
SHINGLE = 3
DEFAULT_BANDS = 32
DEFAULT_ROWS = 4
DEFAULT_THRESHOLD = 0.5
SKETCH_SCHEME = "oph-v2"  # stored with every index: signatures of other schemes never mix
_WORD_RE = re.compile(r"\w+")
_TOKEN_CACHE: dict[str, int] = {}
_TOKEN_CACHE_MAX = 500_000


def _key(s: str) -> str:
    """Normalisation key of a text or a word: `tone_key` when available, else NFC+casefold."""
    if _tone_key is not None:
        return _tone_key(s)
    return unicodedata.normalize("NFC", s).casefold()


def _u64(label: str) -> int:
    return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little")


_MIX = np.array([_u64(f"vpcrawl-shingle-{i}") | 1 for i in range(8)], dtype=np.uint64)
_LAST_BANDS: tuple[Any, list[int]] = (None, [])  # ((signature bytes, bands, rows), band hashes)
_BAND_MIX = np.array([_u64(f"vpcrawl-band-{i}") | 1 for i in range(64)], dtype=np.uint64)


def _fmix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (in place on a uint64 array)."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _words(text: str) -> list[str]:
    r"""NFC + casefolded `\w+` runs (the reference tokeniser; long texts use `_word_hashes_np`)."""
    out: list[str] = []
    for tok in unicodedata.normalize("NFC", text).casefold().split():
        if tok.isalnum():  # \w == isalnum() or '_'
            out.append(tok)
        else:
            out.extend(_WORD_RE.findall(tok))
    return out


def tokens(text: str) -> list[str]:
    """The normalised words MinHash sees (for inspection and tests)."""
    words = _words(text)
    if _tone_key is None:
        return words
    return [_key(w) for w in words]


def _word_key_hash(word: str) -> int:
    """Stable 64-bit hash of a (NFC, casefolded) word: blake2b-64 of its key, never 0."""
    w = _key(word) if _tone_key is not None else word
    return int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") or 1


def _token_hash(word: str) -> int:
    """`_word_key_hash`, cached by word (the short-text path)."""
    h = _word_key_hash(word)
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[word] = h
    return h


def _word_hashes_py(text: str) -> np.ndarray:
    get = _TOKEN_CACHE.get
    return np.array([get(w) or _token_hash(w) for w in _words(text)], dtype=np.uint64)


# ---------------------------------------------------------------- vectorised word hashing
#
# For a long text the per-word Python work (split, isalnum, casefold, dict lookup, list ->
# array) costs more than everything else together. `_word_hashes_np` returns the same array
# with a fixed number of numpy passes over the code points:
#
# 1. one table lookup per code point gives a random 64-bit value whose low 3 bits are the
#    character's class: `\w` or not, plus two flags for the rare texts that need more work
#    (a character that may not be NFC: normalise first; one whose casefolding changes where
#    a word ends, like U+0130: the reference path). The `\w` runs are the words;
# 2. a polynomial hash of each run, sum(v[i] * B**(i - start)) mod 2**64 (one prefix sum over
#    the text, scaled by B**-start), identifies the word form inside this process;
# 3. an open-addressing table (two numpy arrays, vectorised linear probing) maps that id to
#    the stable word hash, `_word_key_hash` of the casefolded word, computed once per new
#    word form. Ids are cache keys only, never stored; two word forms sharing one (p ~ 2**-64
#    for a pair of real words) would share a hash until the table is cleared.

_NP_MIN_CHARS = 600  # below this, numpy call overhead costs more than the Python path
_NP_MAX_CHARS = 1 << 20  # the power tables grow with the longest text: 16 MB at most
_WORD, _FOLD, _NFC = 1, 2, 4  # class bits: \w; casefolding moves word ends; maybe not NFC
_CLASS_BITS = np.uint64(7)
_CHAR_SEED = _u64("vpcrawl-char")
_BASE = (_u64("vpcrawl-base") & ~7) | 3  # odd, and B - 1 has a single factor 2
_LEN_MIX = np.uint64(_u64("vpcrawl-len") | 1)
_CHARS: np.ndarray | None = None  # uint64 per BMP code point: random high bits | class bits
_ASTRAL: dict[int, int] = {}
_POWERS = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))  # B**i, B**-i mod 2**64
_TABLE_LOCK = threading.Lock()  # the word table may be shared by threads


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"  # the definition of \w in `re`


def _class_of(c: str) -> int:
    cls = _WORD if _is_word(c) else 0
    f = c.casefold()
    if f != c and any(_is_word(x) != bool(cls) for x in f):
        cls |= _FOLD
    if ord(c) > 0xFFFF or unicodedata.combining(c) or not unicodedata.is_normalized("NFC", c):
        cls |= _NFC  # NFC quick check "no", or a mark that may reorder/compose
    return cls


def _char_values(cps: np.ndarray, classes: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        v = _fmix(cps.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(_CHAR_SEED))
    return (v & ~_CLASS_BITS) | classes.astype(np.uint64)


def _char_table() -> np.ndarray:
    """Value of every BMP code point (built on first use, ~50 ms)."""
    global _CHARS
    if _CHARS is None:
        cls = np.fromiter(map(_class_of, map(chr, range(0x10000))), dtype=np.uint8, count=0x10000)
        # NFC quick check "maybe": characters that compose with the one before them (the
        # second part of a canonical decomposition; astral ones are flagged anyway)
        for cp in range(0x10000):
            d = unicodedata.decomposition(chr(cp))
            if d and not d.startswith("<"):
                for part in d.split()[1:]:
                    if int(part, 16) < 0x10000:
                        cls[int(part, 16)] |= _NFC
        cls[0x1161:0x1176] |= _NFC  # Hangul vowel and trailing jamo (algorithmic composition)
        cls[0x11A8:0x11C3] |= _NFC
        _CHARS = _char_values(np.arange(0x10000, dtype=np.uint64), cls)
    return _CHARS


def _values(cps: np.ndarray) -> np.ndarray:
    table = _char_table()
    try:
        return table.take(cps)
    except IndexError:  # emoji and rare scripts: classify those few characters one by one
        v = table.take(np.minimum(cps, 0xFFFF))
        big = np.flatnonzero(cps > 0xFFFF)
        for c in set(cps[big].tolist()) - _ASTRAL.keys():
            _ASTRAL[c] = _class_of(chr(c))
        cls = np.array([_ASTRAL[c] for c in cps[big].tolist()], dtype=np.uint8)
        v[big] = _char_values(cps[big], cls)
        return v


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(B**i, B**-i) mod 2**64 for i < n at least."""
    global _POWERS
    powers = _POWERS
    if powers[0].size < n:
        size = 1 << (n - 1).bit_length()

        def table(base: int) -> np.ndarray:
            steps = np.full(size, base, dtype=np.uint64)
            steps[0] = 1
            return np.cumprod(steps)

        with np.errstate(over="ignore"):
            powers = _POWERS = (table(_BASE), table(pow(_BASE, -1, 1 << 64)))
    return powers


class _WordTable:
    """Open-addressing hash table word-form id -> word hash in two numpy arrays (key 0 = free)."""

    MIN_BITS = 14
    MAX_ENTRIES = 1 << 19  # then cleared, as `_TOKEN_CACHE` is: 2**21 slots, 32 MB at most

    def __init__(self, bits: int = MIN_BITS) -> None:
        self.bits = bits
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.vals = np.zeros(1 << bits, dtype=np.uint64)
        self.count = 0

    def _slots(self, ids: np.ndarray) -> np.ndarray:
        return (ids >> np.uint64(64 - self.bits)).astype(np.intp)

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Word hash per id, 0 where absent."""
        keys, vals, mask = self.keys, self.vals, (1 << self.bits) - 1
        slot = self._slots(ids)
        k = keys.take(slot)
        hit = k == ids
        out = vals.take(slot)
        out *= hit
        probe = np.flatnonzero(hit ^ (k != 0))  # slot taken by another word: probe on
        while probe.size:
            slot_p = (slot[probe] + 1) & mask
            slot[probe] = slot_p
            k = keys.take(slot_p)
            hit = k == ids[probe]
            out[probe[hit]] = vals.take(slot_p[hit])
            probe = probe[hit ^ (k != 0)]
        return out

    def insert(self, ids: np.ndarray, vals: np.ndarray) -> None:
        """Add distinct ids that are not in the table yet (load factor <= 1/4)."""
        if self.count + ids.size > self.MAX_ENTRIES:
            self.__init__()  # type: ignore[misc]
        if (self.count + ids.size) * 4 > self.keys.size:
            used = self.keys != 0
            old_k, old_v = self.keys[used], self.vals[used]
            bits = self.bits
            while (self.count + ids.size) * 4 > (1 << bits):
                bits += 1
            self.__init__(bits)  # type: ignore[misc]
            self._place(old_k, old_v)
        self._place(ids, vals)

    def _place(self, ids: np.ndarray, vals: np.ndarray) -> None:
        keys, mask = self.keys, (1 << self.bits) - 1
        slot = self._slots(ids)
        pending = np.arange(ids.size)
        placed = np.zeros(ids.size, dtype=bool)
        while pending.size:
            s = slot[pending]
            free = keys[s] == 0
            cand, cs = pending[free], s[free]
            cs_u, first = np.unique(cs, return_index=True)  # one winner per free slot
            win = cand[first]
            keys[cs_u] = ids[win]
            self.vals[cs_u] = vals[win]
            placed[win] = True
            busy = pending[~free]
            slot[busy] = (slot[busy] + 1) & mask
            pending = pending[~placed[pending]]  # losers of a free slot retry it (now taken)
        self.count += ids.size


_WORD_TABLE = _WordTable()


def _word_hashes_np(text: str) -> np.ndarray | None:
    """`_word_hashes_py(text)` computed in numpy passes; None when a rare character needs
    the reference path."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    v = _values(cps)
    cls = v.astype(np.uint8)  # the low byte of each value
    cls &= np.uint8(7)
    if cls.max(initial=0) > _WORD:
        if (cls & _NFC).any() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
            cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
            v = _values(cps)
            cls = v.astype(np.uint8)
            cls &= np.uint8(7)
        if (cls & _FOLD).any():
            return None
        cls &= _WORD
    n = cps.size
    word = np.zeros(n + 2, dtype=bool)
    word[1:-1] = cls.view(bool)
    edges = np.flatnonzero(word[1:] != word[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if starts.size == 0:
        return np.empty(0, dtype=np.uint64)
    pw, inv = _powers(n)
    cum = np.empty(n + 1, dtype=np.uint64)
    cum[0] = 0
    # (uint64 array arithmetic wraps mod 2**64 without warnings; only scalars warn)
    v *= pw[:n]
    np.cumsum(v, out=cum[1:])
    ids = cum.take(ends)  # id = sum(v[i] * B**(i - start)) + len * L, never 0
    ids -= cum.take(starts)
    ids *= inv.take(starts)
    ids += (ends - starts).astype(np.uint64) * _LEN_MIX
    ids |= np.uint64(1)
    with _TABLE_LOCK:
        out = _WORD_TABLE.lookup(ids)
        miss = np.flatnonzero(out == 0)
        if miss.size:
            new_ids, first = np.unique(ids.take(miss), return_index=True)
            at = miss.take(first)
            bounds = zip(starts.take(at).tolist(), ends.take(at).tolist(), strict=True)
            new_h = np.array([_word_key_hash(text[s:e].casefold()) for s, e in bounds], np.uint64)
            _WORD_TABLE.insert(new_ids, new_h)
            out[miss] = _WORD_TABLE.lookup(ids.take(miss))
    return out


def word_hashes(text: str) -> np.ndarray:
    """Stable 64-bit hash of each normalised word of `text`, in order."""
    if _NP_MIN_CHARS <= len(text) <= _NP_MAX_CHARS:
        out = _word_hashes_np(text)
        if out is not None:
            return out
    return _word_hashes_py(text)


def shingle_hashes(text: str, k: int = SHINGLE) -> np.ndarray:
    """64-bit hashes of the word k-grams (a text shorter than k words is one shingle)."""
    return _shingles(word_hashes(text), k)


def _shingles(th: np.ndarray, k: int = SHINGLE) -> np.ndarray:
    if th.size == 0:
        return np.empty(0, dtype=np.uint64)
    k = min(k, len(th))
    n = len(th) - k + 1
    acc = th[:n] * _MIX[0]  # array arithmetic: wraps mod 2**64, no overflow warning
    if k > 1:
        tmp = np.empty_like(acc)
        for j in range(1, k):
            acc += np.multiply(th[j : j + n], _MIX[j], out=tmp)
    return _fmix(acc)


# ------------------------------------------------------------------------------ MinHash

_EMPTY = np.uint32(0xFFFFFFFF)
_DENSIFY_TRIES = 32  # probe sequence length per bin, in multiples of num_perm
_FIRST: dict[int, np.ndarray] = {}


def _first_hits(num_perm: int) -> np.ndarray:
    """first[i, j]: the attempt at which empty bin i's fixed probe sequence reaches bin j.

    The sequence is `_fmix(seed + i*C1 + t*C2)` reduced to a bin; an empty bin takes the value
    of the first non-empty bin of its sequence (optimal densification, Shrivastava 2017). A
    bin the sequence never reaches within 32*num_perm tries (p ~ e**-32) comes after, in
    rotation order.
    """
    if num_perm not in _FIRST:
        tries = _DENSIFY_TRIES * num_perm
        i = np.arange(num_perm, dtype=np.uint64).reshape(-1, 1)
        t = np.arange(tries, dtype=np.uint64)
        with np.errstate(over="ignore"):
            seq = _fmix(i * np.uint64(_u64("vpcrawl-densify-i") | 1)
                        + t * np.uint64(_u64("vpcrawl-densify-t") | 1)
                        + np.uint64(_u64("vpcrawl-densify")))  # fmt: skip
        seq = ((seq >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)
        rows = np.arange(num_perm)
        first = tries + (rows.reshape(1, -1) - rows.reshape(-1, 1)) % num_perm
        flat = (rows.reshape(-1, 1) * num_perm + seq.astype(np.intp)).ravel()
        np.minimum.at(first.reshape(-1), flat, np.broadcast_to(np.arange(tries), seq.shape).ravel())
        _FIRST[num_perm] = first
    return _FIRST[num_perm]


def _minhash_array(hashes: np.ndarray, num_perm: int = NUM_PERM) -> np.ndarray:
    """One-permutation MinHash: the high 32 bits of a shingle hash pick one of `num_perm` bins,
    each bin keeps the minimum of the low 32 bits; empty bins are densified."""
    out = np.full(num_perm, _EMPTY, dtype=np.uint32)
    if hashes.size == 0:
        return out
    bins = ((hashes >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)
    bins = bins.astype(np.intp)
    np.minimum.at(out, bins, hashes.astype(np.uint32))
    filled = np.bincount(bins, minlength=num_perm).astype(bool)
    if not filled.all():
        empty, full = np.flatnonzero(~filled), np.flatnonzero(filled)
        first = _first_hits(num_perm)[empty[:, None], full[None, :]]
        out[empty] = out[full[first.argmin(axis=1)]]
    return out


def minhash(text: str, num_perm: int = NUM_PERM, k: int = SHINGLE) -> bytes:
    """MinHash signature of `text`: `num_perm` little-endian uint32 values."""
    return _minhash_array(shingle_hashes(text, k), num_perm).astype("<u4").tobytes()


def _sig_array(signature: bytes, num_perm: int) -> np.ndarray:
    if len(signature) != 4 * num_perm:
        raise ValueError(f"signature has {len(signature)} bytes, expected {4 * num_perm}")
    return np.frombuffer(signature, dtype="<u4")


def similarity(sig_a: bytes, sig_b: bytes) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    a = np.frombuffer(sig_a, dtype="<u4")
    b = np.frombuffer(sig_b, dtype="<u4")
    if a.shape != b.shape:
        raise ValueError("signatures of different lengths")
    return float(np.count_nonzero(a == b)) / a.size


def fingerprint(title: str, body: str, num_perm: int = NUM_PERM, k: int = SHINGLE) -> tuple[str, bytes]:
    """(exact-duplicate key, MinHash signature of the body) from ONE normalisation pass.

    The key is blake2b-128 of the title's and body's normalised word hashes (tone-placement,
    case, punctuation and spacing do not count); the signature is `minhash(body)`. Per item
    this replaces `content_hash` + `minhash`, which normalised the text twice.
    """
    title_words, body_words = word_hashes(title), word_hashes(body)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(title_words.astype("<u8", copy=False))
    digest.update(b"\x00|body|\x00")
    digest.update(body_words.astype("<u8", copy=False))
    signature = _minhash_array(_shingles(body_words, k), num_perm).astype("<u4").tobytes()
    return digest.hexdigest(), signature


def content_hash(text: str) -> str:
    """Exact-duplicate key: blake2b-128 of the tone-normalised, whitespace-collapsed text."""
    key = " ".join(_key(text).split())
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS band_doc (
    num INTEGER PRIMARY KEY,           -- compact integer id used in band rows
    doc_id TEXT NOT NULL UNIQUE,
    sig BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS band (
    band_no INTEGER NOT NULL,
    hash INTEGER NOT NULL,
    doc INTEGER NOT NULL,              -- band_doc.num
    PRIMARY KEY (band_no, hash, doc)
) WITHOUT ROWID;
"""


def reset_sketches(conn: sqlite3.Connection) -> int:
    """Drop every stored sketch and the scheme they were made with (works on an index this
    version refuses to open); returns how many documents had one."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "band_doc" not in tables:
        return 0
    n = conn.execute("SELECT count(*) FROM band_doc").fetchone()[0]
    conn.execute("DELETE FROM band")
    conn.execute("DELETE FROM band_doc")
    conn.execute("DELETE FROM meta WHERE key = 'sketch'")
    return int(n)


class NearDupIndex:
    """MinHash/LSH index whose bands live in SQLite (shares the StateStore connection)."""

    def __init__(
        self,
        conn_or_path: sqlite3.Connection | str | Path,
        threshold: float = DEFAULT_THRESHOLD,
        num_perm: int = NUM_PERM,
        bands: int = DEFAULT_BANDS,
        rows: int = DEFAULT_ROWS,
        shingle: int = SHINGLE,
    ) -> None:
        if bands * rows > num_perm:
            raise ValueError(f"bands x rows = {bands * rows} > num_perm = {num_perm}")
        self.threshold = threshold
        self.num_perm, self.bands, self.rows, self.shingle = num_perm, bands, rows, shingle
        if isinstance(conn_or_path, sqlite3.Connection):
            self.conn, self._owns = conn_or_path, False
            self.path = None
        else:
            self.path = Path(conn_or_path)
            self.conn, self._owns = connect(self.path), True
        with self._write():
            for stmt in _statements(_SCHEMA):
                self.conn.execute(stmt)
        self._check_config()
        self._query_sql = (
            "WITH q(b, h) AS (VALUES "
            + ",".join(["(?,?)"] * bands)
            + ") SELECT DISTINCT band.doc FROM q JOIN band ON band.band_no = q.b AND band.hash = q.h"
        )
        self._band_ix = np.arange(bands, dtype=np.int64)

    def _check_config(self) -> None:
        """The stored bands are only comparable with signatures made the same way."""
        config = json.dumps(
            {"num_perm": self.num_perm, "bands": self.bands, "rows": self.rows,
             "shingle": self.shingle, "key": KEY_NAME, "hash": SKETCH_SCHEME},
            sort_keys=True,
        )  # fmt: skip
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'sketch'").fetchone()
        if row is None:
            with self._write():
                self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('sketch', ?)", (config,))
        elif row[0] != config:
            file = self.path or next((Path(r[2]) for r in self.conn.execute("PRAGMA database_list")
                                      if r[1] == "main" and r[2]), None)
            where = file or "the state database"
            state_dir = file.parent if file else "<state dir>"
            raise StateError(
                f"near-duplicate index in {where} was built with {row[0]}, this vpcrawl uses "
                f"{config}; run `vpcrawl reset-sketches --state-dir {state_dir}` (drops the "
                "stored sketches: copies of earlier runs' articles are no longer marked "
                "near-duplicates; exact duplicates and known URLs are kept), call "
                "NearDupIndex.reset(), or point VPCRAWL_STATE_DIR elsewhere"
            )

    @contextmanager
    def _write(self) -> Iterator[None]:
        """Atomic group of writes; commits only if no outer transaction is open."""
        self.conn.execute("SAVEPOINT neardup")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO neardup")
            self.conn.execute("RELEASE neardup")
            raise
        self.conn.execute("RELEASE neardup")

    def signature(self, text: str) -> bytes:
        """MinHash signature of a text (bytes, 4 x num_perm)."""
        return minhash(text, self.num_perm, self.shingle)

    def band_hashes(self, sig: np.ndarray) -> list[int]:
        """The LSH key of each band of a signature (as uint32 array): documents that share
        one are candidates. The same function keys the Redis index of distributed crawls."""
        # the dedup pipeline asks for the same signature's bands three times in a row (query
        # the committed index, query the run's, add to the run's): computed once
        global _LAST_BANDS
        key = (sig.tobytes(), self.bands, self.rows)
        last = _LAST_BANDS  # one read: another thread may replace it (a tuple, never mutated)
        if last[0] == key:
            return last[1]
        v = sig[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        with np.errstate(over="ignore"):
            h = (v * _BAND_MIX[: self.rows]).sum(axis=1, dtype=np.uint64)
            h = _fmix(h)
        bands = h.view(np.int64).tolist()
        _LAST_BANDS = (key, bands)
        return bands

    @staticmethod
    def is_empty(sig: np.ndarray) -> bool:
        """The signature of a text without words: it is never indexed (it would match every
        other empty text)."""
        return bool((sig == 0xFFFFFFFF).all())

    def _band_rows(self, num: int, sig: np.ndarray) -> list[tuple[int, int, int]]:
        """The `band` rows of document `num` with this signature: none for an empty one."""
        return [] if self.is_empty(sig) else [(b, h, num) for b, h in enumerate(self.band_hashes(sig))]

    def candidates(self, signature: bytes) -> list[int]:
        """Internal numbers of documents sharing at least one band (before verification)."""
        sig = _sig_array(signature, self.num_perm)
        if self.is_empty(sig):
            return []
        args: list[int] = []
        for b, h in enumerate(self.band_hashes(sig)):
            args += (b, h)
        return [r[0] for r in self.conn.execute(self._query_sql, args)]

    def query(self, signature: bytes) -> list[tuple[str, float]]:
        """Indexed documents with estimated Jaccard >= threshold, most similar first."""
        sig = _sig_array(signature, self.num_perm)
        nums = self.candidates(signature)
        if not nums:
            return []
        out = []
        for start in range(0, len(nums), 500):
            part = nums[start : start + 500]
            rows = self.conn.execute(
                f"SELECT doc_id, sig FROM band_doc WHERE num IN ({','.join('?' * len(part))})",
                part,
            ).fetchall()
            for doc_id, other in rows:
                sim = float(np.count_nonzero(np.frombuffer(other, dtype="<u4") == sig)) / sig.size
                if sim >= self.threshold:
                    out.append((doc_id, sim))
        out.sort(key=lambda x: (-x[1], x[0]))
        return out

    def add(self, doc_id: str, signature: bytes) -> None:
        """Index a document (re-adding a doc_id replaces its signature)."""
        sig = _sig_array(signature, self.num_perm)
        with self._write():
            row = self.conn.execute(
                "SELECT num, sig FROM band_doc WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            if row is not None:
                num, old = row
                self.conn.executemany("DELETE FROM band WHERE band_no = ? AND hash = ? AND doc = ?",
                                      self._band_rows(num, np.frombuffer(old, dtype="<u4")))
                self.conn.execute("UPDATE band_doc SET sig = ? WHERE num = ?", (signature, num))
            else:
                cur = self.conn.execute(
                    "INSERT INTO band_doc (doc_id, sig) VALUES (?, ?)", (doc_id, signature)
                )
                num = cur.lastrowid
            # (an empty text has no bands: it would match every other empty text)
            self.conn.executemany("INSERT OR IGNORE INTO band VALUES (?, ?, ?)", self._band_rows(num, sig))

    def add_from(self, source: str, docs: str, params: Sequence[Any] = (), chunk: int = 1000) -> int:
        """Bulk `add`, in SQL: index the documents of another index with the same settings,
        attached to this connection as schema `source`. `docs` is a SELECT of `(seq, doc_id)`
        rows of that index, `seq` giving the order in which they would have been added one
        by one; the rows written are exactly those. Returns how many documents were added.

        Why: a crawl indexes its run's articles in a scratch index and commits them at the
        end; one `add` per article costs ~25 statements, this a handful per 1,000 articles.
        """
        conn, d = self.conn, f"WITH d(seq, doc_id) AS ({docs}) "
        # documents indexed before (a revision): their old bands go, as `add` drops them
        last = None
        while True:
            rows = conn.execute(
                d + "SELECT d.seq, m.num, m.sig FROM d JOIN main.band_doc AS m ON m.doc_id = d.doc_id "
                + ("" if last is None else "WHERE d.seq > ? ") + "ORDER BY d.seq LIMIT ?",
                (*params, *(() if last is None else (last,)), chunk),
            ).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            gone = []
            for _, num, old in rows:
                gone += self._band_rows(num, np.frombuffer(old, dtype="<u4"))
            conn.executemany("DELETE FROM main.band WHERE band_no = ? AND hash = ? AND doc = ?", gone)
        # signatures, in order (new documents get their numbers in that order)
        before = conn.total_changes  # (rowcount is -1 for a statement that starts with WITH)
        conn.execute(
            d + f"INSERT INTO main.band_doc (doc_id, sig) SELECT d.doc_id, s.sig FROM d "
            f"JOIN {source}.band_doc AS s ON s.doc_id = d.doc_id WHERE true ORDER BY d.seq "
            "ON CONFLICT (doc_id) DO UPDATE SET sig = excluded.sig",
            tuple(params),
        )
        added = conn.total_changes - before
        # bands: the rows the source index computed for these signatures, renumbered; one
        # pass over the source's bands in key order (an empty signature has none, as in `add`)
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS vp_renumber "
                     "(snum INTEGER PRIMARY KEY, mnum INTEGER NOT NULL)")
        conn.execute("DELETE FROM temp.vp_renumber")
        try:
            conn.execute(
                d + f"INSERT INTO temp.vp_renumber SELECT s.num, m.num FROM d "
                f"JOIN {source}.band_doc AS s ON s.doc_id = d.doc_id "
                "JOIN main.band_doc AS m ON m.doc_id = d.doc_id",
                tuple(params),
            )
            conn.execute(
                f"INSERT OR IGNORE INTO main.band (band_no, hash, doc) SELECT b.band_no, b.hash, "
                f"n.mnum FROM {source}.band AS b CROSS JOIN temp.vp_renumber AS n ON n.snum = b.doc"
            )
        finally:
            conn.execute("DELETE FROM temp.vp_renumber")
        return int(added)

    def add_text(self, doc_id: str, text: str) -> bytes:
        """Convenience: signature + add; returns the signature."""
        sig = self.signature(text)
        self.add(doc_id, sig)
        return sig

    def remove(self, doc_id: str) -> None:
        """Forget a document."""
        with self._write():
            row = self.conn.execute(
                "SELECT num, sig FROM band_doc WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            if row is None:
                return
            num, old = row
            self.conn.executemany("DELETE FROM band WHERE band_no = ? AND hash = ? AND doc = ?",
                                  self._band_rows(num, np.frombuffer(old, "<u4")))
            self.conn.execute("DELETE FROM band_doc WHERE num = ?", (num,))

    def __len__(self) -> int:
        return self.conn.execute("SELECT count(*) FROM band_doc").fetchone()[0]

    def reset(self) -> None:
        """Drop every stored sketch (needed after a change of shingling/normalisation)."""
        with self._write():
            reset_sketches(self.conn)
        self._check_config()

    def close(self) -> None:
        if self._owns:
            self.conn.close()


#: name used in docs/architecture.md
LSHIndex = NearDupIndex
