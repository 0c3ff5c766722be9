"""A fault-injecting portal server for reliability tests and the soak benchmark.

:class:`FaultServer` serves one fixture portal's ``www/`` exactly like :mod:`vpcrawl.mirror`
(same file mapping via :func:`vpcrawl.mirror.path_for`, sidecar ``.meta.json``, host rewriting,
the portal's own 404 page) on ``127.0.0.1``, and in front of that injects faults per path::

    faults = {
        "/a": Fault("status", times=2, arg=503),   # 503 twice, then the page
        "/b": Fault("hang"),                       # never answers (until the server stops)
        "/c": Fault("truncate"),                   # a complete 200 response, HTML cut mid-body
    }
    with OtherHost() as other, FaultServer("doanvptw", faults, other_base=other.base_url) as srv:
        srv.base_url, srv.requests["/a"], srv.injected["status"]

A rule keyed ``P*`` applies to every target starting with ``P``.

Fault kinds (``times=None``: every request; ``times=N``: the first N, then the real page):

``status``      HTTP ``arg`` (default 503) with a small error page; ``status_500`` etc. name the code
``hang``        read the request, answer nothing for ``arg`` seconds (default 20), then close
``reset``       headers + the first half of the body, then a TCP reset (RST)
``short``       declares the full ``Content-Length``, sends half the body, closes cleanly
``truncate``    a complete, honest 200 response whose HTML stops in the middle of the article
``charset``     UTF-8 page declared as ``arg`` (default ``windows-1252``) in header and ``<meta>``
``encode``      page re-encoded as ``arg`` (default ``cp1258``), still declared UTF-8
``big``         ``arg`` bytes (default 30 MB) of HTML; with ``Content-Length``
``big_chunked`` the same without ``Content-Length`` (chunked transfer encoding)
``redirect``    302 to ``arg`` (a path, an absolute URL, or ``{other}/x`` for the other host)
``redirect_chain`` 302 from ``P`` or ``P?r=N`` to ``P?r=N+1``, forever (key the rule ``P*``)
``soft404``     status 200 with the portal's own 404 page
``error_page``  status 200 with a CMS error page ("Lỗi cơ sở dữ liệu")
``empty``       status 200 with an empty body
``bad_gzip``    ``Content-Encoding: gzip`` with a body that is not gzip at all
``cut_gzip``    ``Content-Encoding: gzip``: the page's gzip stream ends (no trailer) mid-article
``gzip_bomb``   ``Content-Encoding: gzip``: 30 KB that decompress to ``arg`` bytes (default 64 MB)
``page``        serve ``arg`` = ``(status, headers, body)`` (synthetic pages: robots.txt, sitemaps)

Crawler traps (``traps=`` at construction):

``calendar``    ``/index.php/component/jevents/month.calendar/YYYY/MM/-`` for every month: a
                JEvents month view with previous/next-month links and a link per day
                (``day.listevents/YYYY/MM/DD/-``, each with previous/next-day links)
``pagination``  ``<listing>?start=N`` answers for every N with the listing's last real page
                and a pager to the next five pages, forever
``session``     every own link in every HTML page gets ``PHPSESSID=<random>`` appended

``random_rate``/``random_kinds``/``seed``: besides the rules, each request gets a random
transient fault with that probability (the soak). ``inject_links`` adds links (href, text) to
the home page; ``inject_head`` adds raw HTML to the home page's ``<head>``.

Every request target is recorded in ``requests`` (path -> list of fault kinds applied, ``""``
for a normal answer); ``injected`` counts applied faults by kind. :class:`OtherHost` is the
"another site" a redirect may point to: it records every request it ever gets.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import secrets
import socket
import struct
import threading
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from vpcrawl.mirror import DEFAULT_FIXTURES, HIDDEN_SUFFIXES, content_type_for, path_for, read_meta

HTML = "text/html; charset=utf-8"
MB = 1024 * 1024
TRANSIENT_KINDS = ("status", "reset", "short", "hang", "empty")
ERROR_PAGE = (
    "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Lỗi - Đoàn Thanh niên "
    "Văn phòng Trung ương Đảng</title></head><body><div class=\"error\"><h1>Lỗi cơ sở dữ liệu</h1>"
    "<p>Đã có lỗi xảy ra khi kết nối tới cơ sở dữ liệu. Xin vui lòng quay lại sau ít phút.</p>"
    "<p>Error displaying the error page: Application Instantiation Error: Could not connect to "
    "MySQL.</p><p><a href=\"/\">Về trang chủ</a></p></div></body></html>\n"
)


@dataclass
class Fault:
    kind: str
    times: int | None = None  # None: every request to the path; N: the first N, then normal
    arg: Any = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True
    block_on_close = False


class OtherHost:
    """Another site on 127.0.0.1, named ``localhost``: records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        lock = threading.Lock()
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with lock:
                    requests.append(self.path)
                body = (b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Off-site</title>"
                        b"</head><body><h1>Another site</h1></body></html>")
                self.send_response(200)
                self.send_header("Content-Type", HTML)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://localhost:{self.server.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> OtherHost:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fault-other-host", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OtherHost:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class FaultServer:
    """One fixture portal served on 127.0.0.1 with faults injected per path."""

    def __init__(
        self,
        portal_id: str,
        faults: dict[str, Fault] | None = None,
        *,
        fixtures: Path = DEFAULT_FIXTURES,
        other_base: str = "",
        traps: tuple[str, ...] = (),
        inject_links: list[tuple[str, str]] | None = None,
        inject_head: str = "",
        random_rate: float = 0.0,
        random_kinds: tuple[str, ...] = TRANSIENT_KINDS,
        seed: int | None = None,
        hang_seconds: float = 20.0,
    ) -> None:
        self.portal_dir = Path(fixtures) / portal_id
        self.portal: dict[str, Any] = json.loads((self.portal_dir / "portal.json").read_text("utf-8"))
        self.www = self.portal_dir / "www"
        self.faults = dict(faults or {})
        self.other_base = other_base
        self.traps = set(traps)
        self.inject_links = list(inject_links or [])
        self.inject_head = inject_head
        self.random_rate = random_rate
        self.random_kinds = random_kinds
        self.rng = random.Random(seed)
        self.hang_seconds = hang_seconds
        self.requests: dict[str, list[str]] = defaultdict(list)
        self.injected: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._seen: Counter[str] = Counter()
        page = self.portal_dir / "404.html"
        self.not_found = page.read_bytes() if page.is_file() else b"<html><body>404</body></html>"
        self.server = _Server(("127.0.0.1", 0), _FaultHandler)
        self.server.fault_server = self  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        host = self.portal.get("host", "")
        self._host_re = re.compile(rb"https?://" + re.escape(host.encode("ascii")) + rb"(?![A-Za-z0-9.\-])") \
            if host else None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.base_url + "/"

    def start(self) -> FaultServer:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fault-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def reset(self, seed: int | None = None) -> None:
        """Forget requests, counts and fault progress (a fresh run against the same server)."""
        with self.lock:
            self.requests.clear()
            self.injected.clear()
            self._seen.clear()
            if seed is not None:
                self.rng.seed(seed)

    # --- content ---------------------------------------------------------------------------
    def rewrite(self, body: bytes) -> bytes:
        if self._host_re is None:
            return body
        return self._host_re.sub(self.base_url.encode("ascii"), body)

    def real_page(self, target: str) -> tuple[int, dict[str, str], bytes]:
        """What vpcrawl.mirror would answer (plus traps and home-page injections)."""
        trap = self._trap_page(target)
        if trap is not None:
            return 200, {"Content-Type": HTML}, trap
        try:
            file = path_for(self.www, target)
            found = file.is_file() and not file.name.endswith(HIDDEN_SUFFIXES)
        except (ValueError, OSError):
            found = False
        if not found:
            return 404, {"Content-Type": HTML}, self.not_found
        meta = read_meta(file)
        headers = {"Content-Type": content_type_for(target, file)}
        for key, value in meta.get("headers", {}).items():
            headers = {k: v for k, v in headers.items() if k.lower() != key.lower()}
            headers[key] = value
        body = file.read_bytes()
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if ctype.startswith(("text/", "application/xml", "application/rss")):
            body = self.rewrite(body)
        if urlsplit(target).path == "/" and ctype.startswith("text/html"):
            body = self._inject_home(body)
        return int(meta.get("status", 200)), headers, body

    def _inject_home(self, body: bytes) -> bytes:
        if self.inject_head:
            body = body.replace(b"</head>", self.inject_head.encode("utf-8") + b"\n</head>", 1)
        if self.inject_links:
            links = "".join(f'<li><a href="{href.replace("{other}", self.other_base)}">{text}</a></li>'
                            for href, text in self.inject_links)
            body = body.replace(b"</footer>", f'<ul class="extra-links">{links}</ul>\n</footer>'.encode(), 1)
        return body

    def _trap_page(self, target: str) -> bytes | None:
        parts = urlsplit(target)
        if "calendar" in self.traps:
            m = re.fullmatch(r"/index\.php/component/jevents/month\.calendar/(\d{4})/(\d{2})/-", parts.path)
            if m and 1 <= int(m[2]) <= 12:
                return _calendar_month(int(m[1]), int(m[2]))
            m = re.fullmatch(r"/index\.php/component/jevents/day\.listevents/(\d{4})/(\d{2})/(\d{2})/-",
                             parts.path)
            if m:
                try:
                    return _calendar_day(date(int(m[1]), int(m[2]), int(m[3])))
                except ValueError:
                    return None
        if "pagination" in self.traps:
            m = re.fullmatch(r"start=(\d+)", parts.query)
            if m and int(m[1]) >= 5 and (self.www / parts.path.lstrip("/")).with_name(
                    Path(parts.path).name + "@start=5").is_file():
                return self._endless_listing(parts.path, int(m[1]))
        return None

    def _endless_listing(self, path: str, start: int) -> bytes:
        last = path_for(self.www, f"{path}?start=5").read_bytes().decode("utf-8")
        pager = "".join(f'<li><a title="{n // 5 + 1}" href="{path}?start={n}" class="pagenav">{n // 5 + 1}</a></li>'
                        for n in range(start + 5, start + 30, 5))
        pager = (f'<div class="pagination"><p class="counter pull-right"> Trang {start // 5 + 1} </p>'
                 f'<ul class="pagination-list">{pager}<li><a title="Sau" href="{path}?start={start + 5}" '
                 f'class="pagenav">Sau</a></li></ul></div>')
        out = re.sub(r'<div class="pagination">.*?</div>', lambda _: pager, last, count=1, flags=re.S)
        return self.rewrite(out.encode("utf-8"))

    def add_session_ids(self, body: bytes) -> bytes:
        sid = secrets.token_hex(8)

        def fix(m: re.Match[bytes]) -> bytes:
            href = m.group(2)
            own = (href.startswith(b"/") and not href.startswith(b"//")) or \
                href.startswith(self.base_url.encode())
            if not own:
                return m.group(0)
            sep = b"&amp;" if b"?" in href else b"?"
            return m.group(1) + href + sep + b"PHPSESSID=" + sid.encode() + m.group(3)

        return re.sub(rb'(<a\b[^>]*?\bhref=")([^"#]+)(")', fix, body)

    # --- faults ----------------------------------------------------------------------------
    def choose(self, target: str) -> Fault | None:
        with self.lock:
            self._seen[target] += 1
            n = self._seen[target]
            rule = self.faults.get(target)
            if rule is None:
                rule = next((f for key, f in self.faults.items()
                             if key.endswith("*") and target.startswith(key[:-1])), None)
            if rule is not None and (rule.times is None or n <= rule.times):
                return rule
            if self.random_rate and urlsplit(target).path != "/robots.txt" and \
                    self.rng.random() < self.random_rate:
                return Fault(self.rng.choice(self.random_kinds))
        return None

    def record(self, target: str, kind: str) -> None:
        with self.lock:
            self.requests[target].append(kind)
            if kind:
                self.injected[kind] += 1


def strip_session(target: str) -> str:
    path, _, query = target.partition("?")
    rest = [p for p in query.split("&") if p and not p.startswith("PHPSESSID=")]
    return path + ("?" + "&".join(rest) if rest else "")


def _calendar_month(year: int, month: int) -> bytes:
    first = date(year, month, 1)
    prev = first - timedelta(days=1)
    nxt = first + timedelta(days=32)
    days = []
    d = first
    while d.month == month:
        days.append(f'<td><a class="cal_daylink" href="/index.php/component/jevents/day.listevents/'
                    f'{d:%Y/%m/%d}/-">{d.day}</a></td>')
        d += timedelta(days=1)
    return (
        f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Lịch sự kiện tháng {month}/{year}"
        f"</title></head><body><div id=\"jevents\"><h2>Tháng {month} năm {year}</h2>"
        f"<a class=\"cal_prev\" href=\"/index.php/component/jevents/month.calendar/{prev:%Y/%m}/-\">"
        f"Tháng trước</a> <a class=\"cal_next\" href=\"/index.php/component/jevents/month.calendar/"
        f"{nxt:%Y/%m}/-\">Tháng sau</a><table class=\"cal_table\"><tr>{''.join(days)}</tr></table>"
        f"<p><a href=\"/\">Trang chủ</a></p></div></body></html>"
    ).encode()


def _calendar_day(day: date) -> bytes:
    prev, nxt = day - timedelta(days=1), day + timedelta(days=1)
    return (
        f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sự kiện ngày {day:%d/%m/%Y}</title>"
        f"</head><body><div id=\"jevents\"><h2>Ngày {day:%d/%m/%Y}</h2><p>Không có sự kiện.</p>"
        f"<a href=\"/index.php/component/jevents/day.listevents/{prev:%Y/%m/%d}/-\">Ngày trước</a> "
        f"<a href=\"/index.php/component/jevents/day.listevents/{nxt:%Y/%m/%d}/-\">Ngày sau</a> "
        f"<a href=\"/index.php/component/jevents/month.calendar/{day:%Y/%m}/-\">Cả tháng</a>"
        f"</div></body></html>"
    ).encode()


def truncate_html(body: bytes, fraction: float | None = None) -> bytes:
    """The page cut in the middle of its article text (or at ``fraction`` of its length)."""
    if fraction is not None:
        return body[: int(len(body) * fraction)]
    start = body.find(b"articleBody")
    if start < 0:
        return body[: len(body) // 2]
    paragraphs = [m.start() for m in re.finditer(rb"<p\b", body[start:])]
    if len(paragraphs) >= 2:
        # inside the second paragraph, mid-sentence
        begin = start + paragraphs[1]
        end = body.find(b"</p>", begin)
        return body[: (begin + end) // 2 if end > begin else begin + 80]
    return body[: start + 200]


def gzip_bomb(size: int) -> bytes:
    out = gzip.compress(b"<html><body>" + b"\0" * size + b"</body></html>", compresslevel=9)
    return out


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        fs: FaultServer = self.server.fault_server  # type: ignore[attr-defined]
        target = self.path
        if target.startswith(("http://", "https://")):
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        fault = fs.choose(target)
        fs.record(target, fault.kind if fault else "")
        try:
            self._answer(fs, target, fault)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    # helpers
    def _send(self, status: int, headers: dict[str, str], body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _page(self, fs: FaultServer, target: str) -> tuple[int, dict[str, str], bytes]:
        if "session" not in fs.traps:
            return fs.real_page(target)
        status, headers, body = fs.real_page(strip_session(target))  # the site ignores the id
        if headers.get("Content-Type", "").startswith("text/html"):
            body = fs.add_session_ids(body)
        return status, headers, body

    def _answer(self, fs: FaultServer, target: str, fault: Fault | None) -> None:
        if fault is None:
            self._send(*self._page(fs, target))
            return
        kind, arg = fault.kind, fault.arg
        if kind == "status" or kind.startswith("status_"):
            code = int(arg or (kind.partition("_")[2] or 503))
            body = (f"<html><head><title>{code} Error</title></head><body><h1>{code}</h1>"
                    f"<p>Service Unavailable</p></body></html>").encode()
            self._send(code, {"Content-Type": HTML, "Retry-After": "0"}, body)
        elif kind == "hang":
            fs.stopping.wait(float(arg or fs.hang_seconds))
            self.close_connection = True
        elif kind in ("reset", "short"):
            status, headers, body = self._page(fs, target)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            if kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
        elif kind == "truncate":
            status, headers, body = self._page(fs, target)
            self._send(status, headers, truncate_html(body, arg))
        elif kind == "charset":
            status, headers, body = self._page(fs, target)
            declared = arg or "windows-1252"
            body = re.sub(rb'<meta charset="utf-8"\s*/?>', f'<meta charset="{declared}" />'.encode(), body,
                          flags=re.I)
            self._send(status, {**headers, "Content-Type": f"text/html; charset={declared}"}, body)
        elif kind == "encode":
            status, headers, body = self._page(fs, target)
            text = body.decode("utf-8")
            self._send(status, headers, _encode_legacy(text, arg or "cp1258"))
        elif kind in ("big", "big_chunked"):
            self._big(fs, target, int(arg or 30 * MB), chunked=kind == "big_chunked")
        elif kind == "redirect":
            location = str(arg).replace("{other}", fs.other_base)
            self._send(302, {"Location": location, "Content-Type": HTML}, b"")
        elif kind == "redirect_chain":
            path, _, query = target.partition("?")
            m = re.fullmatch(r"r=(\d+)", query)
            n = int(m[1]) + 1 if m else 1
            self._send(302, {"Location": f"{path}?r={n}", "Content-Type": HTML}, b"")
        elif kind == "soft404":
            self._send(200, {"Content-Type": HTML}, fs.not_found)
        elif kind == "error_page":
            self._send(200, {"Content-Type": HTML}, ERROR_PAGE.encode("utf-8"))
        elif kind == "empty":
            self._send(200, {"Content-Type": HTML}, b"")
        elif kind == "bad_gzip":
            garbage = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)) * 8
            self._send(200, {"Content-Type": HTML, "Content-Encoding": "gzip"}, garbage)
        elif kind == "cut_gzip":
            # a valid gzip stream of the page up to mid-article, flushed, then cut (no trailer)
            status, headers, body = self._page(fs, target)
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            packed = packer.compress(truncate_html(body, arg)) + packer.flush(zlib.Z_SYNC_FLUSH)
            self._send(status, {**headers, "Content-Encoding": "gzip"}, packed)
        elif kind == "gzip_bomb":
            self._send(200, {"Content-Type": HTML, "Content-Encoding": "gzip"}, gzip_bomb(int(arg or 64 * MB)))
        elif kind == "page":
            status, headers, body = arg
            if isinstance(body, str):
                body = body.replace("{base}", fs.base_url).replace("{other}", fs.other_base).encode("utf-8")
            self._send(status, headers, body)
        else:
            raise ValueError(f"unknown fault kind {kind!r}")

    def _big(self, fs: FaultServer, target: str, size: int, chunked: bool) -> None:
        page = self._page(fs, target)[2]
        head = page.partition(b"</body>")[0]
        filler = b"<p>" + "Văn phòng Trung ương Đảng. ".encode() * 40 + b"</p>\n"
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        sent = 0
        block = head + filler * max(1, (64 * 1024) // len(filler))
        while sent < size and not fs.stopping.is_set():
            piece = block[: min(len(block), size - sent)]
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
            sent += len(piece)
            block = filler * max(1, (64 * 1024) // len(filler))
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def _encode_legacy(text: str, encoding: str) -> bytes:
    """Encode Vietnamese text in a legacy code page. Windows-1258 has the vowels with their
    shape marks (â, ă, ơ, ư, ê, ô) but the five tones only as combining marks: ``ậ`` is
    ``â`` + combining dot below."""
    import unicodedata

    out = []
    for ch in text:
        try:
            out.append(ch.encode(encoding))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
        out.append(base.encode(encoding, errors="replace") + tones.encode(encoding, errors="replace"))
    return b"".join(out)
