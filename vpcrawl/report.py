"""`vpcrawl report DIR_OR_FILES -o report.html`: one self-contained HTML page about a dataset.

The page needs no network to view: CSS is inline, charts are inline SVG, there is no script.
It shows what a researcher checks before using a crawl: articles per portal per month (chart
and table), where dates came from and how precise they are, field coverage per portal,
near-duplicates (who republishes whom), Party documents, revisions and removals, and errors
by kind (from run manifests and reject files, when present next to the data).

    build_report(paths) -> str      # the HTML
    main(argv) -> int               # the command line
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vpcrawl import __version__, dataset

__all__ = ["ReportData", "add_arguments", "build_report", "collect", "main", "run"]

DATE_SOURCES = ("jsonld", "meta", "page", "listing", "url", "relative")
PRECISIONS = ("minute", "day", "month")
COVERAGE_FIELDS = (
    "title", "summary", "body", "published_at", "author", "source", "category", "tags",
    "images", "attachments", "documents",
)
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f", "#393b79", "#ad494a", "#637939", "#e6550d", "#6b6ecf", "#843c39",
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})")
NONE = "(none)"


@dataclass
class _Row:
    """What the report keeps of one article (the latest revision)."""

    id: str
    site: str
    month: str | None
    published: str | None
    date_source: str
    precision: str
    revision: int
    rank: tuple[Any, ...]
    duplicate_of: str | None
    kind: str
    documents: list[str]
    filled: frozenset[str]
    family: str
    schema_version: str


@dataclass
class ReportData:
    """Everything the page shows, computed from the files (usable without the HTML)."""

    files: list[Path] = field(default_factory=list)
    rows: dict[str, _Row] = field(default_factory=dict)  # id -> latest revision
    records_read: int = 0  # lines read, all revisions
    revisions: Counter[str] = field(default_factory=Counter)  # site -> rows with revision > 1
    no_id: int = 0
    manifests: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sites(self) -> list[str]:
        found = {r.site for r in self.rows.values()}
        found.update(str(m.get("site")) for m in self.manifests if m.get("site"))
        return sorted(found)


def _filled(item: dict[str, Any]) -> frozenset[str]:
    out = []
    for name in COVERAGE_FIELDS:
        value = item.get(name)
        if value is not None and value != "" and value != [] and value != {}:
            out.append(name)
    return frozenset(out)


def collect(paths: Iterable[str | Path]) -> ReportData:
    """Read data files, manifests and rejects under `paths` into a `ReportData`."""
    paths = [Path(p) for p in paths]
    data = ReportData(files=dataset.data_files(paths))
    for fi, f in enumerate(data.files):
        for n, item in dataset._records(f):
            data.records_read += 1
            item_id = item.get("id")
            if not isinstance(item_id, str):
                data.no_id += 1
                item_id = f"{f}:{n}"
            rank = dataset._rank(item, fi, n)
            published = item.get("published_at")
            m = _MONTH.match(published) if isinstance(published, str) else None
            docs = item.get("documents") or []
            row = _Row(
                id=item_id,
                site=str(item.get("site") or "(unknown)"),
                month=f"{m[1]}-{m[2]}" if m else None,
                published=published if m else None,
                date_source=str(item.get("date_source") or NONE),
                precision=str(item.get("date_precision") or NONE),
                revision=rank[0],
                rank=rank,
                duplicate_of=item.get("duplicate_of") or None,
                kind=str(item.get("kind") or "(unset)"),
                documents=[d.get("number", "") for d in docs if isinstance(d, dict)],
                filled=_filled(item),
                family=str(item.get("family") or ""),
                schema_version=str(item.get("schema_version") or "?"),
            )
            if row.revision > 1:
                data.revisions[row.site] += 1
            kept = data.rows.get(item_id)
            if kept is None or rank > kept.rank:
                data.rows[item_id] = row
    data.manifests = dataset.read_manifests(paths)
    data.rejects = list(dataset.read_rejects(paths))
    return data


# --- registry and geography ----------------------------------------------------------------


def _registry() -> dict[str, Any]:
    try:
        from vpcrawl.sites import portals

        return dict(portals())
    except Exception:  # the report must work on any dataset, even with a broken registry
        return {}


def issuer_level(issuing_body: str, province: str) -> str:
    """central | provincial committee | provincial board/office | other (from the registry text)."""
    body = (issuing_body or "").casefold()
    if not province or "trung ương" in body:
        return "central" if body else ""
    if body.startswith(("tỉnh ủy", "tỉnh uỷ", "thành ủy", "thành uỷ")):
        return "provincial committee"
    if any(w in body for w in ("tỉnh ủy", "tỉnh uỷ", "thành ủy", "thành uỷ")):
        return "provincial board/office"
    return "other"


def _geo(portal: Any) -> tuple[str, str]:
    """(province cell, codes cell) for a registry portal."""
    from vpcrawl.provinces import codes

    province = getattr(portal, "province", "") or ""
    if not province:
        return "—", "—"
    found = codes(province, getattr(portal, "province_code", "") or None)
    if found is None:
        return province, "?"
    before = f"{found.code_63} {found.name_63}" if found.code_63 else "?"
    return province, f"{before} → {found.code_34} {found.name_34}"


# --- HTML helpers ----------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "–"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, _Raw):
                cells.append(cell.html)
            else:
                num = isinstance(cell, (int, float)) and not isinstance(cell, bool)
                cells.append(f'<td class="num">{cell}</td>' if num else f"<td>{_e(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}" class="empty">nothing to show</td></tr>')
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


@dataclass
class _Raw:
    html: str


def _heat(share: float, text: str) -> _Raw:
    """A table cell coloured from red (0) to green (1)."""
    hue = int(120 * max(0.0, min(1.0, share)))
    return _Raw(f'<td class="num" style="background:hsl({hue},70%,85%)">{_e(text)}</td>')


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    ly, lm = int(last[:4]), int(last[5:7])
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def _nice_step(value: int, ticks: int = 4) -> int:
    """An integer tick step (1, 2, 5 x 10^k) so that `ticks` steps reach at least `value`."""
    raw = max(1, -(-value // ticks))
    magnitude = 10 ** (len(str(raw)) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= raw:
            return step * magnitude
    return raw  # pragma: no cover


def stacked_bar_chart(months: list[str], series: dict[str, list[int]], colors: dict[str, str],
                      title: str) -> str:
    """An inline SVG stacked bar chart: one bar per month, one colour per series."""
    n = max(len(months), 1)
    bar = max(4, min(60, 900 // n))
    gap = max(1, bar // 5)
    left, top, bottom, right = 48, 16, 56, 12
    height = 260
    width = left + n * (bar + gap) + right
    totals = [sum(values[i] for values in series.values()) for i in range(len(months))]
    step = _nice_step(max(totals, default=0))
    ymax = 4 * step
    scale = (height - top - bottom) / ymax
    base = height - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{_e(title)}">',
        f"<title>{_e(title)}</title>",
    ]
    for k in range(5):  # horizontal grid and y labels
        value = step * k
        y = base - value * scale
        label = f"{value:,}"
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="ylab" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    every = max(1, -(-n // 24))  # at most ~24 month labels
    for i, month in enumerate(months):
        x = left + i * (bar + gap)
        y = float(base)
        for site, values in series.items():
            v = values[i]
            if not v:
                continue
            h = v * scale
            y -= h
            parts.append(
                f'<rect class="bar" data-site="{_e(site)}" data-month="{month}" data-count="{v}" '
                f'x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colors[site]}">'
                f"<title>{_e(site)} · {month}: {v}</title></rect>"
            )
        if i % every == 0:
            cx = x + bar / 2
            parts.append(
                f'<text class="xlab" x="{cx:.1f}" y="{base + 12}" text-anchor="end" '
                f'transform="rotate(-45 {cx:.1f} {base + 12})">{month}</text>'
            )
    parts.append(f'<line class="axis" x1="{left}" x2="{width - right}" y1="{base}" y2="{base}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(colors: dict[str, str], counts: Counter[str]) -> str:
    items = "".join(
        f'<li><span class="swatch" style="background:{c}"></span>{_e(s)} ({counts[s]})</li>'
        for s, c in colors.items()
    )
    return f'<ul class="legend">{items}</ul>'


# --- sections ----------------------------------------------------------------------------------


def _section_portals(data: ReportData, registry: dict[str, Any]) -> str:
    per_site: dict[str, list[_Row]] = defaultdict(list)
    for r in data.rows.values():
        per_site[r.site].append(r)
    rows = []
    for site in data.sites:
        items = per_site.get(site, [])
        dates = sorted(r.published for r in items if r.published)
        portal = registry.get(site)
        if portal is not None:
            name, body = portal.name, portal.issuing_body
            level = issuer_level(body, portal.province)
            province, geo = _geo(portal)
        else:
            name, body, level, province, geo = "(not in the registry: zero-config)", "", "", "", ""
        families = ", ".join(sorted({r.family for r in items if r.family}))
        rows.append((site, name, body, level, province, geo, families, len(items),
                     dates[0][:10] if dates else "", dates[-1][:10] if dates else ""))
    headers = ("portal", "name", "issuing body", "level", "province", "code 63 → 34 (after 1 Jul 2025)",
               "CMS", "articles", "first", "last")
    return _table(headers, rows)


def _section_chart(data: ReportData, colors: dict[str, str]) -> tuple[str, str]:
    dated = [r for r in data.rows.values() if r.month]
    undated = Counter(r.site for r in data.rows.values() if not r.month)
    if not dated:
        return '<p class="empty">No dated articles: nothing to chart.</p>', ""
    seen_months = sorted({r.month for r in dated if r.month})
    months = _months_between(seen_months[0], seen_months[-1])
    index = {m: i for i, m in enumerate(months)}
    series = {site: [0] * len(months) for site in colors}
    for r in dated:
        series[r.site][index[r.month or ""]] += 1
    series = {s: v for s, v in series.items() if any(v)}
    chart = stacked_bar_chart(months, series, colors, "Articles per portal per month (by published_at)")
    counts = Counter(r.site for r in dated)
    note = ""
    if undated:
        note = "<p>Not in the chart (no publication date): " + ", ".join(
            f"{_e(s)} {n}" for s, n in sorted(undated.items())) + ".</p>"
    figure = f'<div class="scroll">{chart}</div>{_legend({s: colors[s] for s in series}, counts)}{note}'
    table_rows = [(m, *[series[s][i] for s in series], sum(series[s][i] for s in series))
                  for i, m in enumerate(months)]
    table = _table(("month", *series, "total"), table_rows, "compact")
    return figure, f"<details><summary>The numbers behind the chart</summary>{table}</details>"


def _count_cell(n: int, total: int) -> Any:
    return _Raw(f'<td class="num">{n} <small>{_pct(n, total)}</small></td>') if n else ""


def _section_dates(data: ReportData) -> str:
    sources_by_site: dict[str, Counter[str]] = defaultdict(Counter)
    precision_by_site: dict[str, Counter[str]] = defaultdict(Counter)
    for r in data.rows.values():
        sources_by_site[r.site][r.date_source] += 1
        precision_by_site[r.site][r.precision] += 1
    seen = {s for c in sources_by_site.values() for s in c}
    sources = [*DATE_SOURCES, *sorted(seen - {*DATE_SOURCES, NONE}), NONE]
    precisions = [*PRECISIONS, *sorted({p for c in precision_by_site.values() for p in c}
                                       - {*PRECISIONS, NONE}), NONE]
    rows = []
    for site in sorted(sources_by_site):
        src, prec = sources_by_site[site], precision_by_site[site]
        total = sum(src.values())
        rows.append([site, total, *(_count_cell(src[s], total) for s in sources),
                     *(_count_cell(prec[p], total) for p in precisions)])
    headers = ("portal", "articles", *(f"source: {s}" for s in sources),
               *(f"precision: {p}" for p in precisions))
    return _table(headers, rows)


def _section_coverage(data: ReportData) -> str:
    per_site: dict[str, list[_Row]] = defaultdict(list)
    for r in data.rows.values():
        per_site[r.site].append(r)
    rows = []
    for site in sorted(per_site):
        items = per_site[site]
        cells: list[Any] = [site, len(items)]
        for name in COVERAGE_FIELDS:
            n = sum(1 for r in items if name in r.filled)
            cells.append(_heat(n / len(items), _pct(n, len(items))))
        rows.append(cells)
    return _table(("portal", "articles", *COVERAGE_FIELDS), rows, "coverage")


def _section_duplicates(data: ReportData) -> str:
    per_site = Counter(r.site for r in data.rows.values())
    dups = [r for r in data.rows.values() if r.duplicate_of]
    pairs: Counter[tuple[str, str]] = Counter()
    for r in dups:
        original = data.rows.get(r.duplicate_of or "")
        pairs[(r.site, original.site if original else "(original not in these files)")] += 1
    dup_per_site = Counter(r.site for r in dups)
    summary = _table(
        ("portal", "articles", "near-duplicates (duplicate_of set)", "share"),
        [(s, per_site[s], dup_per_site[s], _pct(dup_per_site[s], per_site[s])) for s in sorted(per_site)],
    )
    first_copies = sum(1 for r in dups if r.duplicate_of in data.rows)
    pair_table = _table(
        ("republishing portal", "original published by", "articles"),
        [(a, b, n) for (a, b), n in pairs.most_common()],
    )
    text = (f"<p>{len(dups)} of {len(data.rows)} articles are near-duplicates of an earlier copy "
            f"(syndicated releases, republished central news); for {first_copies} of them the "
            f"earlier copy is in these files. Exact copies are dropped at crawl time and counted in the run manifests.</p>")
    return text + summary + "<h3>Who republishes whom</h3>" + pair_table


def _section_documents(data: ReportData) -> str:
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    cited: Counter[str] = Counter()
    cited_by: dict[str, set[str]] = defaultdict(set)
    for r in data.rows.values():
        kinds[r.site][r.kind] += 1
        for number in r.documents:
            cited[number] += 1
            cited_by[number].add(r.site)
    all_kinds = sorted({k for c in kinds.values() for k in c})
    kind_table = _table(
        ("portal", *all_kinds, "articles citing a document"),
        [(s, *[kinds[s][k] for k in all_kinds],
          sum(1 for r in data.rows.values() if r.site == s and r.documents)) for s in sorted(kinds)],
    )
    top = _table(
        ("document number", "articles", "portals"),
        [(num, n, ", ".join(sorted(cited_by[num]))) for num, n in cited.most_common(20)],
    )
    return kind_table + "<h3>Most cited Party documents</h3>" + top


def _removal_rows(manifest: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    out = []
    for entry in manifest.get("removals") or []:
        if isinstance(entry, dict):
            out.append((str(manifest.get("site", "")), str(entry.get("id", "")),
                        str(entry.get("url", "")), str(entry.get("removed_at", ""))))
        else:
            out.append((str(manifest.get("site", "")), str(entry), "", ""))
    return out


def _section_revisions(data: ReportData) -> str:
    revised_articles = Counter(r.site for r in data.rows.values() if r.revision > 1)
    max_rev: dict[str, int] = defaultdict(int)
    for r in data.rows.values():
        max_rev[r.site] = max(max_rev[r.site], r.revision)
    removals = [row for m in data.manifests for row in _removal_rows(m)]
    removed_per_site = Counter(row[0] for row in removals)
    sites = sorted(set(revised_articles) | set(removed_per_site) | {r.site for r in data.rows.values()})
    table = _table(
        ("portal", "articles revised", "revision rows read", "highest revision", "removed (manifests)"),
        [(s, revised_articles[s], data.revisions[s], max_rev.get(s, 0), removed_per_site[s]) for s in sites],
    )
    listing = ""
    if removals:
        listing = "<h3>Removed articles</h3>" + _table(
            ("portal", "id", "url", "removed at"), removals[:50])
    note = ("<p>An article whose text changed on a recrawl is emitted again with "
            "<code>revision</code> + 1; the tables above count the latest revision of each "
            "<code>id</code>. Removals are articles gone from their portal (HTTP 404/410 on "
            "recrawl), as listed in the run manifests.</p>")
    if not data.manifests:
        note += '<p class="empty">No run manifests found: removals unknown.</p>'
    return note + table + listing


def _section_errors(data: ReportData) -> str:
    per_site: dict[str, Counter[str]] = defaultdict(Counter)
    for m in data.manifests:
        for kind, n in (m.get("errors") or {}).items():
            if isinstance(n, (int, float)):
                per_site[str(m.get("site", "?"))][str(kind)] += int(n)
    kinds = sorted({k for c in per_site.values() for k in c})
    errors = _table(("portal", *kinds, "total"),
                    [(s, *[c[k] for k in kinds], sum(c.values())) for s, c in sorted(per_site.items())])
    from vpcrawl.schema import problem_field

    reasons: Counter[tuple[str, str]] = Counter()
    for rec in data.rejects:
        site = str(rec.get("site") or (rec.get("item") or {}).get("site") or "?")
        for problem in rec.get("problems") or ["(no reason given)"]:
            reasons[(site, problem_field(str(problem)))] += 1
    rejects = _table(("portal", "invalid field", "items rejected"),
                     [(s, f, n) for (s, f), n in sorted(reasons.items())])
    unread = ""
    if data.no_id:
        unread = f"<p>{data.no_id} lines without an <code>id</code> were read.</p>"
    if not data.manifests:
        errors = '<p class="empty">No run manifests found: crawl errors unknown.</p>'
    return (errors + "<h3>Items rejected by validation (reject files)</h3>" + rejects + unread)


def _section_runs(data: ReportData) -> str:
    keys = sorted({k for m in data.manifests for k in (m.get("counts") or {})})
    rows = []
    for m in sorted(data.manifests, key=lambda m: (str(m.get("site")), str(m.get("started_at")))):
        counts = m.get("counts") or {}
        rows.append((m.get("run_id", ""), m.get("site", ""), m.get("schema_version", ""),
                     m.get("started_at", ""), m.get("finished_at", ""),
                     *[counts.get(k, "") for k in keys]))
    return _table(("run", "portal", "schema", "started", "finished", *keys), rows, "compact")


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;
 margin:0 auto;max-width:1200px;padding:16px 24px;color:#222;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 7px;vertical-align:top}
th{background:#f3f3f3;text-align:left}.compact td{white-space:nowrap}td.num{text-align:right;white-space:nowrap}
td small{color:#666}.empty{color:#888;font-style:italic}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:#555;font-size:12px}
.scroll{overflow-x:auto}svg.chart{display:block}
svg .grid{stroke:#e5e5e5}svg .axis{stroke:#333}svg text{font-size:10px;fill:#444}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px}
.swatch{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px}
nav a{margin-right:12px}footer{margin-top:32px;color:#666;font-size:12px}
code{background:#f5f5f5;padding:0 3px}
"""


def build_report(paths: Sequence[str | Path], title: str = "vpcrawl dataset report",
                 now: datetime | None = None) -> str:
    """The report page for the runs under `paths` (files or directories), as an HTML string."""
    data = collect(paths)
    registry = _registry()
    sites = data.sites
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sites)}
    figure, chart_table = _section_chart(data, colors)
    dated = sorted(r.published for r in data.rows.values() if r.published)
    versions = Counter(r.schema_version for r in data.rows.values())
    generated = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    cards = [
        (len(data.rows), "articles (latest revisions)"),
        (data.records_read, "lines read (all revisions)"),
        (len(sites), "portals"),
        (len(data.manifests), "runs with a manifest"),
        (len(data.files), "data files"),
        (f"{dated[0][:10]} – {dated[-1][:10]}" if dated else "–", "publication dates"),
        (", ".join(f"{v} ({n})" for v, n in sorted(versions.items())) or "–", "schema versions"),
    ]
    card_html = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(t)}</span></div>' for v, t in cards)
    sections = [
        ("portals", "Portals", _section_portals(data, registry)),
        ("per-month", "Articles per portal per month", figure + chart_table),
        ("dates", "Publication dates: source and precision", _section_dates(data)),
        ("coverage", "Field coverage per portal (share of articles with the field non-empty)",
         _section_coverage(data)),
        ("duplicates", "Duplicates and syndication", _section_duplicates(data)),
        ("documents", "News and Party documents", _section_documents(data)),
        ("revisions", "Revisions and removals", _section_revisions(data)),
        ("errors", "Errors by kind", _section_errors(data)),
        ("runs", "Runs", _section_runs(data)),
    ]
    nav = "".join(f'<a href="#{sid}">{_e(h.split(" (")[0])}</a>' for sid, h, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{_e(h)}</h2>{content}</section>' for sid, h, content in sections)
    inputs = ", ".join(_e(p) for p in paths)
    from vpcrawl.schema import SCHEMA_VERSION

    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1><p>Input: {inputs}</p><div class=\"cards\">{card_html}</div>"
        f"<nav>{nav}</nav>{body}"
        f"<footer>Generated {_e(generated)} by vpcrawl {_e(__version__)} (item schema "
        f"{_e(SCHEMA_VERSION)}). Field definitions: docs/datasheet.md.</footer>"
        "</body></html>\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `vpcrawl report` arguments (for a subparser of the main CLI)."""
    parser.add_argument("paths", nargs="+", metavar="DIR_OR_FILE",
                        help="run directories and/or .jsonl / .jsonl.gz files")
    parser.add_argument("-o", "--output", default="report.html", help="HTML file to write (default: report.html)")
    parser.add_argument("--title", default="vpcrawl dataset report")


def run(args: argparse.Namespace) -> int:
    """Write the report; 2 when an input is missing or holds no data files."""
    try:
        files = dataset.data_files(args.paths)
    except FileNotFoundError as e:
        print(f"vpcrawl report: {e}", file=sys.stderr)
        return 2
    if not files:
        print(f"vpcrawl report: no .jsonl or .jsonl.gz files in {', '.join(args.paths)}", file=sys.stderr)
        return 2
    page = build_report(args.paths, title=args.title)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out} ({len(page) // 1024} KB) from {len(files)} data file(s)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`vpcrawl report DIR_OR_FILES... -o report.html`."""
    parser = argparse.ArgumentParser(prog="vpcrawl report", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
