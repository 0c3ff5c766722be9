"""Load vpcrawl runs for analysis: JSON Lines (plain or gzipped), manifests, rejects.

A run directory looks like

    DIR/<site>/<YYYY-MM-DD>/<run-id>.jsonl.gz        items, one JSON object per line
    DIR/<site>/<YYYY-MM-DD>/<run-id>.manifest.json   counts, errors, removals of the run
    DIR/<site>/<YYYY-MM-DD>/<run-id>.rejects.jsonl   items that failed validation, with reasons

but any `.jsonl` / `.jsonl.gz` file or directory tree works:

    from vpcrawl import dataset
    for item in dataset.read("runs/"):          # latest revision of each article
        ...
    df = dataset.to_pandas("runs/")             # needs pandas (pip install 'vpcrawl[pandas]')

A recrawl that finds an article's text changed emits it again with `revision` + 1; `read`
keeps only the latest revision of each `id` unless `latest_revision_only=False`.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import zlib
from collections.abc import Iterable, Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_SUFFIXES",
    "data_files",
    "read",
    "read_manifests",
    "read_rejects",
    "to_pandas",
]

logger = logging.getLogger(__name__)

DATA_SUFFIXES = (".jsonl", ".jsonl.gz")
REJECT_SUFFIXES = (".rejects.jsonl", ".rejects.jsonl.gz")
MANIFEST_SUFFIX = ".manifest.json"
_DATETIME_COLUMNS = ("published_at", "crawled_at", "revised_at")
VN_TZ = timezone(timedelta(hours=7))

PathLike = str | os.PathLike[str]


def _is_reject(name: str) -> bool:
    return name.endswith(REJECT_SUFFIXES)


def _is_data(name: str) -> bool:
    return name.endswith(DATA_SUFFIXES) and not _is_reject(name)


def _walk(paths: PathLike | Iterable[PathLike], accept: Any) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and accept(f.name)))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or directory: {p}")
    seen: set[Path] = set()
    unique = []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def data_files(path_or_dir: PathLike | Iterable[PathLike]) -> list[Path]:
    """The item files (`*.jsonl`, `*.jsonl.gz`, not rejects) under the given paths, sorted.

    Files named explicitly are taken whatever their name; directories are searched recursively.
    """
    return _walk(path_or_dir, _is_data)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a JSON Lines file; a truncated gzip (killed run) ends quietly."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    yield n, line
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        logger.warning("%s: truncated or corrupt compressed data (%s); read up to the damage", path, e)


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in _lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            logger.warning("%s:%d: not JSON (%s); skipped", path, n, e.msg)
            continue
        if isinstance(record, dict):
            yield n, record
        else:
            logger.warning("%s:%d: not a JSON object; skipped", path, n)


def _rank(item: dict[str, Any], fi: int, n: int) -> tuple[int, str, str, int, int]:
    """Sort key of a revision: higher revision, then later revised_at / crawled_at, then later file."""
    try:
        revision = int(item.get("revision") or 1)
    except (TypeError, ValueError):
        revision = 1
    return (revision, str(item.get("revised_at") or ""), str(item.get("crawled_at") or ""), fi, n)


def read(
    path_or_dir: PathLike | Iterable[PathLike], latest_revision_only: bool = True
) -> Iterator[dict[str, Any]]:
    """Items of every run under `path_or_dir` (a file, a directory tree, or a list of them).

    Files are read in sorted path order (the run layout makes that chronological per portal).
    With `latest_revision_only` (default) each `id` is yielded once, in its latest revision
    (highest `revision`; ties: latest `revised_at`, then `crawled_at`, then the later file);
    this takes two passes over the files and memory for one small key per id. Items without
    an `id` are always yielded. Lines that are not JSON objects are logged and skipped.
    """
    files = data_files(path_or_dir)
    if not latest_revision_only:
        for f in files:
            for _, item in _records(f):
                yield item
        return
    best: dict[str, tuple[tuple[int, str, str, int, int], int, int]] = {}
    for fi, f in enumerate(files):
        for n, item in _records(f):
            item_id = item.get("id")
            if not isinstance(item_id, str):
                continue
            rank = _rank(item, fi, n)
            kept = best.get(item_id)
            if kept is None or rank > kept[0]:
                best[item_id] = (rank, fi, n)
    winners = {(fi, n) for _, fi, n in best.values()}
    del best
    for fi, f in enumerate(files):
        for n, item in _records(f):
            if not isinstance(item.get("id"), str) or (fi, n) in winners:
                yield item


def read_manifests(path_or_dir: PathLike | Iterable[PathLike]) -> list[dict[str, Any]]:
    """Run manifests (`*.manifest.json`) under the given paths, each with `_path` added.

    Data files named explicitly bring their sibling manifest (`<run-id>.manifest.json`).
    Unreadable manifests are logged and skipped.
    """
    if isinstance(path_or_dir, (str, os.PathLike)):
        path_or_dir = [path_or_dir]
    found: list[Path] = []
    for p in map(Path, path_or_dir):
        if p.is_dir():
            found.extend(sorted(p.rglob(f"*{MANIFEST_SUFFIX}")))
        elif p.name.endswith(MANIFEST_SUFFIX):
            found.append(p)
        elif p.is_file():
            stem = p.name
            for suffix in (*REJECT_SUFFIXES, *DATA_SUFFIXES):
                if stem.endswith(suffix):
                    stem = stem[: -len(suffix)]
                    break
            sibling = p.with_name(stem + MANIFEST_SUFFIX)
            if sibling.is_file():
                found.append(sibling)
    out: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for f in found:
        if f.resolve() in seen:
            continue
        seen.add(f.resolve())
        try:
            manifest = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            logger.warning("%s: unreadable manifest (%s); skipped", f, e)
            continue
        if isinstance(manifest, dict):
            manifest["_path"] = str(f)
            out.append(manifest)
    return out


def read_rejects(path_or_dir: PathLike | Iterable[PathLike]) -> Iterator[dict[str, Any]]:
    """Reject records (`*.rejects.jsonl[.gz]`: `{problems, item, ...}`) under the given paths.

    Data files named explicitly bring their sibling rejects file.
    """
    if isinstance(path_or_dir, (str, os.PathLike)):
        path_or_dir = [path_or_dir]
    files: list[Path] = []
    for p in map(Path, path_or_dir):
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and _is_reject(f.name)))
        elif _is_reject(p.name):
            files.append(p)
        elif p.is_file():
            for data_suffix in DATA_SUFFIXES[::-1]:
                if p.name.endswith(data_suffix):
                    stem = p.name[: -len(data_suffix)]
                    files.extend(
                        s for s in (p.with_name(stem + r) for r in REJECT_SUFFIXES) if s.is_file()
                    )
                    break
    for f in dict.fromkeys(files):
        for _, record in _records(f):
            yield record


def to_pandas(
    path_or_dir: PathLike | Iterable[PathLike],
    latest_revision_only: bool = True,
    columns: Iterable[str] | None = None,
) -> Any:
    """The items as a pandas DataFrame, one row per item.

    `published_at`, `crawled_at` and `revised_at` become timezone-aware datetimes in Vietnam
    time (UTC+07:00); list fields (`tags`, `images`, `attachments`, `documents`) stay Python
    lists. `columns` keeps only those fields (saves memory on large datasets: leave out `body`).
    """
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError(
            "vpcrawl.dataset.to_pandas needs pandas, an optional dependency: "
            "pip install 'vpcrawl[pandas]' (or pip install pandas)"
        ) from e
    wanted = list(columns) if columns is not None else None
    rows = read(path_or_dir, latest_revision_only=latest_revision_only)
    if wanted is not None:
        rows = ({k: item.get(k) for k in wanted} for item in rows)
    frame = pd.DataFrame.from_records(list(rows), columns=wanted)
    for name in _DATETIME_COLUMNS:
        if name in frame.columns:
            values = pd.to_datetime(frame[name], utc=True, errors="coerce", format="ISO8601")
            frame[name] = values.dt.tz_convert(VN_TZ)
    return frame
