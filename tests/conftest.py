"""Shared fixtures: the offline mirror on disk and served on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


@dataclass
class MirrorPortal:
    id: str
    dir: Path
    meta: dict[str, Any]

    @property
    def www(self) -> Path:
        return self.dir / "www"

    @property
    def family(self) -> str | None:
        return self.meta.get("family")

    def expected(self, path: str) -> dict[str, Any]:
        from vpcrawl.mirror import path_for

        page = path_for(self.www, path)
        return json.loads(page.with_name(page.name + ".expected.json").read_text(encoding="utf-8"))

    def html(self, path: str) -> str:
        """The page as the spider reads it: bytes decoded with the charset the server declares."""
        from vpcrawl.mirror import content_type_for, path_for
        from vpcrawl.text.legacy import decode_html_bytes

        page = path_for(self.www, path)
        ctype = content_type_for(path, page)
        declared = ctype.split("charset=", 1)[1].strip() if "charset=" in ctype else None
        return decode_html_bytes(page.read_bytes(), declared)[0]

    def canonical_path(self, path: str) -> str:
        return self.meta.get("aliases", {}).get(path, path)


def mirror_portals() -> list[MirrorPortal]:
    out = []
    for meta_file in sorted(FIXTURES.glob("*/portal.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        out.append(MirrorPortal(meta["id"], meta_file.parent, meta))
    return out


@pytest.fixture(scope="session")
def mirror() -> Iterator[Any]:
    from vpcrawl.mirror import MirrorServer

    with MirrorServer(FIXTURES) as server:
        yield server
