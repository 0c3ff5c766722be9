"""Offline mirror of real Party portals, served over HTTP for the demo and the tests.

Every ``fixtures/<portal-id>/portal.json`` describes one portal; its pages live under
``fixtures/<portal-id>/www/`` (see docs/architecture.md, "Fixtures"). :class:`MirrorServer`
starts one ``ThreadingHTTPServer`` per portal on a free 127.0.0.1 port.

Serving rules:

* ``/`` -> ``www/index.html``; ``/dir/`` -> ``www/dir/index.html``; ``P?Q`` -> ``www/P@Q`` with
  the query kept exactly as sent (``/`` inside it stored as ``%2F``), see :func:`path_for`.
* ``text/html; charset=utf-8`` by default; other types by extension; a sidecar
  ``<file>.meta.json`` (``{"status": 200, "headers": {...}}``) overrides status and headers.
* ``*.expected.json`` and ``*.meta.json`` are never served; missing files get the portal's
  own ``fixtures/<id>/404.html`` (or a plain page) with status 404.
* Pages carry absolute links to the portal's real host (canonical, og:url, sitemap, RSS);
  text responses have ``http(s)://<host>`` rewritten to the mirror's own base URL so a
  crawler stays inside the mirror.
* Every request path is recorded in ``server.requests[portal_id]``.

CLI: ``python -m vpcrawl.mirror [--fixtures DIR] [--portal ID ...]`` prints the URLs and
serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote

DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".aspx": "text/html; charset=utf-8",
    ".jsp": "text/html; charset=utf-8",
    ".php": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DEFAULT_TYPE = "text/html; charset=utf-8"
HIDDEN_SUFFIXES = (".expected.json", ".meta.json")
PLAIN_404 = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404 - Không tìm thấy trang</title>"
    "</head><body><h1>404</h1><p>Trang bạn yêu cầu không tồn tại.</p>"
    "<p><a href=\"/\">Về trang chủ</a></p></body></html>\n"
)


def path_for(www_root: Path, path_and_query: str) -> Path:
    """Map a request target (path + optional query) to the file that serves it.

    ``/`` -> ``index.html``; a path ending in ``/`` -> ``<dir>/index.html``; a path that is
    itself a directory -> ``<dir>/index.html`` (no redirect, e.g. Joomla ``/index.php/menu/cat``
    whose articles live below it); ``P?Q`` -> ``<P>@<Q>`` with Q kept as sent (percent-encoding preserved, a literal ``/`` stored as
    ``%2F``). The path part is percent-decoded. Raises ``ValueError`` when the path
    escapes ``www_root``.
    """
    target = path_and_query.split("#", 1)[0]
    path, _, query = target.partition("?")
    path = unquote(path) or "/"
    if not path.startswith("/"):
        path = "/" + path
    if path.endswith("/"):
        path += "index.html"
    parts = [p for p in path.split("/") if p]
    if not parts or any(p in ("..", ".") or "\\" in p or "\x00" in p for p in parts):
        raise ValueError(f"path escapes the mirror root: {path_and_query!r}")
    rel = "/".join(parts)
    if query:
        rel = f"{rel}@{query.replace('/', '%2F')}"
    target = www_root.joinpath(*rel.split("/"))
    if not query and target.is_dir():
        target = target / "index.html"
    return target


def _ext_of(path_and_query: str) -> str:
    path = unquote(path_and_query.split("?", 1)[0].split("#", 1)[0])
    if path.endswith("/"):
        return ".html"
    name = path.rsplit("/", 1)[-1]
    return ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""


def read_meta(file: Path) -> dict:
    """The sidecar ``<file>.meta.json`` of a served file, or ``{}``."""
    side = file.with_name(file.name + ".meta.json")
    try:
        return json.loads(side.read_text("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError:  # e.g. ENAMETOOLONG: a long portlet URL leaves no room for a sidecar name
        return {}


def content_type_for(path_and_query: str, file: Path | None = None) -> str:
    """Content type served for a request (sidecar header first, then by extension)."""
    if file is not None:
        for key, value in read_meta(file).get("headers", {}).items():
            if key.lower() == "content-type":
                return value
    return CONTENT_TYPES.get(_ext_of(path_and_query), DEFAULT_TYPE)


def load_portal(portal_json: Path) -> dict:
    """Read one portal.json."""
    return json.loads(portal_json.read_text("utf-8"))


def discover(fixtures: Path = DEFAULT_FIXTURES) -> list[Path]:
    """Every ``fixtures/*/portal.json``, sorted by portal directory."""
    return sorted(fixtures.glob("*/portal.json"))


class PortalHTTPServer(ThreadingHTTPServer):
    """One portal of the mirror."""

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, portal_dir: Path, portal: dict, requests: list[str],
                 rewrite_host: bool = True) -> None:
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.portal_dir = portal_dir
        self.www_root = portal_dir / "www"
        self.portal = portal
        self.portal_id: str = portal["id"]
        self.host: str = portal.get("host", "")
        self.requests = requests
        self.lock = threading.Lock()
        self.rewrite_host = rewrite_host and bool(self.host)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        # the real host, not followed by more host characters (www.host and host.other stay)
        self._host_re = re.compile(rb"https?://" + re.escape(self.host.encode("ascii")) + rb"(?![A-Za-z0-9.\-])")
        page = portal_dir / "404.html"
        self.not_found = page.read_bytes() if page.is_file() else PLAIN_404.encode("utf-8")

    def rewrite(self, body: bytes) -> bytes:
        """Point absolute links to the real host at this mirror instead."""
        if not self.rewrite_host:
            return body
        if self.host.encode("ascii") not in body:
            return body
        return self._host_re.sub(self.base_url.encode("ascii"), body)


class MirrorHandler(BaseHTTPRequestHandler):
    """Serves the static files of one portal."""

    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    server: PortalHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log."""

    def do_GET(self) -> None:
        """Serve a file."""
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        """Serve headers only."""
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        srv = self.server
        with srv.lock:
            srv.requests.append(self.path)
        target = self.path
        if target.startswith(("http://", "https://")):  # absolute-form request target
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        try:
            file = path_for(srv.www_root, target)
            found = file.is_file() and not file.name.endswith(HIDDEN_SUFFIXES)
        except (ValueError, OSError):
            found = False
        if not found:
            self._reply(404, {"Content-Type": DEFAULT_TYPE}, srv.not_found, send_body)
            return
        meta = read_meta(file)
        headers = {"Content-Type": content_type_for(target)}
        for key, value in meta.get("headers", {}).items():
            headers = {k: v for k, v in headers.items() if k.lower() != key.lower()}
            headers[key] = value
        body = file.read_bytes()
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if ctype.startswith(("text/", "application/xml", "application/rss", "application/javascript")):
            body = srv.rewrite(body)
        for key, value in list(headers.items()):
            if key.lower() == "location":
                headers[key] = srv.rewrite(value.encode("utf-8")).decode("utf-8")
        self._reply(int(meta.get("status", 200)), headers, body, send_body)

    def _reply(self, status: int, headers: dict[str, str], body: bytes, send_body: bool) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class MirrorServer:
    """Serve every portal of the offline mirror (or a chosen subset) on local ports.

    >>> with MirrorServer() as mirror:          # doctest: +SKIP
    ...     mirror.urls["vptu-haiduong"]
    'http://127.0.0.1:40123/'
    """

    def __init__(self, fixtures: Path | str | None = None,
                 portals: Iterable[str] | None = None, rewrite_host: bool = True) -> None:
        self.fixtures = Path(fixtures) if fixtures is not None else DEFAULT_FIXTURES
        wanted = set(portals) if portals is not None else None
        self.portal_files: list[Path] = []
        for pj in discover(self.fixtures):
            pid = load_portal(pj)["id"]
            if wanted is None or pid in wanted or pj.parent.name in wanted:
                self.portal_files.append(pj)
        if wanted is not None:
            found = {load_portal(pj)["id"] for pj in self.portal_files}
            missing = wanted - found - {pj.parent.name for pj in self.portal_files}
            if missing:
                raise KeyError(f"unknown portal(s): {sorted(missing)}")
        self.rewrite_host = rewrite_host
        self.servers: dict[str, PortalHTTPServer] = {}
        self.requests: dict[str, list[str]] = {}
        self._threads: list[threading.Thread] = []

    @property
    def urls(self) -> dict[str, str]:
        """portal id -> ``http://127.0.0.1:PORT/``."""
        return {pid: srv.base_url + "/" for pid, srv in self.servers.items()}

    @property
    def portals(self) -> dict[str, dict]:
        """portal id -> its portal.json content."""
        return {pid: srv.portal for pid, srv in self.servers.items()}

    def start(self) -> MirrorServer:
        """Bind the ports and start serving in daemon threads."""
        if self.servers:
            return self
        for pj in self.portal_files:
            portal = load_portal(pj)
            requests: list[str] = []
            srv = PortalHTTPServer(pj.parent, portal, requests, self.rewrite_host)
            self.servers[portal["id"]] = srv
            self.requests[portal["id"]] = requests
            thread = threading.Thread(target=srv.serve_forever, name=f"mirror-{portal['id']}",
                                      kwargs={"poll_interval": 0.2}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Shut every portal server down."""
        for srv in self.servers.values():
            srv.shutdown()
            srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.servers.clear()
        self._threads.clear()

    def reset_requests(self) -> None:
        """Forget the recorded request paths."""
        for reqs in self.requests.values():
            reqs.clear()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: print the portal URLs and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m vpcrawl.mirror", description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="fixtures directory")
    parser.add_argument("--portal", action="append", help="serve only this portal id (repeatable)")
    parser.add_argument("--no-rewrite-host", action="store_true",
                        help="serve absolute links to the real hosts unchanged")
    args = parser.parse_args(argv)
    mirror = MirrorServer(args.fixtures, args.portal, rewrite_host=not args.no_rewrite_host)
    if not mirror.portal_files:
        parser.error(f"no */portal.json under {args.fixtures}")
    with mirror:
        for pid, url in mirror.urls.items():
            print(f"{pid}\t{url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
