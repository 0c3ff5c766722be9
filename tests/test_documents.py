"""Party document numbers in text, and news vs document classification."""

from __future__ import annotations

import random

import pytest

from vpcrawl.documents import classify, documents_of, find_documents


@pytest.mark.parametrize(
    ("text", "number", "doc_type", "issuer", "raw"),
    [
        ("Thực hiện Nghị quyết số 23-NQ/TW của Bộ Chính trị", "23-NQ/TW", "NQ", "TW", "Nghị quyết số 23-NQ/TW"),
        ("theo Chỉ thị 05-CT/TU,", "05-CT/TU", "CT", "TU", "Chỉ thị 05-CT/TU"),
        ("Kết luận số 127-KL/TW ngày 28/02/2025", "127-KL/TW", "KL", "TW", "Kết luận số 127-KL/TW"),
        ("Quy định số 08-QĐi/TW về trách nhiệm nêu gương", "08-QĐi/TW", "QĐi", "TW", "Quy định số 08-QĐi/TW"),
        ("Quyết định số 2658-QĐ/TW", "2658-QĐ/TW", "QĐ", "TW", "Quyết định số 2658-QĐ/TW"),
        ("Hướng dẫn 12-HD/BTGTW", "12-HD/BTGTW", "HD", "BTGTW", "Hướng dẫn 12-HD/BTGTW"),
        ("Thông báo 45-TB/VPTW.", "45-TB/VPTW", "TB", "VPTW", "Thông báo 45-TB/VPTW"),
        ("Thông báo kết luận số 3-TB/TU", "03-TB/TU", "TB", "TU", "Thông báo kết luận số 3-TB/TU"),
        ("Báo cáo số 120-BC/HU", "120-BC/HU", "BC", "HU", "Báo cáo số 120-BC/HU"),
        ("Công văn số 1234-CV/VPTU", "1234-CV/VPTU", "CV", "VPTU", "Công văn số 1234-CV/VPTU"),
        ("Kế hoạch số 150-KH/TU", "150-KH/TU", "KH", "TU", "Kế hoạch số 150-KH/TU"),
        ("Chương trình 15-CTr/TU", "15-CTr/TU", "CTr", "TU", "Chương trình 15-CTr/TU"),
        ("Tờ trình 7-TTr/ĐU", "07-TTr/ĐU", "TTr", "ĐU", "Tờ trình 7-TTr/ĐU"),
        ("Hướng dẫn liên tịch số 01-HDLT/BTCTW-BNV", "01-HDLT/BTCTW-BNV", "HDLT", "BTCTW-BNV",
         "Hướng dẫn liên tịch số 01-HDLT/BTCTW-BNV"),
        ("NGHỊ QUYẾT SỐ 57-NQ/TW", "57-NQ/TW", "NQ", "TW", "NGHỊ QUYẾT SỐ 57-NQ/TW"),
        ("văn bản 35 - NQ / TW", "35-NQ/TW", "NQ", "TW", "35 - NQ / TW"),
        ("số 5–CT/TƯ", "05-CT/TW", "CT", "TW", "5–CT/TƯ"),
        ("tệp 09-QDi/TW.pdf", "09-QĐi/TW", "QĐi", "TW", "09-QDi/TW"),
        ("(số\u00a043-NQ/TW)", "43-NQ/TW", "NQ", "TW", "43-NQ/TW"),
    ],
)
def test_recognised(text: str, number: str, doc_type: str, issuer: str, raw: str) -> None:
    found = find_documents(text)
    assert len(found) == 1, found
    doc = found[0]
    assert (doc["number"], doc["type"], doc["issuer"], doc["raw"]) == (number, doc_type, issuer, raw)


@pytest.mark.parametrize(
    "text",
    [
        "Ngày 19/11/2021, lúc 14:30",
        "thắng với tỷ số 3-2/hiệp phụ",
        "Nghị định 13/2023/NĐ-CP của Chính phủ",
        "Nghị quyết số 01/2025/NQ-HĐND",
        "Nghị quyết 202/2025/QH15 của Quốc hội",
        "https://dangcongsan.vn/nghi-quyet-23-nq-tw-ve-chien-luoc.html",
        "các nq/tw và ct/tu",
        "COVID-19/TW",
        "phòng 12-A/TW",
        "giai đoạn 2021-2025/TW",
        "mã 23-NQ/tw viết thường",
        "",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_documents(text) == []


def test_random_dates_and_scores_never_match() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        d, m, y = rng.randint(1, 31), rng.randint(1, 12), rng.randint(1945, 2030)
        sep = rng.choice("/-.")
        text = f"Ngày {d}{sep}{m}{sep}{y}, tỷ số {rng.randint(0, 9)}-{rng.randint(0, 9)}, lúc {d}h{m}."
        assert find_documents(text) == [], text


def test_order_dedup_and_dates() -> None:
    text = (
        "Quán triệt Nghị quyết số 23-NQ/TW ngày 22/3/2018 của Bộ Chính trị và Chỉ thị 05-CT/TU. "
        "Nghị quyết 23-NQ/TW xác định ... Quyết định 1234-QĐ/TU ngày 5 tháng 6 năm 2024; "
        "Chỉ thị số 05-CT/TU, ngày 02/5/2025."
    )
    found = find_documents(text)
    assert [d["number"] for d in found] == ["23-NQ/TW", "05-CT/TU", "1234-QĐ/TU"]
    assert [d["date"] for d in found] == ["2018-03-22", "2025-05-02", "2024-06-05"]
    assert find_documents("Nghị quyết 23-NQ/TW ngày 31/02/2018")[0]["date"] is None


def test_documents_of_item_fields() -> None:
    item = {
        "title": "Hội nghị quán triệt Kết luận 127-KL/TW",
        "summary": None,
        "body": "Triển khai Kết luận số 127-KL/TW ngày 28/02/2025 và Hướng dẫn 12-HD/BTGTW.",
        "attachments": [{"url": "https://x.vn/a.pdf", "title": "Chỉ thị 05-CT/TU", "type": "pdf"}],
    }
    found = documents_of(item)
    assert [d["number"] for d in found] == ["127-KL/TW", "12-HD/BTGTW", "05-CT/TU"]
    assert found[0]["date"] == "2025-02-28"  # filled from a later mention


LONG = "Nội dung bài viết. " * 60


@pytest.mark.parametrize(
    ("title", "body", "attachments", "kind"),
    [
        ("Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị về đột phá phát triển khoa học", LONG, [], "document"),
        ("Kết luận số 127-KL/TW", LONG, [], "document"),
        ("Kế hoạch số 12-KH/TU triển khai Chỉ thị số 05-CT/TU", LONG, [], "document"),
        ("Chỉ thị của Ban Bí thư về tăng cường sự lãnh đạo của Đảng", LONG, [], "document"),
        ("Toàn văn Nghị quyết Hội nghị Trung ương 10 khóa XIII", LONG, [], "document"),
        ("Quy định 08-QĐi/TW", LONG, [], "document"),
        ("Về việc tổ chức hội nghị", "BỘ CHÍNH TRỊ\n\nSố 57-NQ/TW\n\nĐẢNG CỘNG SẢN VIỆT NAM\n\n" + LONG, [], "document"),
        ("Lịch công tác tuần 25", "Xem văn bản đính kèm.", [{"url": "u.pdf", "title": "Lịch", "type": "pdf"}], "document"),
        ("Triển khai Nghị quyết 57-NQ/TW", LONG, [], "news"),
        ("Nghị quyết 57-NQ/TW: đòn bẩy cho khoa học", LONG, [], "news"),
        ("Nghị quyết 57-NQ/TW được triển khai mạnh mẽ", LONG, [], "news"),
        ("Báo cáo viên Trung ương thông tin thời sự", LONG, [], "news"),
        ("Kết luận của đồng chí Bí thư tại buổi làm việc", LONG, [], "news"),
        ("Hội nghị sơ kết", LONG, [{"url": "u.pdf", "title": "Báo cáo", "type": "pdf"}], "news"),
        ("Ảnh hoạt động", "Một số hình ảnh.", [{"url": "u.zip", "title": "ảnh", "type": "zip"}], "news"),
    ],
)
def test_classify(title: str, body: str, attachments: list[dict[str, str]], kind: str) -> None:
    assert classify({"title": title, "body": body, "attachments": attachments}) == kind


def test_classify_tolerates_missing_fields() -> None:
    assert classify({}) == "news"
    assert classify({"title": None, "body": None, "attachments": None}) == "news"
