r"""Near-duplicate detection: MinHash over tone-normalised word 3-shingles + LSH bands in SQLite.

Why this design (numbers from tests/data/near_dup_pairs.json and benchmarks/bench_state.py):

* Shingles are word 3-grams of `tone_key`-normalised `\w+` tokens. Exact Jaccard on the
  labelled pairs (duplicates' minimum vs distinct pairs' maximum): 3-grams 0.71 vs 0.35,
  5-grams 0.68 vs 0.33, 2-grams 0.75 vs 0.38 (same-topic articles climb to 0.12), 1-grams
  0.83 vs 0.52. 3-grams keep the margin of 2-grams (0.36 vs 0.37) while different articles on
  one topic stay under 0.09, and an edited word breaks 3 shingles instead of 5. Tone normalisation makes `Ủy ban` and `Uỷ ban` one
  word; without it (NFC + casefold only) the 3-gram margin shrinks to 0.31, the 5-gram one
  to 0.20.
* MinHash with 128 permutations is vectorised in numpy: stable 64-bit token hashes (blake2b,
  cached), one mixed 64-bit hash per shingle, then 128 multiply-shift hashes
  `((a*x + b) mod 2**64) >> 32` and a min. About 10x faster than datasketch per document and
  stable across runs and machines (no Python `hash()`).
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
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    "LSHIndex",
    "NearDupIndex",
    "content_hash",
    "minhash",
    "shingle_hashes",
    "similarity",
    "tokens",
]

NUM_PERM = 128
SHINGLE = 3
DEFAULT_BANDS = 32
DEFAULT_ROWS = 4
DEFAULT_THRESHOLD = 0.5
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


def _params(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Permutation parameters derived from fixed labels: identical on every machine/version."""
    a = np.array([_u64(f"vpcrawl-minhash-a-{i}") | 1 for i in range(num_perm)], dtype=np.uint64)
    b = np.array([_u64(f"vpcrawl-minhash-b-{i}") for i in range(num_perm)], dtype=np.uint64)
    return a.reshape(-1, 1), b.reshape(-1, 1)


_PARAMS: dict[int, tuple[np.ndarray, np.ndarray]] = {}
_MIX = np.array([_u64(f"vpcrawl-shingle-{i}") | 1 for i in range(8)], dtype=np.uint64)
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
    r"""NFC + casefolded `\w+` runs (split first: 2x faster than one findall on news text)."""
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


def _token_hash(word: str) -> int:
    """Stable 64-bit hash of a word's key (cached: a news vocabulary is a few 10k words)."""
    w = _key(word) if _tone_key is not None else word
    h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little") or 1
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[word] = h
    return h


def word_hashes(text: str) -> np.ndarray:
    """Stable 64-bit hash of each normalised word of `text`, in order."""
    get = _TOKEN_CACHE.get
    return np.array([get(w) or _token_hash(w) for w in _words(text)], dtype=np.uint64)


def shingle_hashes(text: str, k: int = SHINGLE) -> np.ndarray:
    """64-bit hashes of the word k-grams (a text shorter than k words is one shingle)."""
    return _shingles(word_hashes(text), k)


def _shingles(th: np.ndarray, k: int = SHINGLE) -> np.ndarray:
    if th.size == 0:
        return np.empty(0, dtype=np.uint64)
    k = min(k, len(th))
    n = len(th) - k + 1
    with np.errstate(over="ignore"):
        acc = th[:n] * _MIX[0]
        for j in range(1, k):
            acc = acc + th[j : j + n] * _MIX[j]
        return _fmix(acc)


def _minhash_array(hashes: np.ndarray, num_perm: int = NUM_PERM) -> np.ndarray:
    if num_perm not in _PARAMS:
        _PARAMS[num_perm] = _params(num_perm)
    a, b = _PARAMS[num_perm]
    out = np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    if hashes.size == 0:
        return out
    shift = np.uint64(32)
    with np.errstate(over="ignore"):
        # chunks of 512: the num_perm x 512 temporary (512 KB) stays in cache; 2048 did not
        for start in range(0, hashes.size, 512):
            v = a * hashes[start : start + 512]  # in place below: 4x faster than one expression
            v += b
            v >>= shift
            np.minimum(out, v.min(axis=1).astype(np.uint32), out=out)
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
    digest.update(title_words.astype("<u8").tobytes())
    digest.update(b"\x00|body|\x00")
    digest.update(body_words.astype("<u8").tobytes())
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
             "shingle": self.shingle, "key": KEY_NAME, "hash": "blake2b-mix-v1"},
            sort_keys=True,
        )  # fmt: skip
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'sketch'").fetchone()
        if row is None:
            with self._write():
                self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('sketch', ?)", (config,))
        elif row[0] != config:
            where = self.path or "the state database"
            raise StateError(
                f"near-duplicate index in {where} was built with {row[0]}, this vpcrawl uses "
                f"{config}; call NearDupIndex.reset() (drops the stored sketches) or point "
                "VPCRAWL_STATE_DIR elsewhere"
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

    def _band_hashes(self, sig: np.ndarray) -> list[int]:
        v = sig[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        with np.errstate(over="ignore"):
            h = (v * _BAND_MIX[: self.rows]).sum(axis=1, dtype=np.uint64)
            h = _fmix(h)
        return h.view(np.int64).tolist()

    @staticmethod
    def _empty(sig: np.ndarray) -> bool:
        return bool((sig == 0xFFFFFFFF).all())

    def candidates(self, signature: bytes) -> list[int]:
        """Internal numbers of documents sharing at least one band (before verification)."""
        sig = _sig_array(signature, self.num_perm)
        if self._empty(sig):
            return []
        args: list[int] = []
        for b, h in enumerate(self._band_hashes(sig)):
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
                old_sig = np.frombuffer(old, dtype="<u4")
                if not self._empty(old_sig):
                    self.conn.executemany(
                        "DELETE FROM band WHERE band_no = ? AND hash = ? AND doc = ?",
                        [(b, h, num) for b, h in enumerate(self._band_hashes(old_sig))],
                    )
                self.conn.execute("UPDATE band_doc SET sig = ? WHERE num = ?", (signature, num))
            else:
                cur = self.conn.execute(
                    "INSERT INTO band_doc (doc_id, sig) VALUES (?, ?)", (doc_id, signature)
                )
                num = cur.lastrowid
            if not self._empty(sig):  # an empty text would match every other empty text
                self.conn.executemany(
                    "INSERT OR IGNORE INTO band VALUES (?, ?, ?)",
                    [(b, h, num) for b, h in enumerate(self._band_hashes(sig))],
                )

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
            self.conn.executemany(
                "DELETE FROM band WHERE band_no = ? AND hash = ? AND doc = ?",
                [(b, h, num) for b, h in enumerate(self._band_hashes(np.frombuffer(old, "<u4")))],
            )
            self.conn.execute("DELETE FROM band_doc WHERE num = ?", (num,))

    def __len__(self) -> int:
        return self.conn.execute("SELECT count(*) FROM band_doc").fetchone()[0]

    def reset(self) -> None:
        """Drop every stored sketch (needed after a change of shingling/normalisation)."""
        with self._write():
            self.conn.execute("DELETE FROM band")
            self.conn.execute("DELETE FROM band_doc")
            self.conn.execute("DELETE FROM meta WHERE key = 'sketch'")
        self._check_config()

    def close(self) -> None:
        if self._owns:
            self.conn.close()


#: name used in docs/architecture.md
LSHIndex = NearDupIndex
