"""Unicode clean-up and tone-placement keys for Vietnamese portal text.

Why: portal HTML mixes NFD and NFC, stray combining marks, Icelandic Ð for Đ,
invisible characters, a dozen space variants and double-escaped entities; and two
accepted tone-placement conventions (``hòa``/``hoà``) make equal words compare
unequal. ``clean_text`` repairs the first group without changing what was
published; ``tone_key`` gives one comparison key for dedup and search.

Legacy font encodings (TCVN3, VNI, ...) are *not* handled here: run
:func:`vpcrawl.text.legacy.detect_and_convert` first, because in TCVN3 the soft
hyphen U+00AD that ``clean_text`` drops is the letter ``ư``.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "TONE_STYLES",
    "clean_text",
    "clean_texts",
    "fold_punct",
    "restyle_tones",
    "syllable_parts",
    "tone_key",
]

TONE_STYLES = ("keep", "old", "new")

# --------------------------------------------------------------------------- entities

# Only complete references with a ';' are decoded: "a=1&para=2" in a URL-ish text must
# not turn into "a=1¶=2" on the second pass.
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unescape_once(s: str) -> str:
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), s)


def _unescape(s: str) -> str:
    """Decode character references, twice at most (``&amp;agrave;`` → ``à``)."""
    if "&" not in s:
        return s
    out = _unescape_once(s)
    if out != s and "&" in out and _ENTITY_RE.search(out):
        out = _unescape_once(out)
    return out


# ------------------------------------------------------------------ character tables

# Vietnamese uses these combining marks: 5 tones + circumflex, breve, horn.
_VI_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")
# Latin combining-mark blocks; anything there that is not Vietnamese is a stray mark
# (underline/strike tricks, OCR noise). Marks of other scripts are left alone.
_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

_STRAY_MARKS: dict[int, None] = {
    cp: None
    for lo, hi in ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
                   (0xFE20, 0xFE2F))
    for cp in range(lo, hi + 1)
    if chr(cp) not in _VI_MARKS
}

_SPACE = " "
_CLEAN_TABLE: dict[int, str | None] = {
    0x00D0: "Đ",  # Icelandic Eth typed for Đ
    0x00F0: "đ",
    0x0009: _SPACE,
    0x000B: _SPACE,
    0x000C: "\n",
    0x000D: "\n",
    0x0085: "\n",
    0x2028: "\n",
    0x2029: "\n",
    0x00A0: _SPACE,
    0x1680: _SPACE,
    0x202F: _SPACE,
    0x205F: _SPACE,
    0x3000: _SPACE,
}
for _cp in range(0x2000, 0x200B):  # en quad … hair space
    _CLEAN_TABLE[_cp] = _SPACE
for _cp in (0x00AD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062,
            0x2063, 0x2064, 0xFEFF, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E):
    _CLEAN_TABLE[_cp] = None  # invisible: drop
for _cp in list(range(0x00, 0x09)) + list(range(0x0E, 0x20)) + [0x7F] + list(range(0x80, 0x85)) \
        + list(range(0x86, 0xA0)):
    _CLEAN_TABLE[_cp] = None  # control characters
for _cp in range(0xFF10, 0xFF1A):  # full-width digits (IME accidents in dates/numbers)
    _CLEAN_TABLE[_cp] = chr(_cp - 0xFF10 + 0x30)

# str.translate with a dict is slow on non-ASCII text (~0.1 µs/char); these characters
# are rare, so a regex finds them and a dict maps each match.
_CLEAN_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_CLEAN_TABLE)) + "]")
_CLEAN_MAP = {chr(k): (v or "") for k, v in _CLEAN_TABLE.items()}
_STRAY_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_STRAY_MARKS)) + "]")
_SPECIAL_RE = re.compile(_CLEAN_RE.pattern[:-1] + _COMBINING_RE.pattern[1:])


def _clean_chars(m: re.Match[str]) -> str:
    return _CLEAN_MAP[m.group(0)]


_MULTI_SPACE_RE = re.compile(r" {2,}")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")


def clean_text(s: str) -> str:
    """Repair encoding-level noise and keep the published wording.

    Entities (twice), stray combining marks, NFC, Ð→Đ, invisible characters,
    space variants → one space, runs of spaces collapsed, every line stripped,
    at most one blank line in a row. Curly quotes, dashes and tone placement are
    kept as published (see :func:`fold_punct` and :func:`tone_key` for keys).
    """
    if not s:
        return ""
    s = _unescape(s)
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    if _SPECIAL_RE.search(s):  # one scan; most lines need neither step
        if not s.isascii() and _COMBINING_RE.search(s):
            s = _STRAY_RE.sub("", s)
        s = _CLEAN_RE.sub(_clean_chars, s)
    # NFC last: a dropped soft hyphen or stray mark may have split a base from its tone
    if not s.isascii() and not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    if "  " in s:
        s = _MULTI_SPACE_RE.sub(" ", s)
    if "\n" in s:
        s = "\n".join(line.strip(" ") for line in s.split("\n"))
        if "\n\n\n" in s:
            s = _MANY_NEWLINES_RE.sub("\n\n", s)
    return s.strip(" \n")


def clean_texts(texts: list[str]) -> list[str]:
    """`[clean_text(t) for t in texts]`, with one scan of all the texts for what would need
    repair (an article's paragraphs usually need none).

    Joined by newlines the texts need no entity, special-character, NFC or space repair
    exactly when none of them does: a newline is in no character reference, is no special
    character, composes with nothing and starts no run of spaces. A text with nothing to
    repair and no line break is then cleaned by stripping it; the others go through
    `clean_text`.
    """
    if len(texts) < 2:
        return [clean_text(t) for t in texts]
    joined = "\n".join(texts)
    if (("&" in joined and _ENTITY_RE.search(joined)) or "\r" in joined or "  " in joined
            or _SPECIAL_RE.search(joined)
            or (not joined.isascii() and not unicodedata.is_normalized("NFC", joined))):
        return [clean_text(t) for t in texts]
    return [t.strip(" \n") if "\n" not in t else clean_text(t) for t in texts]


_PUNCT_MAP = {
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
    "–": "-", "—": "-", "―": "-", "‒": "-", "−": "-", "‐": "-", "‑": "-",
    "…": "...",
}
_PUNCT_RE = re.compile("[" + "".join(_PUNCT_MAP) + "]")


def fold_punct(s: str) -> str:
    """Key form of punctuation: curly quotes → ASCII, dashes → ``-``, ``…`` → ``...``.

    Only for keys (dedup/search); display text keeps what was published.
    """
    if s.isascii():
        return s.replace("`", "'")
    return _PUNCT_RE.sub(lambda m: _PUNCT_MAP[m.group(0)], s)


# ------------------------------------------------------------------------ tones

_TONE_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")  # index = tone
_VOWEL_BASES = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
# toned (or plain) vowel → (plain vowel, tone index); and the inverse
_DETONE: dict[str, tuple[str, int]] = {}
_RETONE: dict[tuple[str, int], str] = {}
for _b in _VOWEL_BASES:
    for _t, _mark in enumerate(_TONE_MARKS):
        _c = unicodedata.normalize("NFC", _b + _mark)
        _DETONE[_c] = (_b, _t)
        _RETONE[(_b, _t)] = _c
_TONED_CHARS = frozenset(c for c, (_b, t) in _DETONE.items() if t)

_SHAPED = frozenset("ăâêôơư")
_ONSET = r"(ngh|ng|gh|gi(?=[aăâeêoôơuưy])|qu(?=[aăâeêioôơuưy])|kh|nh|ph|th|tr|ch|[bcdđghklmnpqrstvx])?"
_SYLLABLE_RE = re.compile(_ONSET + r"([aăâeêioôơuưy]{1,3})(ch|nh|ng|[cmnpt])?")

# Valid vowel nuclei (after the onset): used to tell Vietnamese syllables from garbage.
VALID_NUCLEI = frozenset(
    "a ă â e ê i o ô ơ u ư y "
    "ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi ơi ua uâ uê ui uô uơ uy ưa ưi ưu ươ yê "
    "iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu".split()
)


def syllable_parts(word: str) -> tuple[str, str, str, int] | None:
    """Split one lowercase NFC word into (onset, nucleus, coda, tone) or None.

    None when the word is not shaped like a Vietnamese syllable (two tone marks,
    a foreign cluster, an impossible vowel run). Tone positions are not checked.
    """
    bases = []
    tone = 0
    for ch in word:
        info = _DETONE.get(ch)
        if info is None:
            bases.append(ch)
            continue
        bases.append(info[0])
        if info[1]:
            if tone:
                return None
            tone = info[1]
    plain = "".join(bases)
    m = _SYLLABLE_RE.fullmatch(plain)
    if m is None or m.group(2) not in VALID_NUCLEI:
        return None
    return m.group(1) or "", m.group(2), m.group(3) or "", tone


def _tone_index(nucleus: str, closed: bool, new: bool) -> int:
    """Where the tone goes inside the vowel nucleus (the only style-dependent case is oa/oe/uy)."""
    for i in range(len(nucleus) - 1, -1, -1):
        if nucleus[i] in _SHAPED:
            return i  # ă â ê ô ơ ư carry the mark (ươ → ơ)
    if closed:
        return len(nucleus) - 1  # hoàn, huỳnh, quỳnh
    n = len(nucleus)
    if n == 1:
        return 0
    if n == 3:
        return 1  # hoài, khuỷu, ngoẻo
    if nucleus in ("oa", "oe", "uy"):
        return 1 if new else 0  # hoà / hòa
    return 0  # mái, mía, múa, túi


def _restyle_word(w: str, new: bool) -> str:
    bases: list[str] = []
    tone = 0
    tpos = -1
    for i, ch in enumerate(w):
        info = _DETONE.get(ch)
        if info is None:
            bases.append(ch)
            continue
        bases.append(info[0])
        if info[1]:
            if tone:
                return w  # two tone marks: not one syllable, leave it
            tone, tpos = info[1], i
    if not tone:
        return w
    m = _SYLLABLE_RE.fullmatch("".join(bases).lower())
    if m is None:
        return w  # foreign word (Pérez, café)
    target = m.start(2) + _tone_index(m.group(2), bool(m.group(3)), new)
    if target == tpos:
        return w
    chars = list(w)
    chars[tpos] = bases[tpos]
    chars[target] = _RETONE[(bases[target], tone)]
    return "".join(chars)


_WORD_RE = re.compile(r"[^\W\d_]+")
_CACHE_MAX = 200_000
_caches: dict[bool, dict[str, str]] = {False: {}, True: {}}
_key_cache: dict[str, str] = {}


def _restyle(s: str, new: bool) -> str:
    cache = _caches[new]

    def repl(m: re.Match[str]) -> str:
        w = m.group(0)
        out = cache.get(w)
        if out is None:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            out = cache[w] = _restyle_word(w, new) if not w.isascii() else w
        return out

    return _WORD_RE.sub(repl, s)


def restyle_tones(s: str, style: str) -> str:
    """Move tone marks to one convention: ``old`` (hòa, thủy) or ``new`` (hoà, thuỷ).

    Misplaced marks are repaired in both styles (``tòan`` → ``toàn``, ``qúy`` →
    ``quý``); ``keep`` returns ``s`` unchanged. Case and non-Vietnamese words are
    preserved.
    """
    if style == "keep":
        return s
    if style not in ("old", "new"):
        raise ValueError(f"style must be one of {TONE_STYLES}, not {style!r}")
    if not s or s.isascii():
        return s
    if not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    return _restyle(s, style == "new")


def tone_key(s: str) -> str:
    """Comparison key: clean, punctuation folded, casefolded, tones in ``new`` style, one space.

    ``tone_key("Hòa Bình") == tone_key("HOÀ  BÌNH")``. Used for dedup and phrase matching,
    never for display.
    """
    s = clean_text(s)
    if not s:
        return ""
    s = fold_punct(s).casefold()
    if s.isascii():
        return " ".join(s.split())
    # whitespace-separated tokens repeat a lot: cache each token's key
    cache = _key_cache
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    out = []
    for tok in s.split():
        k = cache.get(tok)
        if k is None:
            k = cache[tok] = _restyle(tok, True) if not tok.isascii() else tok
        out.append(k)
    return " ".join(out)
