"""Legacy Vietnamese encodings → Unicode, and robust HTML byte decoding.

Why: old provincial Party pages still carry text typed in pre-Unicode font
encodings (TCVN3/ABC ``.VnTime``, ``VNI-Times``, VISCII, VIQR) or UTF-8 read with
the wrong charset. Browsers show them right only because of the font; the text
we extract is garbage (``§¶ng Céng s¶n ViÖt Nam``). We convert it back, but only
when the result is clearly more Vietnamese than the input: normal Unicode
Vietnamese and English must never be touched.

Tables: TCVN3 and VISCII come from glibc iconv's ``TCVN5712-1`` and ``VISCII``
charmaps (byte → code point, generated once, checked in the tests when iconv is
present); VNI (no iconv/Python codec) follows the VNI-Windows layout of base letter
+ mark byte; VIQR follows RFC 1456. No third-party dependency: ftfy 6.3 did not
repair ``Cá»™ng`` (U+2122 inside the sequence), the byte-level repair below does.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable

from vpcrawl.text.normalize import syllable_parts

__all__ = [
    "ENCODINGS",
    "convert",
    "decode_html_bytes",
    "detect_and_convert",
    "font_hint_encoding",
    "vietnamese_score",
]

TCVN3 = "tcvn3"
VNI = "vni"
VISCII = "viscii"
VIQR = "viqr"
MOJIBAKE = "utf-8-mojibake"
ENCODINGS = (MOJIBAKE, TCVN3, VNI, VISCII, VIQR)

# ---------------------------------------------------------------- byte views
# A legacy page reaches us as text decoded by windows-1252 (what browsers use for
# iso-8859-1) or by latin-1. Each byte therefore surfaces as one of two characters.


def _c1_fallback(err: UnicodeError) -> tuple[str, int]:
    """Decode bytes undefined in windows-125x as the C1 control (WHATWG behaviour)."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return "".join(chr(b) for b in err.object[err.start:err.end]), err.end


codecs.register_error("vpcrawl-c1", _c1_fallback)


def _views(byte: int) -> set[str]:
    """Characters that ``byte`` becomes when read as windows-1252 or latin-1."""
    return {bytes([byte]).decode("cp1252", "vpcrawl-c1"), chr(byte)}


def _byte_of(ch: str) -> int | None:
    """Inverse of the windows-1252/latin-1 views (None for characters of neither)."""
    cp = ord(ch)
    if cp < 0x100:
        return cp
    try:
        return ch.encode("cp1252")[0]
    except UnicodeEncodeError:
        return None


# ---------------------------------------------------------------- TCVN3 (ABC)
# glibc TCVN5712-1, bytes 0xA0-0xFF; 0x00 = not mapped (0xA0 is NBSP, 0xB0-0xB4 are
# combining tone marks in VN1 but degree/plus-minus/superscripts in real ABC text).
# 0x80-0x9F are left alone: ABC (VN3) keeps Windows punctuation there.
_TCVN3_HIGH = (
    "\x00ĂÂÊÔƠƯĐăâêôơưđẰ\x00\x00\x00\x00\x00àảãáạẲằẳẵắẴ"
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò"
    "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
_TCVN3_TABLE: dict[int, str] = {}
for _i, _u in enumerate(_TCVN3_HIGH):
    if _u != "\x00":
        for _v in _views(0xA0 + _i):
            _TCVN3_TABLE[ord(_v)] = _u

# ---------------------------------------------------------------- VISCII
# glibc VISCII: all of 0x80-0xFF are letters, plus six capitals in C0 controls.
_VISCII_HIGH = (
    "ẠẮẰẶẤẦẨẬẼẸẾỀỂỄỆỐỒỔỖỘỢỚỜỞỊỎỌỈỦŨỤỲ"
    "ÕắằặấầẩậẽẹếềểễệốồổỗỠƠộờởịỰỨỪỬơớƯ"
    "ÀÁÂÃẢĂẳẵÈÉÊẺÌÍĨỳĐứÒÓÔạỷừửÙÚỹỵÝỡư"
    "àáâãảăữẫèéêẻìíĩỉđựòóôõỏọụùúũủýợỮ"
)
_VISCII_TABLE: dict[int, str] = {0x02: "Ẳ", 0x05: "Ẵ", 0x06: "Ẫ", 0x14: "Ỷ", 0x19: "Ỹ", 0x1E: "Ỵ"}
for _i, _u in enumerate(_VISCII_HIGH):
    for _v in _views(0x80 + _i):
        _VISCII_TABLE[ord(_v)] = _u

# ---------------------------------------------------------------- VNI-Windows
# A toned vowel is a base letter followed by a mark byte; i-family, đ, ơ, ư are
# single bytes. Marks (lower / upper case):
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323",
              "Ù": "\u0301", "Ø": "\u0300", "Û": "\u0309", "Õ": "\u0303", "Ï": "\u0323"}
_VNI_CIRC = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323",
             "Â": "", "Á": "\u0301", "À": "\u0300", "Å": "\u0309", "Ã": "\u0303", "Ä": "\u0323"}
_VNI_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323",
              "Ê": "", "É": "\u0301", "È": "\u0300", "Ú": "\u0309", "Ü": "\u0303", "Ë": "\u0323"}
_VNI_SINGLE = {"ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư",
               "æ": "ỉ", "Æ": "Ỉ", "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ"}


def _build_vni_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    nfc = unicodedata.normalize
    for base in "aeiouyAEIOUY":
        for mark, tone in _VNI_TONES.items():
            if mark.isupper() == base.isupper():
                pairs[base + mark] = nfc("NFC", base + tone)
    for base in "ôöÔÖ":  # ơ, ư + tone
        for mark, tone in _VNI_TONES.items():
            if mark.isupper() == base.isupper():
                pairs[base + mark] = nfc("NFC", _VNI_SINGLE[base] + tone)
    for base in "aeoAEO":
        for mark, tone in _VNI_CIRC.items():
            if mark.isupper() == base.isupper():
                pairs[base + mark] = nfc("NFC", base + "\u0302" + tone)
    for base in "aA":
        for mark, tone in _VNI_BREVE.items():
            if mark.isupper() == base.isupper():
                pairs[base + mark] = nfc("NFC", base + "\u0306" + tone)
    return pairs


_VNI_PAIRS = _build_vni_pairs()
_VNI_MAP = {**_VNI_SINGLE, **_VNI_PAIRS}
# one pass, pairs first: a decoded 'ò' must not be read again as the single 'ò' (ị)
_VNI_RE = re.compile(
    "|".join(map(re.escape, sorted(_VNI_PAIRS, key=len, reverse=True)))
    + "|[" + "".join(_VNI_SINGLE) + "]"
)


def _vni_decode(s: str) -> str:
    return _VNI_RE.sub(lambda m: _VNI_MAP[m.group(0)], s)


# ---------------------------------------------------------------- VIQR (RFC 1456)
_VIQR_SHAPES = {("a", "("): "\u0306", ("a", "^"): "\u0302", ("e", "^"): "\u0302",
                ("o", "^"): "\u0302", ("o", "+"): "\u031b", ("u", "+"): "\u031b"}
_VIQR_TONES = {"'": "\u0301", "`": "\u0300", "?": "\u0309", "~": "\u0303", ".": "\u0323"}
_VIQR_RE = re.compile(
    r"(?<![A-Za-z])(DD|Dd|dd)(?=[AEIOUYaeiouy])|([AEIOUYaeiouy])(?=[(^+\\`'?~.])([(^+]?)(\\?)([`'?~.]?)"
)
# a mark only when it is not obviously sentence punctuation
# acceptance needs an unambiguous mark (^ + ( ` ~ DD), so only those open the door
_VIQR_GATE = re.compile(r"[AEIOUYaeiouy][(^+`~]|(?<![A-Za-z])(?:DD|Dd|dd)[AEIOUYaeiouy]")
_VIQR_CHARS = ("^", "+", "(", "`", "~", "DD", "Dd", "dd")


def _viqr_repl(m: re.Match[str]) -> str:
    if m.group(1):
        return "Đ" if m.group(1)[0] == "D" else "đ"
    vowel, shape, esc, tone = m.group(2), m.group(3), m.group(4), m.group(5)
    out = vowel
    if shape:
        mark = _VIQR_SHAPES.get((vowel.lower(), shape))
        out = vowel + mark if mark else vowel + shape
    if not tone:
        return unicodedata.normalize("NFC", out) + esc
    if esc:
        return unicodedata.normalize("NFC", out) + tone  # "\." is a literal dot
    if tone in ".?":
        # sentence punctuation when the text, the line or the sentence ends here
        s, end = m.string, m.end()
        nxt = s[end:end + 1]
        if (not nxt or nxt in "\n\"')]"
                or (nxt in " \t" and (end + 1 >= len(s) or s[end + 1].isupper() or s[end + 1] == "\n"))):
            return unicodedata.normalize("NFC", out) + tone
    return unicodedata.normalize("NFC", out + _VIQR_TONES[tone])


def _viqr_decode(s: str) -> str:
    return _VIQR_RE.sub(_viqr_repl, s)


# ---------------------------------------------------------------- UTF-8 mojibake
# UTF-8 bytes read as windows-1252 (or latin-1): repair each complete sequence.
_CONT = "[\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014" \
        "\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
_MOJIBAKE_RE = re.compile(
    f"[\xc2-\xdf]{_CONT}|Ã |[\xe0-\xef]{_CONT}{{2}}|[\xf0-\xf4]{_CONT}{{3}}"
)


def _mojibake_repl(m: re.Match[str]) -> str:
    seq = m.group(0)
    if seq == "Ã ":
        return "à"  # C3 A0 whose NBSP was turned into a space
    raw = bytes(b for b in map(_byte_of, seq) if b is not None)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return seq


def _mojibake_decode(s: str) -> str:
    return _MOJIBAKE_RE.sub(_mojibake_repl, s)


# ---------------------------------------------------------------- conversion


def convert(s: str, encoding: str, uppercase: bool = False) -> str:
    """Convert ``s`` from a legacy encoding name in :data:`ENCODINGS` (no detection).

    ``uppercase`` is for ``.VnTimeH``-style fonts, which draw ABC lowercase codes
    as capitals.
    """
    if encoding == TCVN3:
        out = s.translate(_TCVN3_TABLE)
    elif encoding == VNI:
        out = _vni_decode(s)
    elif encoding == VISCII:
        out = s.translate(_VISCII_TABLE)
    elif encoding == VIQR:
        out = _viqr_decode(s)
    elif encoding == MOJIBAKE:
        out = _mojibake_decode(s)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}")
    out = unicodedata.normalize("NFC", out)
    return out.upper() if uppercase else out


# ---------------------------------------------------------------- scoring

_TOKEN_RE = re.compile(r"[^\s\-/]+")
_EDGE = "!\"#$%&'()*+,.:;<=>?@[\\]^_`{|}~“”‘’…–—•"  # « » are TCVN3 letters
_valid_cache: dict[str, bool] = {}
_token_cache: dict[str, int] = {}


def _valid(tok: str) -> bool:
    v = _valid_cache.get(tok)
    if v is None:
        if len(_valid_cache) > 100_000:
            _valid_cache.clear()
        v = _valid_cache[tok] = syllable_parts(tok.lower()) is not None
    return v


def _classify(raw: str) -> int:
    """0 = ignore (no letter), 1 = Vietnamese syllable, 2 = not one."""
    tok = raw.strip(_EDGE)
    if not tok or not any(c.isalpha() for c in tok):
        return 0
    return 1 if _valid(tok) else 2


def vietnamese_score(text: str) -> tuple[int, int]:
    """(good, bad): non-ASCII tokens that are / are not Vietnamese syllables.

    This is what tells converted legacy text from garbage, and real Vietnamese
    from a wrongly "repaired" one.
    """
    good = bad = 0
    cache = _token_cache
    if len(cache) > 200_000:
        cache.clear()
    for tok in _TOKEN_RE.findall(text):
        if tok.isascii():
            continue
        v = cache.get(tok)
        if v is None:
            v = cache[tok] = _classify(tok)
        if v == 1:
            good += 1
        elif v == 2:
            bad += 1
    return good, bad


def _non_ascii_share(s: str) -> float:
    return 1.0 - len(s.encode("ascii", "ignore")) / len(s)


def _mostly_ascii(s: str) -> bool:
    """`_non_ascii_share(s) <= 0.01`, answered at once for text that is plainly not: every
    non-ASCII character takes 2 to 4 UTF-8 bytes (a fast encode), so more than 4 % extra
    bytes means more than 1 % non-ASCII characters."""
    if s.isascii():
        return True
    if len(s.encode("utf-8", "surrogatepass")) - len(s) > 0.04 * len(s):
        return False
    return _non_ascii_share(s) <= 0.01


# Characters of the windows-1252/latin-1 repertoire that Vietnamese Unicode text does
# not use: one of them must be present before any 8-bit legacy decoding is tried.
_VI_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_SUSPICIOUS = "".join(
    c for c in (chr(i) for i in range(0x80, 0x100)) if c not in _VI_LATIN1
) + "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u20ac\u2122"
_SUSPICIOUS_RE = re.compile("[" + re.escape(_SUSPICIOUS) + "\x02\x05\x06\x14\x19\x1e]")
_VI_UNICODE_RE = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]")
_SAMPLE = 8_000  # characters looked at to decide; the whole text is converted

# ABC font names start with '.', right after a separator ('dangcongsan.vn' is no font)
_FONT_VN_RE = re.compile(r"(?:^|(?<=[\s,;:'\"(]))\.vn[a-z0-9]+", re.IGNORECASE)
_FONT_VNI_RE = re.compile(r"\bvni[-_ ]", re.IGNORECASE)
_FONT_VISCII_RE = re.compile(r"viscii", re.IGNORECASE)


def font_hint_encoding(font_hint: str | None) -> tuple[str | None, bool]:
    """Encoding suggested by font-family names: (``tcvn3``/``vni``/``viscii``/None, uppercase).

    ``uppercase`` is True when every ABC font named is an ``…H`` (capitals) font.
    """
    if not font_hint:
        return None, False
    vn = _FONT_VN_RE.findall(font_hint)
    if vn:
        return TCVN3, all(name.endswith("H") for name in vn)
    if _FONT_VNI_RE.search(font_hint):
        return VNI, False
    if _FONT_VISCII_RE.search(font_hint):
        return VISCII, False
    return None, False


def _improves(orig: tuple[int, int], conv: tuple[int, int], hinted: bool) -> bool:
    g0, b0 = orig
    g1, b1 = conv
    if g1 + b1 == 0:
        return False
    if hinted:  # the font says so: any real improvement
        return g1 > g0 and g1 - b1 > g0 - b0
    return g1 >= 3 * b1 and (g1 - b1) - (g0 - b0) >= max(2.0, 0.3 * (g1 + b1))


def _viqr_accepts(sample: str, conv: str) -> bool:
    """VIQR is ASCII: accept only when marked words decode to Vietnamese, with some
    unambiguous marks (^ + ( ` ~ DD), so that English ``Go.`` or ``I'm`` never qualify."""
    words = changed = valid = strong = 0
    for o, c in zip(sample.split(), conv.split(), strict=False):
        if any(ch.isalpha() for ch in o):
            words += 1
        if o == c:
            continue
        changed += 1
        if _valid(c.strip(_EDGE)):
            valid += 1
            if any(ch in "^+(`~" for ch in o) or o[:2] in ("DD", "Dd", "dd"):
                strong += 1
    return changed > 0 and strong > 0 and valid >= 0.8 * changed and valid >= 0.3 * words


def detect_and_convert(s: str, font_hint: str | None = None) -> tuple[str, str | None]:
    """Return (Unicode NFC text, legacy encoding name) or (s, None) when unchanged.

    Order: the font hint (``.VnTime`` → TCVN3, ``VNI-Times`` → VNI), then a content
    test: a trial conversion must make clearly more tokens valid Vietnamese
    syllables. Plain Unicode Vietnamese and English are never converted.
    """
    if not s:
        return s, None
    sample = s if len(s) <= _SAMPLE else s[:_SAMPLE]
    hint, upper = font_hint_encoding(font_hint)
    suspicious = _SUSPICIOUS_RE.search(sample) is not None

    if not suspicious:
        # only VIQR (plain ASCII mnemonics) is possible here
        # cheapest test first: Vietnamese Unicode text fails the ASCII share at once, and
        # the gate regex is the slowest of the three on a long text
        if (_mostly_ascii(sample) and any(c in sample for c in _VIQR_CHARS)
                and _VIQR_GATE.search(sample)):
            if _viqr_accepts(sample, _viqr_decode(sample)):
                return convert(s, VIQR), VIQR
        return s, None

    if len(_VI_UNICODE_RE.findall(sample)) > len(_SUSPICIOUS_RE.findall(sample)):
        # real Vietnamese letters (ệ ơ đ …) cannot come out of a mis-decoded 8-bit page:
        # this is Unicode text with a few symbols (° ² ©), not legacy text
        return s, None

    orig = vietnamese_score(sample)
    if hint is not None:
        conv = convert(sample, hint, upper)
        if conv != sample and _improves(orig, vietnamese_score(conv), True):
            return convert(s, hint, upper), hint
    g0, b0 = orig
    if b0 == 0 or (g0 >= 8 and g0 >= 4 * b0):
        return s, None  # nothing, or next to nothing, looks broken

    best: tuple[int, str] | None = None
    for enc in (MOJIBAKE, TCVN3, VNI, VISCII):
        if enc == MOJIBAKE and not _MOJIBAKE_RE.search(sample):
            continue
        conv = convert(sample, enc)
        if conv == sample:
            continue
        score = vietnamese_score(conv)
        if _improves(orig, score, False):
            margin = score[0] - score[1]
            if best is None or margin > best[0]:
                best = (margin, enc)
    if best is None:
        return s, None
    return convert(s, best[1]), best[1]


# ---------------------------------------------------------------- HTML bytes

_CHARSET_ALIASES: dict[str, str] = {}
for _name, _labels in {
    "utf-8": "utf-8 utf8 unicode-1-1-utf-8 x-unicode20utf8 unicode",
    "windows-1252": "iso-8859-1 iso8859-1 iso_8859-1 latin1 latin-1 l1 us-ascii ascii "
                    "windows-1252 cp1252 x-cp1252 cp819 ibm819",
    "windows-1258": "windows-1258 cp1258 x-cp1258",
    TCVN3: "tcvn tcvn3 tcvn-3 tcvn5712 tcvn5712-1 tcvn-5712 tcvn5712-1:1993 x-viet-tcvn5712 vn3 abc",
    VISCII: "viscii x-viet-viscii csviscii viscii1.1-1",
    VNI: "vni x-viet-vni vni-windows",
    "utf-16": "utf-16 utf16 unicode-1-1 ucs-2",
}.items():
    for _label in _labels.split():
        _CHARSET_ALIASES[_label] = _name

_SINGLE_BYTE = frozenset({"windows-1252", "windows-1258", TCVN3, VISCII, VNI})
# windows-1258 tone marks (0xCC 0xD2 0xDE 0xEC 0xF2) right after a letter byte
_CP1258_TONE_RE = re.compile(rb"[A-Za-z\xc2\xc3\xca\xd4\xd5\xdd\xe2\xe3\xea\xf4\xf5\xfd][\xcc\xd2\xde\xec\xf2]")
_NON_ASCII_OK_RE = re.compile("[^\x00-\x7f\ufffd]")


def _charset(declared: str | None) -> str | None:
    if not declared:
        return None
    label = declared.strip().strip("\"'").strip().lower()
    if not label:
        return None
    name = _CHARSET_ALIASES.get(label)
    if name:
        return name
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _CHARSET_ALIASES.get(name, name)


def _decode_cp1258(body: bytes) -> str:
    return unicodedata.normalize("NFC", body.decode("cp1258", "vpcrawl-c1"))


def _decode_single_byte(body: bytes, charset: str) -> str:
    decoders: dict[str, Callable[[bytes], str]] = {
        "windows-1252": lambda b: b.decode("cp1252", "vpcrawl-c1"),
        "windows-1258": _decode_cp1258,
        TCVN3: lambda b: convert(b.decode("cp1252", "vpcrawl-c1"), TCVN3),
        VISCII: lambda b: convert(b.decode("latin-1"), VISCII),
        VNI: lambda b: convert(b.decode("cp1252", "vpcrawl-c1"), VNI),
    }
    return decoders[charset](body)


def _guess_single_byte(body: bytes) -> str:
    """windows-1258 when its combining tones follow letters and read as Vietnamese, else windows-1252."""
    if _CP1258_TONE_RE.search(body):
        g, b = vietnamese_score(_decode_cp1258(body[:_SAMPLE * 2]))
        g2, b2 = vietnamese_score(body[:_SAMPLE * 2].decode("cp1252", "vpcrawl-c1"))
        if g > b and g - b > g2 - b2:
            return "windows-1258"
    return "windows-1252"


def decode_html_bytes(body: bytes, declared: str | None) -> tuple[str, str]:
    """Bytes → (text, encoding used). Never raises.

    BOM first; UTF-8 bytes declared as a single-byte charset are read as UTF-8 (a
    strict decode of non-ASCII bytes succeeding is proof enough); windows-1258 is
    NFC-normalised (its tones are combining marks); a page declared UTF-8 whose
    non-ASCII bytes are all invalid UTF-8 is single-byte. Last resort: UTF-8 with
    U+FFFD replacements, which the caller can count.
    """
    try:
        if not body:
            return "", _charset(declared) or "utf-8"
        if body.startswith(codecs.BOM_UTF8):
            return body[3:].decode("utf-8", "replace"), "utf-8"
        if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return body.decode("utf-16", "replace"), "utf-16"
        charset = _charset(declared)
        if body.isascii():
            return body.decode("ascii"), charset or "utf-8"
        if charset is None or charset == "utf-8" or charset in _SINGLE_BYTE:
            try:
                return body.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
        if charset == "utf-8":
            text = body.decode("utf-8", "replace")
            if _NON_ASCII_OK_RE.search(text):
                return text, "utf-8"  # real UTF-8 with a few broken bytes
            charset = None  # no valid multi-byte sequence at all: a single-byte page
        if charset is None:
            charset = _guess_single_byte(body)
        if charset in _SINGLE_BYTE:
            return _decode_single_byte(body, charset), charset
        return body.decode(charset, "replace"), charset
    except Exception:  # a broken codec must not take the crawl down
        return body.decode("utf-8", "replace"), "utf-8"


def utf8_source(body: bytes, text: str, encoding: str) -> bytes | None:
    """`body` when it is exactly the UTF-8 of `text` as `decode_html_bytes` made it (ASCII, or
    strict UTF-8 without a BOM), else None: the page's tree can then be parsed from the bytes
    fetched instead of encoding the text again (~90 us of a 46 KB page's ~400 us parse).

    A text decoded with replacements holds U+FFFD; one that holds it for any other reason
    is simply not vouched for."""
    if body.startswith(codecs.BOM_UTF8):
        return None
    if body.isascii() or (encoding == "utf-8" and "\ufffd" not in text):
        return body
    return None
