"""Vietnam's provinces before and after the 2025 merger, with their codes.

Resolution 202/2025/QH15 (12 June 2025, effective 1 July 2025) merged the 63 provincial-level
units into 34 (28 provinces, 6 centrally-run cities); district-level government (and with it
the district Party committees, Huyện ủy / Quận ủy) was abolished on the same day. Portals
follow their Party committee: a Tỉnh ủy portal of a merged-away province stops or is folded
into the new one, so a time series over the merger needs both codes.

Codes are the two-digit administrative codes: the 63-unit list of Decision 124/2004/QĐ-TTg
(as amended) and the 34-unit list effective 1 July 2025 (Decision 19/2025/QĐ-TTg, from memory:
verify). A merged unit took the code of the province whose seat became the new administrative
centre (Lào Cai 15 = old Yên Bái; Gia Lai 52 = old Bình Định ...). The memberships of the
mergers are as enacted and certain; the 34-list codes are the least certain part of this module:
the entries where the rule gives a code other than the old province's own are marked
"uncertain: verify" below.

    find("Bình Phước")               -> Province(code="70", name="Bình Phước", ...)  (63-unit list)
    codes("Bình Phước")              -> ProvinceCodes(code_63="70", ..., code_34="75", name_34="Đồng Nai")
    successor("70").name             -> "Đồng Nai"
    [p.name for p in predecessors("75")] -> ["Bình Phước", "Đồng Nai"]
    at("Bình Phước", date(2025, 8, 1)).name -> "Đồng Nai"
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

__all__ = [
    "MERGED_INTO",
    "MERGER_DATE",
    "MERGER_RESOLUTION",
    "PROVINCES_34",
    "PROVINCES_63",
    "Province",
    "ProvinceCodes",
    "at",
    "codes",
    "find",
    "predecessors",
    "successor",
]

MERGER_RESOLUTION = "202/2025/QH15"
MERGER_DATE = date(2025, 7, 1)


@dataclass(frozen=True)
class Province:
    """A provincial-level unit in one of the two lists."""

    code: str  # two-digit administrative code
    name: str
    city: bool  # a centrally-run city (thành phố trực thuộc trung ương), else a province (tỉnh)
    era: str  # "63" (the list until 30 June 2025) or "34" (from 1 July 2025)

    @property
    def full_name(self) -> str:
        if self.name == "Hồ Chí Minh":
            return "Thành phố Hồ Chí Minh"
        return f"{'Thành phố' if self.city else 'Tỉnh'} {self.name}"


@dataclass(frozen=True)
class ProvinceCodes:
    """A portal's province in both lists (code_63/name_63 None when it is not determined)."""

    code_63: str | None
    name_63: str | None
    code_34: str
    name_34: str


_CITIES_63 = {"01", "31", "48", "79", "92"}  # Thừa Thiên Huế became a city on 1 January 2025
# (code, name, code after 1 July 2025)
_ROWS_63: tuple[tuple[str, str, str], ...] = (
    ("01", "Hà Nội", "01"),
    ("02", "Hà Giang", "08"),
    ("04", "Cao Bằng", "04"),
    ("06", "Bắc Kạn", "19"),
    ("08", "Tuyên Quang", "08"),
    ("10", "Lào Cai", "15"),  # new Lào Cai, seat in Yên Bái: code 15 (uncertain: verify)
    ("11", "Điện Biên", "11"),
    ("12", "Lai Châu", "12"),
    ("14", "Sơn La", "14"),
    ("15", "Yên Bái", "15"),
    ("17", "Hòa Bình", "25"),
    ("19", "Thái Nguyên", "19"),
    ("20", "Lạng Sơn", "20"),
    ("22", "Quảng Ninh", "22"),
    ("24", "Bắc Giang", "24"),
    ("25", "Phú Thọ", "25"),
    ("26", "Vĩnh Phúc", "25"),
    ("27", "Bắc Ninh", "24"),  # new Bắc Ninh, seat in Bắc Giang: code 24 (uncertain: verify)
    ("30", "Hải Dương", "31"),
    ("31", "Hải Phòng", "31"),
    ("33", "Hưng Yên", "33"),
    ("34", "Thái Bình", "33"),
    ("35", "Hà Nam", "37"),
    ("36", "Nam Định", "37"),
    ("37", "Ninh Bình", "37"),
    ("38", "Thanh Hóa", "38"),
    ("40", "Nghệ An", "40"),
    ("42", "Hà Tĩnh", "42"),
    ("44", "Quảng Bình", "44"),
    ("45", "Quảng Trị", "44"),  # new Quảng Trị, seat in Quảng Bình: code 44 (uncertain: verify)
    ("46", "Thừa Thiên Huế", "46"),  # Huế city since 1 January 2025 (Resolution 175/2024/QH15)
    ("48", "Đà Nẵng", "48"),
    ("49", "Quảng Nam", "48"),
    ("51", "Quảng Ngãi", "51"),
    ("52", "Bình Định", "52"),
    ("54", "Phú Yên", "66"),
    ("56", "Khánh Hòa", "56"),
    ("58", "Ninh Thuận", "56"),
    ("60", "Bình Thuận", "68"),
    ("62", "Kon Tum", "51"),
    ("64", "Gia Lai", "52"),  # new Gia Lai, seat in Bình Định: code 52 (uncertain: verify)
    ("66", "Đắk Lắk", "66"),
    ("67", "Đắk Nông", "68"),
    ("68", "Lâm Đồng", "68"),
    ("70", "Bình Phước", "75"),
    ("72", "Tây Ninh", "80"),  # new Tây Ninh, seat in Long An: code 80 (uncertain: verify)
    ("74", "Bình Dương", "79"),
    ("75", "Đồng Nai", "75"),
    ("77", "Bà Rịa - Vũng Tàu", "79"),
    ("79", "Hồ Chí Minh", "79"),
    ("80", "Long An", "80"),
    ("82", "Tiền Giang", "82"),
    ("83", "Bến Tre", "86"),
    ("84", "Trà Vinh", "86"),
    ("86", "Vĩnh Long", "86"),
    ("87", "Đồng Tháp", "82"),  # new Đồng Tháp, seat in Tiền Giang: code 82 (uncertain: verify)
    ("89", "An Giang", "91"),  # new An Giang, seat in Kiên Giang: code 91 (uncertain: verify)
    ("91", "Kiên Giang", "91"),
    ("92", "Cần Thơ", "92"),
    ("93", "Hậu Giang", "92"),
    ("94", "Sóc Trăng", "92"),
    ("95", "Bạc Liêu", "96"),
    ("96", "Cà Mau", "96"),
)
# The 34 units from 1 July 2025: (code, name, centrally-run city). The membership of each
# merger is as enacted; the codes follow the administrative-centre rule above and are the
# least certain part of this table (marked in _ROWS_63).
_ROWS_34: tuple[tuple[str, str, bool], ...] = (
    ("01", "Hà Nội", True),
    ("04", "Cao Bằng", False),
    ("08", "Tuyên Quang", False),
    ("11", "Điện Biên", False),
    ("12", "Lai Châu", False),
    ("14", "Sơn La", False),
    ("15", "Lào Cai", False),
    ("19", "Thái Nguyên", False),
    ("20", "Lạng Sơn", False),
    ("22", "Quảng Ninh", False),
    ("24", "Bắc Ninh", False),
    ("25", "Phú Thọ", False),
    ("31", "Hải Phòng", True),
    ("33", "Hưng Yên", False),
    ("37", "Ninh Bình", False),
    ("38", "Thanh Hóa", False),
    ("40", "Nghệ An", False),
    ("42", "Hà Tĩnh", False),
    ("44", "Quảng Trị", False),
    ("46", "Huế", True),
    ("48", "Đà Nẵng", True),
    ("51", "Quảng Ngãi", False),
    ("52", "Gia Lai", False),
    ("56", "Khánh Hòa", False),
    ("66", "Đắk Lắk", False),
    ("68", "Lâm Đồng", False),
    ("75", "Đồng Nai", False),
    ("79", "Hồ Chí Minh", True),
    ("80", "Tây Ninh", False),
    ("82", "Đồng Tháp", False),
    ("86", "Vĩnh Long", False),
    ("91", "An Giang", False),
    ("92", "Cần Thơ", True),
    ("96", "Cà Mau", False),
)

PROVINCES_63: dict[str, Province] = {
    code: Province(code, name, code in _CITIES_63 or code == "46", "63") for code, name, _ in _ROWS_63
}
PROVINCES_34: dict[str, Province] = {
    code: Province(code, name, city, "34") for code, name, city in _ROWS_34
}
MERGED_INTO: dict[str, str] = {code: new for code, _, new in _ROWS_63}

# Other spellings people and portals use (keys are _key()-normalised; values 63-list codes).
_ALIASES_63 = {
    "hcm": "79", "tphcm": "79", "hcmc": "79", "saigon": "79", "thanhphohochiminh": "79",
    "hue": "46", "thuathien": "46", "tth": "46",
    "brvt": "77", "bariavungtau": "77", "baria": "77", "vungtau": "77",
    "daklak": "66", "daclac": "66", "daclak": "66", "daknong": "67", "dacnong": "67",
    "backan": "06", "baccan": "06", "hoabinh": "17", "thanhhoa": "38", "khanhhoa": "56",
}
_PREFIX = re.compile(r"^(?:tinh|thanhpho|tp)(?=[a-z])")


def _key(text: str) -> str:
    """Accent-, case-, space- and punctuation-insensitive key ("TP. Hồ Chí Minh" -> "hochiminh")."""
    s = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d").replace("Ð", "D"))
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold()
    s = re.sub(r"[^a-z0-9]", "", s)
    return _PREFIX.sub("", s) if s not in ("tinh", "thanhpho") else s


_BY_KEY_63 = {_key(p.name): p.code for p in PROVINCES_63.values()} | _ALIASES_63
_BY_KEY_34 = {_key(p.name): p.code for p in PROVINCES_34.values()} | {
    "hcm": "79", "tphcm": "79", "hcmc": "79", "saigon": "79", "thuathienhue": "46",
    "daklak": "66", "daclak": "66", "thanhhoa": "38", "khanhhoa": "56",
}


def find(name_or_code: str, list_: str = "63") -> Province | None:
    """The unit named (any accent, case or prefix: "tỉnh Bình Phước", "TP.HCM") or coded, or None.

    `list_` is "63" (default: the names portals used before the merger) or "34".
    """
    if list_ not in ("63", "34"):
        raise ValueError(f"list_ must be '63' or '34', not {list_!r}")
    table, by_key = (PROVINCES_63, _BY_KEY_63) if list_ == "63" else (PROVINCES_34, _BY_KEY_34)
    text = (name_or_code or "").strip()
    if not text:
        return None
    if text.isdigit():
        return table.get(text.zfill(2))
    code = by_key.get(_key(text))
    return table.get(code) if code else None


def successor(code_63: str) -> Province:
    """The unit of the 34-list a unit of the 63-list became part of."""
    return PROVINCES_34[MERGED_INTO[code_63.zfill(2)]]


def predecessors(code_34: str) -> list[Province]:
    """The units of the 63-list merged into a unit of the 34-list, by code."""
    code_34 = code_34.zfill(2)
    return [PROVINCES_63[old] for old, new in MERGED_INTO.items() if new == code_34]


def codes(province: str, code: str | None = None) -> ProvinceCodes | None:
    """A portal's province in both lists, from its registry name (and code, when given).

    The name is read against the 63-list first (portals registered before the merger); a name
    only in the 34-list ("Huế" aside, all 34 names are also old names) gives code_63 None when
    several old provinces merged into it. None when the name is not a province (central portals).
    """
    old = find(code, "63") if code else None
    old = old or find(province, "63")
    if old is not None:
        new = successor(old.code)
        return ProvinceCodes(old.code, old.name, new.code, new.name)
    new = find(province, "34")
    if new is None:
        return None
    before = predecessors(new.code)
    only = before[0] if len(before) == 1 else None
    return ProvinceCodes(only.code if only else None, only.name if only else None, new.code, new.name)


def at(name_or_code: str, when: date) -> Province | None:
    """The unit a 63-list province belonged to on a given day (itself before 1 July 2025)."""
    old = find(name_or_code, "63")
    if old is None:
        return None
    return old if when < MERGER_DATE else successor(old.code)
