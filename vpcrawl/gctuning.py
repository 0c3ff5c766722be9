"""Python's cyclic garbage collector, tuned for a crawl (`VPCRAWL_GC_GEN0`).

Why: a crawl makes many short-lived container objects (requests, responses, Deferreds,
items, lxml proxies). With Python's default thresholds (700, 10, 10) the collector runs a
young-generation pass every 700 net allocations, and every pass of an older generation walks
everything imported at start-up again, and a crawl's growing frontier with it. On 1,500-page
benchmark crawls (one portal a process, 3 alternating reps, young threshold 50,000) that was
about a tenth of a crawler process's CPU: bare Scrapy 606 -> 670 pages/s, vpcrawl 312 -> 353;
on the benchmark's 700-page crawls a few percent (its Agc reference run shows what).

What is alive once the crawl is set up (modules, classes, settings, the spider) is collected
once and frozen (`gc.freeze`), so that no pass walks it again; the young generation is then
collected every `gen0` allocations. Memory stays bounded: reference counting still frees all
acyclic garbage at once, and reference cycles wait for the next young pass at most.
"""

from __future__ import annotations

import gc

_users = 0
_saved: tuple[int, int, int] | None = None


def tune(gen0: int) -> bool:
    """Freeze what is alive and collect the young generation every `gen0` allocations (0 or
    less: leave the collector alone). The crawls of one process share it; `restore` undoes
    it when the last one ends. Returns whether it is tuned now."""
    global _users, _saved
    if gen0 <= 0:
        return False
    if _users == 0:
        _saved = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(gen0, _saved[1], _saved[2])
    _users += 1
    return True


def restore() -> None:
    """One crawl that called `tune` is over; the last one puts the thresholds back and
    unfreezes what was frozen."""
    global _users, _saved
    if _users == 0:
        return
    _users -= 1
    if _users == 0 and _saved is not None:
        gc.set_threshold(*_saved)
        gc.unfreeze()
        _saved = None
