"""Spider contracts for `scrapy check portal`, run offline against the bundled portal mirror.

Scrapy's `@url` names a live page; vpcrawl's portals cannot be reached from CI, and one
spider serves every portal. `@mirror <portal-id> <path>` serves `fixtures/` on 127.0.0.1 (the
mirror of `vpcrawl demo`, started once per process), points the spider at that portal's
profile there (as `-a site=<id> -a url=<mirror>` would) and requests the page. `@extracts`
checks that extraction filled fields: Scrapy's `@scrapes` only asks whether a field exists,
which every field of a dataclass item always does.

    scrapy check portal        # every callback with contracts, against the mirror
    scrapy check -l            # which callbacks have contracts
"""

from __future__ import annotations

import atexit
import threading
from typing import Any
from urllib.parse import urljoin

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

from vpcrawl.mirror import MirrorServer

_lock = threading.Lock()
_mirror: MirrorServer | None = None


def mirror_url(portal_id: str) -> str:
    """Root URL of a bundled portal on the offline mirror, started on first use."""
    global _mirror
    with _lock:
        if _mirror is None:
            _mirror = MirrorServer().start()
            atexit.register(_mirror.stop)
    try:
        return _mirror.urls[portal_id]
    except KeyError:
        raise ContractFail(f"@mirror: no portal {portal_id!r} in the fixtures "
                           f"(one of: {', '.join(sorted(_mirror.urls))})") from None


class MirrorContract(Contract):
    """`@mirror <portal-id> <path>`: check the callback on that page of the offline mirror."""

    name = "mirror"

    def __init__(self, method: Any, *args: Any) -> None:
        super().__init__(method, *args)
        self.spider = getattr(method, "__self__", None)

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        if len(self.args) != 2:
            raise ContractFail(f"@mirror takes <portal-id> <path>, got {' '.join(self.args)!r}")
        portal_id, path = self.args
        base = mirror_url(portal_id)
        if self.spider is not None and hasattr(self.spider, "point_at"):
            self.spider.point_at(portal_id, base)
        args["url"] = urljoin(base, path)
        return args


class ExtractsContract(Contract):
    """`@extracts field ...`: every item the callback returns has these fields, not empty."""

    name = "extracts"

    def post_process(self, output: list[Any]) -> None:
        items = [x for x in output if is_item(x)]
        if not items:
            raise ContractFail("no item returned")
        for item in items:
            adapter = ItemAdapter(item)
            empty = [f for f in self.args if f not in adapter or adapter[f] in (None, "", [], {})]
            if empty:
                raise ContractFail(f"empty fields: {', '.join(empty)} ({adapter.get('url')})")
