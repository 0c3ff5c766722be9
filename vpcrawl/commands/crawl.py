"""`scrapy crawl` that rejects bad spider arguments with one line and exit code 2.

Scrapy builds the spider inside the running engine, so a `UsageError` raised by the spider's
``__init__`` (an unknown ``-a site``, a malformed ``-a since``, a URL without a scheme) ends
as an asyncio traceback and exit code 1. This command builds the spider once, before the
engine (and before Scrapy's start-up log), and turns a `UsageError` into::

    scrapy crawl portal: error: unknown site 'nope'; known sites: vptu-haiduong, ...

on stderr with exit code 2 (the shell convention for bad usage). The spider's messages say
what is accepted. Enabled by ``COMMANDS_MODULE = "vpcrawl.commands"`` in the settings.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

EXIT_USAGE = 2


def _fail(prog: str, message: str) -> None:
    line = " ".join(message.split())  # one line, whatever the message holds
    sys.stderr.write(f"{prog}: error: {line}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_USAGE)


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        prog = "scrapy crawl" + (f" {args[0]}" if args else "")
        try:
            super().process_options(args, opts)
        except UsageError as exc:
            _fail(prog, str(exc) or "invalid options (see scrapy crawl -h)")
        if len(args) != 1:
            return  # run() reports it the Scrapy way
        assert self.settings is not None
        try:
            spidercls = get_spider_loader(self.settings).load(args[0])
        except KeyError:
            loader = get_spider_loader(self.settings)
            _fail(prog, f"unknown spider {args[0]!r}; available: {', '.join(sorted(loader.list()))}")
        if not spidercls.__module__.startswith("vpcrawl."):
            return
        try:
            spidercls(**opts.spargs)  # a dry run: vpcrawl spiders validate their arguments here
        except UsageError as exc:
            _fail(prog, str(exc))
        except TypeError as exc:  # an argument the spider does not take
            _fail(prog, str(exc))
