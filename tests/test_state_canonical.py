"""URL canonicalization on real-shaped portal URLs (docs: reference cms-families.md, portals.md)."""

from __future__ import annotations

import re

import pytest

from vpcrawl.state.canonical import (
    CanonicalRules,
    article_id,
    canonicalize,
    same_document,
)

# (input, expected canonical form) with no site rules
CASES = [
    # --- host, scheme, port, fragment, query order
    (
        "HTTP://WWW.ThaiNguyen.DCS.vn:80/xay-dung-dang/cong-tac-van-phong/hoi-nghi-1385.html#top",
        "http://www.thainguyen.dcs.vn/xay-dung-dang/cong-tac-van-phong/hoi-nghi-1385.html",
    ),
    (
        "https://tuyengiao.vn:443/bao-ve-nen-tang-tu-tuong-cua-dang-149483",
        "https://tuyengiao.vn/bao-ve-nen-tang-tu-tuong-cua-dang-149483",
    ),
    ("https://tuyengiao.vn:8443/a", "https://tuyengiao.vn:8443/a"),
    (
        "http://tinhuybinhphuoc.vn./news/tag/dai-hoi/page-8",
        "http://tinhuybinhphuoc.vn/news/tag/dai-hoi/page-8",
    ),
    (
        "  https://dangcongsan.vn/tim-kiem.html?q=ngh%E1%BB%8B+quy%E1%BA%BFt&page=2  ",
        "https://dangcongsan.vn/tim-kiem.html?page=2&q=ngh%E1%BB%8B+quy%E1%BA%BFt",
    ),
    (
        "https://dangcongsan.vn/tim-kiem.html?q=nghị quyết",
        "https://dangcongsan.vn/tim-kiem.html?q=ngh%E1%BB%8B+quy%E1%BA%BFt",
    ),
    # unicode slug (quansu.haiduong.gov.vn) is percent-encoded once, never twice
    (
        "https://quansu.haiduong.gov.vn/ViewDetail/vdXUAfF9nig@/hội-nghị-quân-sự.html",
        "https://quansu.haiduong.gov.vn/ViewDetail/vdXUAfF9nig@/h%E1%BB%99i-ngh%E1%BB%8B-qu%C3%A2n-s%E1%BB%B1.html",
    ),
    (
        "https://quansu.haiduong.gov.vn/ViewDetail/vdXUAfF9nig@/h%E1%BB%99i-ngh%E1%BB%8B-qu%C3%A2n-s%E1%BB%B1.html",
        "https://quansu.haiduong.gov.vn/ViewDetail/vdXUAfF9nig@/h%E1%BB%99i-ngh%E1%BB%8B-qu%C3%A2n-s%E1%BB%B1.html",
    ),
    # path case is kept (tuyenquang DetailView slugs are Title-Case)
    (
        "https://tuyenquang.dcs.vn/DetailView/146257/38/Cung-co-niem-tin.html",
        "https://tuyenquang.dcs.vn/DetailView/146257/38/Cung-co-niem-tin.html",
    ),
    ("https://x.vn", "https://x.vn/"),
    ("https://x.vn/a/./b/../c.html", "https://x.vn/a/c.html"),
    # --- tracking and session noise
    (
        "https://thanhuytphcm.vn/tin-tuc/hoi-nghi-1491234567?utm_source=zalo&utm_medium=zalo&utm_campaign=zalo&zarsrc=30",
        "https://thanhuytphcm.vn/tin-tuc/hoi-nghi-1491234567",
    ),
    (
        "https://thanhuyhanoi.vn/tin-tuc/quan-ba-dinh/hoi-nghi-50123?fbclid=IwAR0abc&gidzl=xyz",
        "https://thanhuyhanoi.vn/tin-tuc/quan-ba-dinh/hoi-nghi-50123",
    ),
    (
        "https://x.vn/a.html?gclid=1&msclkid=2&_ga=2.1&mc_cid=3&mc_eid=4&UTM_Source=x",
        "https://x.vn/a.html",
    ),
    (
        "http://x.vn/3cms/tin-tuc.htm;jsessionid=A1B2C3D4E5?art=1234",
        "http://x.vn/3cms/tin-tuc.htm?art=1234",
    ),
    ("http://x.vn/3cms/tin-tuc.htm;JSESSIONID=A1B2C3D4E5", "http://x.vn/3cms/tin-tuc.htm"),
    (
        "http://x.vn/forum/viewtopic.php?t=5&sid=0123456789abcdef",
        "http://x.vn/forum/viewtopic.php?t=5",
    ),
    ("http://x.vn/a.php?id=7&PHPSESSID=abc", "http://x.vn/a.php?id=7"),
    ("http://x.vn/page.jsp?id=7&jsessionid=abc", "http://x.vn/page.jsp?id=7"),
    # ASP.NET cookieless sessions
    (
        "http://tuyengiaohungyen.vn/(S(lit3py55t21z5v55vlm25s55))/bai-viet/hoi-nghi.aspx",
        "http://tuyengiaohungyen.vn/bai-viet/hoi-nghi.aspx",
    ),
    (
        "http://x.vn/(X(1)S(q2wdkv55pvbn0vf2aaxsu455))/Default.aspx?pageid=673",
        "http://x.vn/Default.aspx?pageid=673",
    ),
    # --- print views
    (
        "https://binhphuoc.gov.vn/vi/news/chien-luoc-du-an-quy-hoach/de-cuong-26499.html?print=1",
        "https://binhphuoc.gov.vn/vi/news/chien-luoc-du-an-quy-hoach/de-cuong-26499.html",
    ),
    ("https://x.vn/tin-tuc/hoi-nghi-123.html?view=print", "https://x.vn/tin-tuc/hoi-nghi-123.html"),
    (
        "https://x.vn/tin-tuc/hoi-nghi-123.html?layout=print&page=2",
        "https://x.vn/tin-tuc/hoi-nghi-123.html?page=2",
    ),
    ("https://x.vn/tin-tuc/hoi-nghi-123.html/print/", "https://x.vn/tin-tuc/hoi-nghi-123.html"),
    ("https://x.vn/tin-tuc/hoi-nghi-123/print", "https://x.vn/tin-tuc/hoi-nghi-123"),
    ("https://x.vn/print", "https://x.vn/"),
    # NukeViet print view: /news/print/<cat>/<alias>-<id>.html and op=print/…
    (
        "https://tuyengiaothainguyen.org/vi/news/print/chuyen-de/hoc-tap-nghi-quyet-297.html",
        "https://tuyengiaothainguyen.org/vi/news/chuyen-de/hoc-tap-nghi-quyet-297.html",
    ),
    (
        "https://x.vn/index.php?language=vi&nv=news&op=print/thoi-su/hoi-nghi-12.html",
        "https://x.vn/index.php?language=vi&nv=news&op=thoi-su%2Fhoi-nghi-12.html",
    ),
    # print=0 is not a print view
    ("https://x.vn/a.html?print=0", "https://x.vn/a.html?print=0"),
    # --- mojoPortal: ItemID names the post; pageid/mid are the page/module it was shown in
    (
        "https://btgtu.x.dcs.vn/Article/ViewPost.aspx?pageid=12&ItemID=345&mid=67",
        "https://btgtu.x.dcs.vn/Article/ViewPost.aspx?ItemID=345",
    ),
    (
        "https://btgtu.x.dcs.vn/Article/ViewPost.aspx?ItemID=345&mid=99&pageid=3",
        "https://btgtu.x.dcs.vn/Article/ViewPost.aspx?ItemID=345",
    ),
    # DNN: tabid/mid/ItemID all stay (ItemID is only unique within a module)
    (
        "https://x.vn/Default.aspx?tabid=55&ctl=Detail&mid=412&ItemID=123",
        "https://x.vn/Default.aspx?ItemID=123&ctl=Detail&mid=412&tabid=55",
    ),
    # … but a category page keeps its page id and paging
    (
        "https://btgtu.x.dcs.vn/Article/CategoryPage.aspx?pageid=5&catid=40&pagenumber=3",
        "https://btgtu.x.dcs.vn/Article/CategoryPage.aspx?catid=40&pageid=5&pagenumber=3",
    ),
    (
        "https://btgtu.x.dcs.vn/Default.aspx?pageid=673",
        "https://btgtu.x.dcs.vn/Default.aspx?pageid=673",
    ),
    # --- Joomla: Itemid (menu) and id slug/catid noise; start= paging stays
    (
        "http://x.vn/index.php?option=com_content&view=article&id=123:hoi-nghi-giao-ban&catid=45&Itemid=101",
        "http://x.vn/index.php?id=123&option=com_content&view=article",
    ),
    (
        "http://x.vn/index.php?option=com_content&view=article&id=123&Itemid=7",
        "http://x.vn/index.php?id=123&option=com_content&view=article",
    ),
    (
        "http://x.vn/index.php?option=com_content&view=category&id=45&Itemid=101&limitstart=20",
        "http://x.vn/index.php?id=45&limitstart=20&option=com_content&view=category",
    ),
    (
        "https://doanvptw.dcs.vn/index.php/thong-tin-hot-dng/vptw?start=120&Itemid=3",
        "https://doanvptw.dcs.vn/index.php/thong-tin-hot-dng/vptw?start=120",
    ),
    (
        "https://lyluanchinhtri.vn/home/index.php/nghien-cuu/item/3672-bai-viet.html?tmpl=component&print=1",
        "https://lyluanchinhtri.vn/home/index.php/nghien-cuu/item/3672-bai-viet.html?tmpl=component",
    ),
    # --- Liferay: p_p_* rendering state always goes; _cur/_delta only beside an articleId
    (
        "https://x.gov.vn/web/guest/tin-tuc?p_p_id=vcmsviewcontent_WAR_VCMSportlet&p_p_lifecycle=0"
        "&p_p_state=normal&p_p_mode=view&p_p_col_id=column-2&p_p_col_count=1"
        "&_vcmsviewcontent_WAR_VCMSportlet_cur=3&_vcmsviewcontent_WAR_VCMSportlet_delta=20"
        "&_vcmsviewcontent_WAR_VCMSportlet_articleId=123",
        "https://x.gov.vn/web/guest/tin-tuc?_vcmsviewcontent_WAR_VCMSportlet_articleId=123"
        "&p_p_id=vcmsviewcontent_WAR_VCMSportlet",
    ),
    (
        "https://x.gov.vn/web/guest/tin-tuc?_vcmsviewcontent_WAR_VCMSportlet_articleId=123"
        "&p_p_mode=view&p_p_id=vcmsviewcontent_WAR_VCMSportlet&p_p_state=maximized",
        "https://x.gov.vn/web/guest/tin-tuc?_vcmsviewcontent_WAR_VCMSportlet_articleId=123"
        "&p_p_id=vcmsviewcontent_WAR_VCMSportlet",
    ),
    # a listing keeps its page number
    (
        "https://x.gov.vn/web/guest/tin-tuc?p_p_id=vcmsviewcontent_WAR_VCMSportlet&p_p_lifecycle=0"
        "&_vcmsviewcontent_WAR_VCMSportlet_categoryId=5&_vcmsviewcontent_WAR_VCMSportlet_cur=3",
        "https://x.gov.vn/web/guest/tin-tuc?_vcmsviewcontent_WAR_VCMSportlet_categoryId=5"
        "&_vcmsviewcontent_WAR_VCMSportlet_cur=3&p_p_id=vcmsviewcontent_WAR_VCMSportlet",
    ),
    (
        "https://btg.dongthap.gov.vn/web/btg/chi-tiet-bai-viet/-/asset_publisher/1mOzUrGkrdAE/content/id/7337177"
        "?_com_liferay_asset_publisher_web_portlet_AssetPublisherPortlet_INSTANCE_1mOzUrGkrdAE_redirect="
        "https%3A%2F%2Fbtg.dongthap.gov.vn%2Fweb%2Fbtg&inheritRedirect=true",
        "https://btg.dongthap.gov.vn/web/btg/chi-tiet-bai-viet/-/asset_publisher/1mOzUrGkrdAE/content/id/7337177",
    ),
    (
        "https://vinhlinh.quangtri.gov.vn/vi/chi-tiet/-/view-article/1/1647698202167/1750662283729",
        "https://vinhlinh.quangtri.gov.vn/vi/chi-tiet/-/view-article/1/1647698202167/1750662283729",
    ),
    (
        "https://baobacninh.com.vn/web/bbn/xay-dung-ang?p_p_id=newsbycategory_WAR_bacninhportlet_INSTANCE_iZd45sEYY1vx"
        "&p_p_lifecycle=0&p_p_state=normal&_newsbycategory_WAR_bacninhportlet_INSTANCE_iZd45sEYY1vx_categoryId=22179",
        "https://baobacninh.com.vn/web/bbn/xay-dung-ang?_newsbycategory_WAR_bacninhportlet_INSTANCE_iZd45sEYY1vx_categoryId=22179"
        "&p_p_id=newsbycategory_WAR_bacninhportlet_INSTANCE_iZd45sEYY1vx",
    ),
    # --- other real shapes pass through untouched
    (
        "https://btgdvtu.lamdong.dcs.vn/tin-tuc-su-kien/nhip-cau/type/detail/id/31089/task/1710",
        "https://btgdvtu.lamdong.dcs.vn/tin-tuc-su-kien/nhip-cau/type/detail/id/31089/task/1710",
    ),
    (
        "https://tinhuygialai.org.vn/su-kien/hoi-nghi/vi-VN-21657-352.html",
        "https://tinhuygialai.org.vn/su-kien/hoi-nghi/vi-VN-21657-352.html",
    ),
    (
        "https://thanhuycantho.vn/tin-tuc-su-kien/ndid/11738/key/default",
        "https://thanhuycantho.vn/tin-tuc-su-kien/ndid/11738/key/default",
    ),
    (
        "https://thanhuy.bacninh.gov.vn/hoi-nghi-a48i511.html",
        "https://thanhuy.bacninh.gov.vn/hoi-nghi-a48i511.html",
    ),
    (
        "https://vpcp.chinhphu.vn/hop-bao-chinh-phu-115241201164520419.htm",
        "https://vpcp.chinhphu.vn/hop-bao-chinh-phu-115241201164520419.htm",
    ),
    (
        "http://x.vn/3cms/?cmd=130&art=1719992345678&cat=1234",
        "http://x.vn/3cms/?art=1719992345678&cat=1234&cmd=130",
    ),
    (
        "https://dangcongsan.vn/xay-dung-dang/hoi-nghi-giao-ban-478123.html",
        "https://dangcongsan.vn/xay-dung-dang/hoi-nghi-giao-ban-478123.html",
    ),
    ("http://tinhuytthue.vn//van-ban/&cpage=3", "http://tinhuytthue.vn//van-ban/&cpage=3"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_idempotent(url: str, expected: str) -> None:
    assert canonicalize(expected) == expected


def test_www_is_never_guessed() -> None:
    assert canonicalize("https://www.thainguyen.dcs.vn/a") != canonicalize(
        "https://thainguyen.dcs.vn/a"
    )


def test_aliases_map_www_and_mobile_hosts() -> None:
    rules = CanonicalRules(
        aliases={"www.hcmcpv.org.vn": "hcmcpv.org.vn", "M.HCMCPV.org.vn": "hcmcpv.org.vn"}
    )
    want = "https://hcmcpv.org.vn/tin-tuc/a-1491"
    for u in (
        "https://www.hcmcpv.org.vn/tin-tuc/a-1491",
        "https://m.hcmcpv.org.vn/tin-tuc/a-1491",
        "https://HCMCPV.org.vn:443/tin-tuc/a-1491?utm_source=fb",
    ):
        assert canonicalize(u, rules) == want


def test_site_rules_drop_keep_and_suffixes() -> None:
    rules = CanonicalRules(
        drop_params=frozenset({"catid"}),
        drop_param_prefixes=("ref_",),
        strip_path_suffixes=("/amp", "/in"),
    )
    assert canonicalize("https://x.vn/bai-viet/a-1.html?catid=3&ref_src=home&id=1", rules) == (
        "https://x.vn/bai-viet/a-1.html?id=1"
    )
    assert canonicalize("https://x.vn/tin/a-1/amp/", rules) == "https://x.vn/tin/a-1"
    assert canonicalize("https://x.vn/tin/a-1/in", rules) == "https://x.vn/tin/a-1"
    assert (
        canonicalize("https://x.vn/amp", rules) == "https://x.vn/amp"
    )  # never strip the whole path


def test_keep_params_suffix_match_for_liferay_namespaces() -> None:
    rules = CanonicalRules(keep_params=frozenset({"articleId"}))
    a = canonicalize(
        "https://x.gov.vn/web/guest/tin?p_p_id=vcms_WAR_VCMSportlet&_vcms_WAR_VCMSportlet_categoryId=9"
        "&_vcms_WAR_VCMSportlet_articleId=555&_vcms_WAR_VCMSportlet_jspPage=%2Fhtml%2Fview.jsp",
        rules,
    )
    b = canonicalize(
        "https://x.gov.vn/web/guest/tin?_vcms_WAR_VCMSportlet_articleId=555&p_p_id=other", rules
    )
    assert a == b == "https://x.gov.vn/web/guest/tin?_vcms_WAR_VCMSportlet_articleId=555"
    mojo = CanonicalRules(keep_params=frozenset({"ItemID"}))
    assert canonicalize("https://x.vn/Article/ViewPost.aspx?itemid=9&x=1", mojo) == (
        "https://x.vn/Article/ViewPost.aspx?itemid=9"
    )


def test_family_rules_merge_with_site_rules() -> None:
    family = CanonicalRules(drop_params=frozenset({"replytocom"}), strip_path_suffixes=("/amp",))
    rules = family.merged(CanonicalRules(aliases={"WWW.x.vn": "x.vn"}))
    assert canonicalize("https://www.x.vn/2024/03/hoi-nghi/amp/?replytocom=5", rules) == (
        "https://x.vn/2024/03/hoi-nghi"
    )
    assert family.merged(None) is family
    assert isinstance(hash(rules), int)  # usable as a cache key


def test_same_document_ignores_scheme_only() -> None:
    assert same_document("http://tuyengiao.vn/a-1?utm_source=x", "https://tuyengiao.vn/a-1")
    assert not same_document("http://tuyengiao.vn/a-1", "https://tuyengiao.vn/a-2")
    assert not same_document("https://www.x.vn/a", "https://x.vn/a")


def test_article_id_is_stable_and_scheme_free() -> None:
    url = "https://dangcongsan.vn/xay-dung-dang/hoi-nghi-giao-ban-478123.html"
    aid = article_id(url)
    assert re.fullmatch(r"[0-9a-f]{16}", aid)
    # pinned: the id must not change between runs, machines or Python versions
    assert aid == article_id("http://dangcongsan.vn/xay-dung-dang/hoi-nghi-giao-ban-478123.html")
    assert aid == "6f78fe7faaafbd5b"
    assert article_id(url + "?page=2") != aid
