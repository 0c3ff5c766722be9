"""Scheduled runs (`vpcrawl run`): crawl sites, leave a complete, checkable file set per run.

Per site and run: `OUT/<site>/<YYYY-MM-DD>/<run-id>.jsonl.gz` (the articles), and next to it
`<run-id>.manifest.json` (counts, duplicates, errors, field coverage, sha256 of the data
file, versions, the settings that matter), `<run-id>.removals.jsonl` and
`<run-id>.rejects.jsonl` when there are any. The data file appears under its final name only
when complete; the manifest is written after it, also by rename. The crawl state (what is
already known, for incremental runs) lives in `OUT/.state/` unless `--state-dir` says otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from vpcrawl import __version__
from vpcrawl.extensions import new_run_id
from vpcrawl.items import EXPORT_FIELDS, SCHEMA_VERSION
from vpcrawl.state.canonical import article_id

VN = timezone(timedelta(hours=7))
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MANIFEST_SETTINGS = (
    "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED",
    "CONCURRENT_REQUESTS_PER_DOMAIN", "DEPTH_LIMIT", "VPCRAWL_NEAR_DUP_THRESHOLD",
    "VPCRAWL_TONE_STYLE", "VPCRAWL_MAX_LISTING_PAGES", "VPCRAWL_INCREMENTAL_TOLERANCE",
)
EXIT_FAILED = 1


class RunError(Exception):
    """A problem found before crawling (bad site name, unwritable output)."""


@dataclass
class SiteRun:
    site: str
    spider_args: dict[str, str]
    run_id: str = field(default_factory=new_run_id)
    day: str = field(default_factory=lambda: datetime.now(VN).strftime("%Y-%m-%d"))
    out_dir: Path = Path("output")

    @property
    def folder(self) -> Path:
        return self.out_dir / self.site / self.day

    @property
    def data(self) -> Path:
        return self.folder / f"{self.run_id}.jsonl.gz"

    def sibling(self, kind: str) -> Path:
        return self.folder / f"{self.run_id}.{kind}"


def safe_name(value: str, what: str) -> str:
    """Site names and run ids become path parts: they must not be able to leave OUT."""
    if not SAFE_NAME.match(value) or ".." in value:
        raise RunError(f"{what} {value!r} cannot be used in a file name "
                       "(letters, digits, '.', '_', '-' only)")
    return value


def check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".vpcrawl-write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"output directory {out} is not writable ({exc.strerror or exc}); "
                       "choose another with --out") from None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def field_coverage(path: Path) -> tuple[int, dict[str, float]]:
    """Number of items and, per field, the share of items where it is filled."""
    filled: Counter[str] = Counter()
    n = 0
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                item = json.loads(line)
                n += 1
                filled.update(k for k in EXPORT_FIELDS if item.get(k) not in (None, "", []))
    return n, {k: round(filled[k] / n, 3) if n else 0.0 for k in EXPORT_FIELDS}


def errors_from_stats(stats: dict[str, Any]) -> dict[str, int]:
    """Permanent problems by kind, one count per URL (requests that failed after their
    retries, pages not emitted and why); transient ones that recovered are in `retried`."""
    errors: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("vpcrawl/errors/"):
            kind = key.rsplit("/", 1)[-1]
            if kind not in ("robots_txt", "offsite"):
                errors[kind] = value
    for key in ("vpcrawl/extract/truncated", "vpcrawl/extract/failed", "vpcrawl/validate/invalid",
                "vpcrawl/clean/dropped_empty"):
        if stats.get(key):
            errors[key.split("/", 1)[1].replace("/", "_")] = stats[key]
    return errors


def retried_from_stats(stats: dict[str, Any]) -> dict[str, int]:
    """Retries by reason (attempts, not URLs): transient faults the crawl survived."""
    return {key.split("/", 2)[-1]: value for key, value in stats.items()
            if key.startswith("retry/reason_count/")}


def site_failed(stats: dict[str, Any]) -> str | None:
    """Why a site's run counts as failed (for the exit code), or None."""
    reason = stats.get("finish_reason")
    if reason != "finished":
        return f"finish reason {reason!r}"
    seen = (stats.get("vpcrawl/pages/article", 0) + stats.get("vpcrawl/incremental/skipped_known", 0)
            + stats.get("vpcrawl/incremental/listing_stop", 0))
    if not seen:
        return "no articles found (portal down, blocked, or its markup changed)"
    return None


def write_outputs(run: SiteRun, stats: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Removals file and manifest for one finished site run; returns the manifest."""
    now = datetime.now(VN).isoformat(timespec="seconds")
    removed = [{"id": article_id(u), "url": u, "removed_at": now}
               for u in stats.get("vpcrawl/removed_urls") or []]
    if removed:
        _write_atomic(run.sibling("removals.jsonl"), "".join(
            json.dumps(r, ensure_ascii=False) + "\n" for r in removed))
    n, coverage = field_coverage(run.data)
    started, finished = stats.get("start_time"), stats.get("finish_time")
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "vpcrawl_version": __version__,
        "run_id": run.run_id,
        "site": run.site,
        "spider_args": run.spider_args,
        "started_at": started.isoformat() if isinstance(started, datetime) else started,
        "finished_at": finished.isoformat() if isinstance(finished, datetime) else finished,
        "finish_reason": stats.get("finish_reason"),
        "data_file": run.data.name if run.data.exists() else None,
        "sha256": _sha256(run.data) if run.data.exists() else None,
        "counts": {
            "articles": n,
            "pages_fetched": stats.get("response_received_count", 0),
            "article_pages": stats.get("vpcrawl/pages/article", 0),
            "known_skipped": stats.get("vpcrawl/incremental/skipped_known", 0),
            "unchanged": stats.get("vpcrawl/dedup/unchanged", 0),
            "revised": stats.get("vpcrawl/dedup/revised", 0),
            "duplicates_exact": stats.get("vpcrawl/dedup/exact", 0) + stats.get("vpcrawl/dedup/same_url", 0),
            "duplicates_near": stats.get("vpcrawl/dedup/near", 0),
            "removed": len(removed),
            "rejected": stats.get("vpcrawl/validate/invalid", 0),
        },
        "errors": errors_from_stats(stats),
        "retried": retried_from_stats(stats),
        "skipped": {k.split("/", 2)[-1]: v for k, v in stats.items() if k.startswith("vpcrawl/skipped/")},
        "field_coverage": coverage,
        "removals": removed,
        "settings": {k: settings.get(k) for k in MANIFEST_SETTINGS},
        "failed": site_failed(stats),
    }
    _write_atomic(run.sibling("manifest.json"), json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
    return manifest


def run_sites(runs: list[SiteRun], overrides: dict[str, Any], state_dir: Path) -> int:
    """Crawl every site (side by side, one process) and write each run's file set."""
    from vpcrawl.cli import crawl_many, resolved_settings

    jobs = []
    for run in runs:
        run.folder.mkdir(parents=True, exist_ok=True)
        job_overrides = {
            **overrides,
            "VPCRAWL_STATE_DIR": str(state_dir),
            "VPCRAWL_RUN_ID": run.run_id,
            "VPCRAWL_REJECTS_FILE": str(run.sibling("rejects.jsonl")),
        }
        jobs.append((run.spider_args, run.data, job_overrides))
    all_stats = crawl_many(jobs, overrides)
    settings = resolved_settings(overrides)
    failures = 0
    for run in runs:
        stats = all_stats.get(str(run.data), {})
        manifest = write_outputs(run, stats, settings)
        status = "FAILED: " + manifest["failed"] if manifest["failed"] else "ok"
        print(f"{run.site:<24} {manifest['counts']['articles']:>5} new articles  "
              f"-> {run.data}  [{status}]", file=sys.stderr if manifest["failed"] else sys.stdout)
        failures += bool(manifest["failed"])
    return EXIT_FAILED if failures else 0
