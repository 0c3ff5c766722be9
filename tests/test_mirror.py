"""The offline mirror: fixtures on disk are complete and consistent, and the server serves them."""

from __future__ import annotations

import html
import http.client
import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from vpcrawl.mirror import HIDDEN_SUFFIXES, MirrorServer, content_type_for, discover, path_for

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECTED_KEYS = {"url", "title", "summary", "body", "published_at", "author", "source",
                 "images", "attachments", "category", "tags"}
ISO_VN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")
ONCLICK_URL = re.compile(r"""(?:self|window|document)\.location(?:\.href)?\s*=\s*['"]([^'"]+)['"]""")
XML_URL = re.compile(r"<(?:loc|link)>\s*([^<\s]+)\s*</(?:loc|link)>")


def portals() -> list[tuple[Path, dict]]:
    """(portal dir, portal.json) for every fixture portal."""
    return [(pj.parent, json.loads(pj.read_text("utf-8"))) for pj in discover(FIXTURES)]


PORTALS = portals()
IDS = [meta["id"] for _, meta in PORTALS]
GENERATED_HERE = {"vptu-haiduong", "tinhuy-binhphuoc", "tinhuy-bentre", "btg-dongthap"}  # fixtures/_build
OWN = [(d, m) for d, m in PORTALS if m["id"] in GENERATED_HERE]


def url_of(www: Path, file: Path) -> str:
    """Inverse of path_for: the request target a file is served at."""
    rel = file.relative_to(www).as_posix()
    head, _, name = rel.rpartition("/")
    path, at, query = name.partition("@")
    if not at and path == "index.html":
        path = ""
    url = "/" + (f"{head}/" if head else "") + path
    return f"{url}?{query}" if at else url


def served_files(www: Path) -> list[Path]:
    """Files a client can fetch (sidecars and expected items excluded)."""
    return sorted(p for p in www.rglob("*") if p.is_file() and not p.name.endswith(HIDDEN_SUFFIXES))


class LinkCollector(HTMLParser):
    """Links of a page as (kind, url): kind "nav" for what a crawler follows (a, area, iframe,
    link rel=canonical/alternate/next/prev, URLs assigned in onclick), "asset" for the rest."""

    NAV: ClassVar[dict[str, str]] = {"a": "href", "area": "href", "iframe": "src", "frame": "src"}
    ASSET: ClassVar[dict[str, str]] = {"img": "src", "script": "src", "source": "src", "link": "href"}
    NAV_RELS: ClassVar[set[str]] = {"canonical", "alternate", "next", "prev"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in self.NAV and values.get(self.NAV[tag]):
            self.links.append(("nav", values[self.NAV[tag]].strip()))
        elif tag in self.ASSET and values.get(self.ASSET[tag]):
            rels = set(values.get("rel", "").lower().split())
            kind = "nav" if tag == "link" and rels & self.NAV_RELS else "asset"
            self.links.append((kind, values[self.ASSET[tag]].strip()))
        self.links += [("nav", u) for u in ONCLICK_URL.findall(values.get("onclick", ""))]


def page_links(file: Path, base: str, kinds: tuple[str, ...] = ("nav",)) -> list[str]:
    """Links of one HTML (or RSS/sitemap XML) file, resolved against ``base``."""
    text = file.read_bytes().decode("utf-8", errors="replace")
    if text.lstrip().startswith("<?xml"):
        raw = XML_URL.findall(text)
    else:
        parser = LinkCollector()
        parser.feed(text)
        raw = [u for kind, u in parser.links if kind in kinds]
    out = []
    for link in raw:
        if not link or link.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        out.append(urljoin(base, link))
    return out


def internal_target(url: str, host: str) -> str | None:
    """path+query of an internal link, None for a deliberately external one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", ""):
        return None
    if parts.hostname not in (None, "", host, "127.0.0.1", "mirror.local"):
        return None
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def exists(www: Path, target: str) -> bool:
    """Is ``target`` served by the mirror?"""
    try:
        file = path_for(www, target)
    except ValueError:
        return False
    return file.is_file() and not file.name.endswith(HIDDEN_SUFFIXES)


# ----------------------------------------------------------------------------------------
# fixtures on disk
# ----------------------------------------------------------------------------------------

def test_counts() -> None:
    assert len(PORTALS) >= 4
    assert sum(len(meta["articles"]) for _, meta in PORTALS) >= 45
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize(("pdir", "meta"), PORTALS, ids=IDS)
def test_portal_json_lists_existing_files(pdir: Path, meta: dict) -> None:
    for key in ("id", "name", "family", "host", "articles", "non_articles", "listings"):
        assert key in meta, f"{meta['id']}: portal.json lacks {key}"  # family may be null (unknown CMS)
    assert meta["id"] == pdir.name and meta["name"] and meta["host"] and meta["articles"]
    www = pdir / "www"
    assert (www / "index.html").is_file()
    listed = [p for key in ("articles", "non_articles", "listings", "feeds", "sitemaps") for p in meta.get(key, [])]
    missing = [p for p in listed if not exists(www, p)]
    assert not missing, f"{meta['id']}: listed but not served: {missing[:10]}"
    assert all(p.startswith("/") for p in listed)
    groups = [set(meta["articles"]), set(meta["non_articles"]), set(meta["listings"])]
    assert not (groups[0] & groups[1]) and not (groups[0] & groups[2]) and not (groups[1] & groups[2])
    for alias, canonical in meta.get("aliases", {}).items():
        assert exists(www, alias), alias
        assert canonical in meta["articles"] and alias not in meta["articles"]


@pytest.mark.parametrize(("pdir", "meta"), PORTALS, ids=IDS)
def test_syndicated_copies_point_to_articles(pdir: Path, meta: dict) -> None:
    by_id = dict((m["id"], m) for _, m in PORTALS)
    for entry in meta.get("syndicated", []):
        assert (entry.get("path") or entry.get("url")) in meta["articles"]
        other_id, _, other_path = entry["copy_of"].partition(":")
        assert other_id in by_id and other_path in by_id[other_id]["articles"]


@pytest.mark.parametrize(("pdir", "meta"), PORTALS, ids=IDS)
def test_every_article_has_an_expected_item(pdir: Path, meta: dict) -> None:
    www = pdir / "www"
    for path in meta["articles"]:
        page = path_for(www, path)
        expected_file = page.with_name(page.name + ".expected.json")
        assert expected_file.is_file(), f"no expected item for {path}"
        item = json.loads(expected_file.read_text("utf-8"))
        assert set(item) == EXPECTED_KEYS, f"{path}: keys {sorted(item)}"
        assert item["url"] == path
        assert item["title"] and item["title"] == item["title"].strip()
        assert ISO_VN.match(item["published_at"]), item["published_at"]
        assert item["body"] and "\n\n\n" not in item["body"] and item["body"] == item["body"].strip()
        assert item["summary"] is None or (item["summary"] and item["summary"] not in item["body"])
        assert item["author"] is None or item["author"].strip()
        assert isinstance(item["tags"], list) and isinstance(item["category"], str)
        for im in item["images"]:
            assert set(im) == {"url", "caption"} and im["url"].startswith("/")
            assert im["caption"] is None or im["caption"] not in item["body"].split("\n\n")
        for att in item["attachments"]:
            assert set(att) == {"url", "title"} and att["url"].startswith("/")
        if "traps" in meta:
            continue  # trap pages are deliberately NFD / legacy-encoded: the text differs by design
        text = " ".join(html.unescape(page.read_bytes().decode("utf-8")).split())
        for para in item["body"].split("\n\n")[:3]:
            assert " ".join(para.split())[:60] in text, f"{path}: body paragraph not on the page"


def dead_links(pdir: Path, meta: dict, kinds: tuple[str, ...]) -> list[str]:
    """Internal links of every served HTML/XML page that the mirror cannot serve."""
    www = pdir / "www"
    host = meta.get("host", "")
    dead: list[str] = []
    for file in served_files(www):
        url = url_of(www, file)
        ctype = content_type_for(url, file)
        xml = ctype.startswith(("application/xml", "application/rss", "text/xml"))
        if not (ctype.startswith("text/html") or xml):
            continue
        for link in page_links(file, urljoin("http://mirror.local/", url), kinds):
            target = internal_target(link, host)
            if target is not None and not exists(www, target):
                dead.append(f"{url} -> {target}")
    return dead


@pytest.mark.parametrize(("pdir", "meta"), PORTALS, ids=IDS)
def test_no_dead_internal_links(pdir: Path, meta: dict) -> None:
    """Every link a crawler follows (a, iframe, canonical/alternate/next/prev, onclick, feed and
    sitemap locations) resolves, except deliberately external ones; so do article media."""
    dead = dead_links(pdir, meta, ("nav",))
    www = pdir / "www"
    for path in meta["articles"]:
        page = path_for(www, path)
        item = json.loads(page.with_name(page.name + ".expected.json").read_text("utf-8"))
        dead += [f"{path} -> {m['url']}" for m in item["images"] + item["attachments"]
                 if not exists(www, m["url"])]
    assert not dead, f"{meta['id']}: {len(dead)} dead links, e.g. {sorted(set(dead))[:10]}"


@pytest.mark.parametrize(("pdir", "meta"), OWN, ids=[m["id"] for _, m in OWN])
def test_no_dead_assets_in_generated_portals(pdir: Path, meta: dict) -> None:
    """fixtures/_build portals also serve every stylesheet, script and image they reference."""
    dead = dead_links(pdir, meta, ("nav", "asset"))
    assert not dead, f"{meta['id']}: {len(dead)} dead links, e.g. {sorted(set(dead))[:10]}"


def pager_targets(www: Path, meta: dict, path: str) -> set[str | None]:
    """Internal targets linked from a listing page."""
    base = urljoin("http://mirror.local/", path)
    return {internal_target(u, meta.get("host", "")) for u in page_links(path_for(www, path), base)}


@pytest.mark.parametrize(("pdir", "meta"), PORTALS, ids=IDS)
def test_listings_are_paginated(pdir: Path, meta: dict) -> None:
    """At least two listing pages (not the home page) link to another page of a listing."""
    www = pdir / "www"
    listings = set(meta["listings"]) - {"/"}
    paged = [p for p in sorted(listings) if pager_targets(www, meta, p) & (listings - {p})]
    assert len(paged) >= 2, f"{meta['id']}: no paginated listing"


@pytest.mark.parametrize(("pdir", "meta"), OWN, ids=[m["id"] for _, m in OWN])
def test_every_listing_has_a_pager(pdir: Path, meta: dict) -> None:
    """fixtures/_build portals: every listing page links to another page of its listing and
    every category has a page 2."""
    www = pdir / "www"
    listings = set(meta["listings"])
    for path in sorted(listings):
        assert pager_targets(www, meta, path) & (listings - {path}), f"{meta['id']}: {path} has no pager"
    second = [p for p in listings if re.search(r"page(?:=|-|number=)2|pagenum=2", p)]
    assert len(second) >= 2, f"{meta['id']}: categories without a page 2"


@pytest.mark.parametrize(("pdir", "meta"), PORTALS, ids=IDS)
def test_home_links_to_listings_and_non_articles(pdir: Path, meta: dict) -> None:
    home = {internal_target(link, meta.get("host", ""))
            for link in page_links(pdir / "www" / "index.html", "http://mirror.local/")}
    assert home & set(meta["listings"]), "home page links to no listing"
    assert home & set(meta["non_articles"]) or not meta["non_articles"]


def test_generator_is_deterministic() -> None:
    """fixtures/_build rebuilt in memory equals the committed files."""
    script = FIXTURES / "_build" / "build_mirror.py"
    if not script.is_file():
        pytest.skip("generator not present")
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


# ----------------------------------------------------------------------------------------
# path mapping
# ----------------------------------------------------------------------------------------

def test_path_for(tmp_path: Path) -> None:
    assert path_for(tmp_path, "/") == tmp_path / "index.html"
    assert path_for(tmp_path, "/news/cat/") == tmp_path / "news" / "cat" / "index.html"
    assert path_for(tmp_path, "/a/b.html#top") == tmp_path / "a" / "b.html"
    assert path_for(tmp_path, "/3cms/x.htm?page=2") == tmp_path / "3cms" / "x.htm@page=2"
    q = "p_p_id=x&_x_jspPage=%2Fhtml%2Fview.jsp&_x_articleId=5"
    assert path_for(tmp_path, f"/web/btg/tin?{q}") == tmp_path / "web" / "btg" / f"tin@{q}"
    assert path_for(tmp_path, "/x?a=/b") == tmp_path / "x@a=%2Fb"
    assert path_for(tmp_path, "/tag/chuy%E1%BB%83n") == tmp_path / "tag" / "chuyển"
    (tmp_path / "menu" / "cat").mkdir(parents=True)
    assert path_for(tmp_path, "/menu/cat") == tmp_path / "menu" / "cat" / "index.html"
    for bad in ("/../etc/passwd", "/a/../../b", "/%2e%2e/x"):
        with pytest.raises(ValueError):
            path_for(tmp_path, bad)
    www = tmp_path
    for target in ("/", "/news/cat/", "/a/b.html", "/3cms/x.htm?page=2", f"/web/btg/tin?{q}"):
        assert url_of(www, path_for(www, target)) == target


# ----------------------------------------------------------------------------------------
# the server
# ----------------------------------------------------------------------------------------

def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """GET/HEAD without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, method=method)
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture()
def tiny_mirror(tmp_path: Path) -> Iterator[MirrorServer]:
    """A two-page portal with a redirect sidecar, an XML file and a PDF."""
    pdir = tmp_path / "tiny"
    www = pdir / "www"
    (www / "news").mkdir(parents=True)
    (pdir / "portal.json").write_text(json.dumps({
        "id": "tiny", "name": "Tiny", "family": "test", "host": "tiny.example.vn",
        "articles": ["/news/a.html"], "non_articles": [], "listings": []}), "utf-8")
    (pdir / "404.html").write_text("<html><body>Trang không tồn tại (tiny)</body></html>", "utf-8")
    (www / "index.html").write_text('<a href="http://tiny.example.vn/news/a.html">A</a>'
                                    '<a href="http://www.tiny.example.vn/x">www</a>', "utf-8")
    (www / "news" / "a.html").write_text("<h1>Bài A</h1>", "utf-8")
    (www / "news" / "a.html.expected.json").write_text("{}", "utf-8")
    (www / "list@page=2&cat=%2Fx").write_text("<p>page 2</p>", "utf-8")
    (www / "old.aspx").write_text("moved", "utf-8")
    (www / "old.aspx.meta.json").write_text(json.dumps(
        {"status": 301, "headers": {"Location": "http://tiny.example.vn/news/a.html"}}), "utf-8")
    (www / "gone.html").write_text("gone", "utf-8")
    (www / "gone.html.meta.json").write_text(json.dumps({"status": 410}), "utf-8")
    (www / "sitemap.xml").write_text("<urlset><url><loc>https://tiny.example.vn/news/a.html</loc></url></urlset>", "utf-8")
    (www / "doc.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    with MirrorServer(tmp_path) as server:
        yield server


def test_server_serves_pages_queries_sidecars_and_404(tiny_mirror: MirrorServer) -> None:
    base = tiny_mirror.urls["tiny"]
    assert re.match(r"^http://127\.0\.0\.1:\d+/$", base)
    status, headers, body = fetch(base)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'href="{base}news/a.html"'.encode() in body, "real host not rewritten to the mirror"
    assert b"http://www.tiny.example.vn/x" in body, "www.<host> must stay external"
    assert fetch(base + "news/a.html")[2].decode() == "<h1>Bài A</h1>"
    assert fetch(base + "list?page=2&cat=%2Fx")[0] == 200
    status, headers, body = fetch(base + "old.aspx")
    assert status == 301 and headers["Location"] == base + "news/a.html"
    assert fetch(base + "gone.html")[0] == 410
    status, headers, body = fetch(base + "nope.html")
    assert status == 404 and "text/html" in headers["Content-Type"] and "tiny" in body.decode()
    assert fetch(base + "news/a.html.expected.json")[0] == 404
    assert fetch(base + "old.aspx.meta.json")[0] == 404
    assert fetch(base + "../../etc/passwd")[0] == 404
    status, headers, body = fetch(base + "sitemap.xml")
    assert headers["Content-Type"].startswith("application/xml") and base.encode() in body
    status, headers, body = fetch(base + "doc.pdf", method="HEAD")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body == b""
    assert headers["Content-Length"] == "15"
    reqs = tiny_mirror.requests["tiny"]
    assert "/list?page=2&cat=%2Fx" in reqs and "/nope.html" in reqs and "/doc.pdf" in reqs


def test_server_keeps_connections_alive(tiny_mirror: MirrorServer) -> None:
    port = urlsplit(tiny_mirror.urls["tiny"]).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for path in ("/", "/news/a.html", "/missing", "/"):
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            assert resp.version == 11 and resp.getheader("Connection", "").lower() != "close"
        assert conn.sock is not None
    finally:
        conn.close()
    assert tiny_mirror.requests["tiny"].count("/") == 2


def test_server_config_and_portal_subset(tmp_path: Path) -> None:
    with MirrorServer(FIXTURES, portals=IDS[:2]) as server:
        assert set(server.urls) == set(IDS[:2])
        srv = server.servers[IDS[0]]
        assert srv.request_queue_size >= 128 and srv.daemon_threads
    with pytest.raises(KeyError):
        MirrorServer(FIXTURES, portals=["no-such-portal"])


def test_real_fixtures_are_served(mirror: MirrorServer) -> None:
    """Every portal: home, a listing with a query string if any, an article, the 404 page."""
    for pid, meta in mirror.portals.items():
        base = mirror.urls[pid].rstrip("/")
        assert fetch(base + "/")[0] == 200
        for path in [meta["articles"][0], *meta["listings"][:2],
                     *[p for p in meta["listings"] + meta["articles"] if "?" in p][:2]]:
            status, headers, _ = fetch(base + path)
            assert status == 200, f"{pid}: {path} -> {status}"
            assert headers["Content-Type"].startswith("text/html")
        assert fetch(base + "/khong-co-trang-nay-404.html")[0] == 404
        assert meta["articles"][0] in mirror.requests[pid]


def test_cli_prints_urls_and_serves(tmp_path: Path) -> None:
    pdir = tmp_path / "one"
    (pdir / "www").mkdir(parents=True)
    (pdir / "portal.json").write_text(json.dumps({"id": "one", "host": "one.vn", "articles": [],
                                                  "non_articles": [], "listings": []}), "utf-8")
    (pdir / "www" / "index.html").write_text("<p>one</p>", "utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "vpcrawl.mirror", "--fixtures", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        pid, url = line.strip().split("\t")
        assert pid == "one"
        assert fetch(url)[2] == b"<p>one</p>"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_url_of_roundtrip_on_fixtures() -> None:
    for pdir, meta in PORTALS:
        www = pdir / "www"
        for path in meta["articles"] + meta["listings"]:
            if not path_for(www, path).name == "index.html" or path.endswith("/"):
                assert unquote(url_of(www, path_for(www, path))) == unquote(path)
