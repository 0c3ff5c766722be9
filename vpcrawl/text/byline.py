"""Bylines at the end of an article body and datelines at the start of the lead.

Why: Party portals sign articles in the last one to three short paragraphs
(``Đình Bộ- VPTU``, ``Thu Hà (TH)``, ``Tin, ảnh: KHÁNH TRUNG``, ``Theo TTXVN``)
and open leads with a source (``(ĐCSVN) - …``). These lines are metadata: they
go to ``author``/``source`` and out of the body. A wrong guess costs a body line,
so every rule is conservative: a bare capitalised name is accepted only on the
very last line (otherwise ``Việt Nam`` would pass as a person).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vpcrawl.text.normalize import clean_text, syllable_parts

__all__ = ["Byline", "parse_byline", "split_byline", "split_dateline"]

MAX_BYLINE = 60  # split_byline only looks at lines this short


@dataclass(frozen=True)
class Byline:
    """Who wrote it (persons) and where it came from (unit or cited sources, '/'-joined)."""

    authors: list[str]
    source: str | None
    raw: str

    @property
    def author(self) -> str | None:
        return ", ".join(self.authors) or None


# Units of provincial Party committees and common cited sources (abbreviations).
KNOWN_UNITS = frozenset(
    s.casefold()
    for s in (
        "VPTU BTGTU BTGTW BDVTU BTCTU UBKTTU BNCTU ĐUK ĐUKCQ ĐUKDN TTXVN ĐCSVN TH BĐN VNA VOV VTV "
        "QĐND ND CAND TTĐT TTO LLCT VPCP TUQN THĐT BBT"
    ).split()
)
# A role, not a person: the line is still a byline (removed from the body), with no author.
_ROLES = frozenset({
    "pv", "ctv", "btv", "bbt", "ptv", "phóng viên", "cộng tác viên", "biên tập viên",
    "ban biên tập", "nhóm phóng viên", "nhóm pv", "nhóm ctv", "nhóm pv-ctv", "nhóm pv/ctv",
})
# Words that never belong to a personal name: keep 'Ảnh minh họa', 'Hội nghị' out.
_NON_NAME = frozenset(
    "của và các những trong với cho là được đã sẽ này đó tại về từ khi theo nguồn ảnh tin bài "
    "video clip hội nghị tỉnh huyện ủy uỷ đảng báo tịch chuyên mục liên quan khác xem thêm số "
    "tháng ngày giờ trang chủ phòng ban sở ubnd hđnd họa hoạ bí".split()
)

_TITLES = (
    r"pgs\.?\s*,?\s*ts(?:kh)?|gs\.?\s*,?\s*ts(?:kh)?|ts\.?\s*,?\s*bs|ths\.?\s*,?\s*bs|tskh|ths|th\.s|ts|"
    r"pgs|gs|bs|ks|cn|ncs|ls|nsnd|nsưt|"
    r"đại tá|thượng tá|trung tá|thiếu tá|đại úy|đại uý|thượng úy|thượng uý|trung úy|trung uý|"
    r"thiếu úy|thiếu uý|đại tướng|thượng tướng|trung tướng|thiếu tướng|"
    r"nhà báo|nhà văn|nhà thơ|nhà nghiên cứu|luật sư|bác sĩ|bác sỹ|kỹ sư|kĩ sư|thạc sĩ|thạc sỹ|"
    r"tiến sĩ|tiến sỹ|phó giáo sư|giáo sư|cử nhân|nghiên cứu sinh|nghệ sĩ|đồng chí|đ/c"
)
_TITLE_RE = re.compile(rf"^(?:(?:{_TITLES})(?:\.|,|\s)\s*)+", re.IGNORECASE)

_SOURCE_PREFIX_RE = re.compile(
    r"^(theo|nguồn(?:\s+tin)?|nguồn\s+bài|trích\s+nguồn)\b\s*(:|-|–)?\s*(.+)$", re.IGNORECASE
)
_CREDIT_RE = re.compile(
    r"^(?:(?:tin|bài(?:\s+viết)?|tin\s+bài|bài\s+và|tin\s+và)(?:\s*(?:,|/|-|–|&|và)?\s*ảnh)?|"
    r"tác\s+giả|người\s+viết|thực\s+hiện|nhóm\s+thực\s+hiện|ghi\s+chép|nhóm\s+phóng\s+viên|"
    r"phóng\s+viên|biên\s+dịch|lược\s+dịch|dịch|tổng\s+hợp|trình\s+bày)\s*[:：]\s*(.+)$",
    re.IGNORECASE,
)
_PAREN_ALL_RE = re.compile(r"^[(\[]\s*([^()\[\]]+?)\s*[)\]]\.?$")
_TRAILING_PAREN_RE = re.compile(r"^(.*?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]$")
_TRAILING_UNIT_RE = re.compile(r"^(.*?\S)\s*[-–—|]\s*([^-–—|]+)$")
_PEOPLE_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\s[-–—]\s|[-–—]|/|\s+và\s+)\s*")
_SOURCE_SPLIT_RE = re.compile(r"\s*(?:/|;|,|\s+và\s+)\s*")
_DOMAIN_RE = re.compile(
    r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|gov|info|edu|int)(?:\.vn)?(?:/\S*)?$",
    re.IGNORECASE,
)
_ACRONYM_RE = re.compile(r"^[A-ZĐ][A-ZĐ0-9&+.]{1,11}$")
_INITIALS_RE = re.compile(r"^[A-ZĐ](?:\.[A-ZĐ][A-ZĐa-zđ]*)*\.?$")
_SOURCE_WORD_RE = re.compile(r"^[A-ZĐ][\w.+&-]*$")
_SOURCE_LEAD_WORDS = frozenset(
    "báo tạp chí trang cổng website đài kênh tờ tạp thông tấn xã bản tin".split()
)


def _is_acronym(word: str) -> bool:
    """An all-caps abbreviation that is not itself a Vietnamese syllable ('TH', 'BĐN', not 'HÀ')."""
    if word.casefold() in KNOWN_UNITS:
        return True
    return bool(_ACRONYM_RE.match(word)) and word.isupper() and syllable_parts(word.lower()) is None


def _is_unit(text: str) -> bool:
    text = text.strip()
    return _is_acronym(text) or bool(_DOMAIN_RE.match(text))


def _is_role(text: str) -> bool:
    low = text.casefold().strip(" .")
    if low in _ROLES:
        return True
    parts = [p for p in re.split(r"\s*[-–—/,&]\s*|\s+và\s+", low) if p]
    return bool(parts) and all(p in _ROLES for p in parts)


def _is_source_token(tok: str) -> bool:
    """Vnews, Vietnam+, TTXVN, dangcongsan.vn, VOV.VN: a one-word source name."""
    if " " in tok:
        return False
    if _DOMAIN_RE.match(tok) or _is_acronym(tok):
        return True
    return bool(_SOURCE_WORD_RE.match(tok)) and syllable_parts(tok.lower()) is None


def _source_parts(rest: str, loose: bool) -> list[str] | None:
    """Cited sources of 'Theo X' / 'Nguồn: X'; None when X reads like a clause."""
    rest = rest.strip(" .:-–")
    if not rest:
        return None
    parts = [p for p in _SOURCE_SPLIT_RE.split(rest) if p]
    if loose:
        return parts if len(rest) <= 80 else None
    if len(parts) > 1 and not all(_is_source_token(p) for p in parts):
        return None  # "Theo đồng chí Bí thư, năm 2021 ..."
    for p in parts:
        words = p.split()
        if len(words) > 8:
            return None
        first = words[0]
        if not (first[0].isupper() or first[0].isdigit() or first.casefold() in _SOURCE_LEAD_WORDS
                or _DOMAIN_RE.match(first)):
            return None
    return parts


def _strip_titles(name: str) -> tuple[str, bool]:
    m = _TITLE_RE.match(name)
    if m and m.end() < len(name):
        return name[m.end():].strip(" ,."), True
    return name, False


def _name_word(w: str) -> bool:
    if _INITIALS_RE.match(w):
        return True  # 'C', 'B.NG', 'N.'
    if not w[0].isupper() or w.casefold() in _NON_NAME:
        return False
    tail = w[1:]
    if tail and not (tail.islower() or tail.isupper()):
        return False
    return syllable_parts(w.lower()) is not None


def _is_name(text: str, min_words: int) -> bool:
    words = text.split()
    return min_words <= len(words) <= 6 and all(_name_word(w) for w in words)


def _title_case(name: str) -> str:
    return " ".join(
        w[0] + w[1:].lower() if len(w) > 1 and w.isupper() and "." not in w else w
        for w in name.split()
    )


def _paren_source(inner: str) -> tuple[bool, str | None]:
    """What a trailing '(…)' after names holds: (is metadata, source)."""
    if _is_role(inner):
        return True, None
    if inner.casefold() in ("tổng hợp", "th", "t.h"):
        return True, "TH"
    if _is_unit(inner):
        return True, inner
    m = _SOURCE_PREFIX_RE.match(inner)
    if m:
        parts = _source_parts(m.group(3), loose=True)
        if parts:
            return True, "/".join(parts)
    return False, None


def _people(text: str, credit: bool) -> tuple[list[str], str | None, bool] | None:
    """'Minh Anh - Thu Hà (VPTU)' → (['Minh Anh', 'Thu Hà'], 'VPTU', bare=False)."""
    unit = None
    text = text.strip(" |,;.")
    m = _TRAILING_PAREN_RE.match(text)
    meta, paren_src = (False, None)
    if m is not None and m.group(1):
        meta, paren_src = _paren_source(m.group(2))
    if meta and m is not None:
        text, unit = m.group(1), paren_src
    else:
        m = _TRAILING_UNIT_RE.match(text)
        if m and _is_unit(m.group(2)) and not _is_role(m.group(2)):
            text, unit = m.group(1), m.group(2).strip()
    authors: list[str] = []
    text, titled = _strip_titles(text.strip(" -–—,"))  # 'PGS, TS Trần Văn Bình'
    parts = [p for p in _PEOPLE_SPLIT_RE.split(text) if p]
    if not parts:
        return None
    for part in parts:
        part, had_title = _strip_titles(part.strip(" ."))
        titled = titled or had_title
        if not part or _is_role(part):
            continue
        min_words = 1 if (credit or unit or had_title) else 2
        if not _is_name(part, min_words):
            return None
        authors.append(_title_case(part))
    if not authors and unit is None:
        return None
    bare = not credit and unit is None and not titled
    return authors, unit, bare


def _parse(line: str) -> tuple[Byline, bool] | None:
    """(Byline, bare) or None; ``bare`` = only a capitalised name, trusted on the last line only."""
    raw = line
    if len(line) > 400:
        return None
    s = clean_text(line)
    if not s or "\n" in s or len(s) > 120:
        return None
    s = s.strip(" |*•-–—")
    if not s:
        return None
    m = _PAREN_ALL_RE.match(s)
    in_parens = bool(m)
    if m:
        s = m.group(1)
    s = s.strip()
    if s.endswith(".") and not _DOMAIN_RE.match(s.split()[-1]):
        if len(s.split()) > 4:
            return None  # a sentence
        s = s.rstrip(".").strip()
    if not s:
        return None
    if _is_role(s):
        return Byline([], None, raw), False

    m = _SOURCE_PREFIX_RE.match(s)
    if m:
        loose = m.group(1).casefold() != "theo" or bool(m.group(2)) or in_parens
        parts = _source_parts(m.group(3), loose)
        if parts is None:
            return None
        return Byline([], "/".join(parts), raw), False

    if in_parens:
        parts = [p for p in _SOURCE_SPLIT_RE.split(s) if p]
        if parts and all(_is_source_token(p) for p in parts):
            return Byline([], "/".join(parts), raw), False

    m = _CREDIT_RE.match(s)
    if m:
        rest = m.group(1).strip()
        people = _people(rest, credit=True)
        if people is not None:
            return Byline(people[0], people[1], raw), False
        if len(rest) <= 60 and "." not in rest.rstrip("."):
            return Byline([], rest, raw), False  # 'Tác giả: Ban Tuyên giáo Tỉnh ủy'
        return None

    if len(s.split()) > 10:
        return None
    if s.casefold() in KNOWN_UNITS or _DOMAIN_RE.match(s):
        return Byline([], s, raw), True  # 'TTXVN' alone: trusted on the last line only
    people = _people(s, credit=False)
    if people is None:
        return None
    authors, unit, bare = people
    return Byline(authors, unit, raw), bare


def parse_byline(line: str) -> Byline | None:
    """Parse one line as a byline; None when it is not one.

    Authors have titles (ThS, PGS.TS, Đại tá, Nhà báo …) stripped and ALL-CAPS
    title-cased; ``source`` is the unit (``VPTU``) or the cited sources
    (``Vnews/Vietnam+``). ``PV``/``CTV`` give a Byline with neither.
    """
    parsed = _parse(line)
    return parsed[0] if parsed else None


def split_byline(blocks: list[str]) -> tuple[list[str], Byline | None]:
    """Peel the byline off the last 1–3 short lines of the body.

    Lines longer than 60 characters end the search; a bare capitalised name counts
    only as the very last line. Several byline lines (``Tác giả: …`` then
    ``Nguồn tin: …``) merge into one Byline. Returns the blocks without them.
    """
    found: list[tuple[int, int, Byline]] = []
    checked = 0
    first = True
    bi = len(blocks) - 1
    while bi >= 0 and checked < 3:
        lines = blocks[bi].split("\n")
        li = len(lines) - 1
        long_line = False
        while li >= 0 and checked < 3:
            line = lines[li].strip()
            if line:
                checked += 1
                if len(line) > MAX_BYLINE:
                    long_line = True
                    break
                parsed = _parse(line)
                if parsed is not None and (first or not parsed[1]):
                    found.append((bi, li, parsed[0]))
                first = False
            li -= 1
        if long_line:
            break
        bi -= 1
    if not found:
        return list(blocks), None

    drop = {(bi, li) for bi, li, _ in found}
    touched = {bi for bi, _, _ in found}
    out: list[str] = []
    for bi, block in enumerate(blocks):
        if bi in touched:
            lines = block.split("\n")
            kept = [ln for li, ln in enumerate(lines) if (bi, li) not in drop]
            text = "\n".join(kept).strip()
        else:
            text = block.strip()  # nothing dropped: the block as it was
        if text:
            out.append(text)
    found.reverse()  # top to bottom
    if len(found) == 1:
        return out, found[0][2]
    authors: list[str] = []
    sources: list[str] = []
    for _, _, b in found:
        authors.extend(a for a in b.authors if a not in authors)
        if b.source and b.source not in sources:
            sources.append(b.source)
    raw = "\n".join(b.raw for _, _, b in found)
    return out, Byline(authors, "/".join(sources) or None, raw)


_DATELINE_PAREN_RE = re.compile(
    r"^\s*(?P<place>[^\W\d_][^\s()]*(?:\s+[^\W\d_][^\s()]*){0,3}\s*)?"
    r"\((?P<src>[^()]{2,40})\)\s*[-–—]+\s*(?P<rest>\S.*)$",
    re.DOTALL,
)
_DATELINE_BARE_RE = re.compile(r"^\s*([A-ZĐ][\w.+]*(?:/[\w.+]+)?)\s*[-–—]+\s+(\S.*)$", re.DOTALL)


def split_dateline(lead: str) -> tuple[str, str | None]:
    """``(ĐCSVN) - Ngày …`` → (``Ngày …``, ``ĐCSVN``); ``VOV.VN - …`` too.

    A dash is required: ``(BBNĐT) Ngày 10 …`` stays as it is (a parenthesis alone
    may open an ordinary sentence).
    """
    m = _DATELINE_PAREN_RE.match(lead)
    if m:
        src = m.group("src").strip()
        place = (m.group("place") or "").split()  # 'HÀ NỘI (TTXVN) –': capitalised words only
        if (len(src.split()) <= 5 and not src.endswith((",", "."))
                and all(w[0].isupper() for w in place)):
            return m.group("rest").strip(), src
    m = _DATELINE_BARE_RE.match(lead)
    if m:
        src = m.group(1)
        if (_is_source_token(src) or all(_is_source_token(p) for p in src.split("/"))) \
                and m.group(2)[:1].isupper():
            return m.group(2).strip(), src
    return lead, None
