"""Loading runs: .jsonl / .jsonl.gz trees, revisions, manifests, rejects, pandas, DuckDB."""

from __future__ import annotations

import builtins
import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from vpcrawl import dataset

DATA = Path(__file__).parent / "data" / "report"
REVISED_URL = "https://tinhuybinhphuoc.vn/news/tin-tuc/hoi-nghi-quan-triet-ket-luan-127-kl-tw-1201.html"


@pytest.fixture
def gz_runs(tmp_path: Path) -> Path:
    """The sample runs in the real layout: items gzipped, manifests and rejects beside them."""
    root = tmp_path / "runs"
    shutil.copytree(DATA, root)
    for f in root.rglob("*.jsonl"):
        if f.name.endswith(".rejects.jsonl"):
            continue
        with f.open("rb") as src, gzip.open(f.with_name(f.name + ".gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        f.unlink()
    return root


def test_latest_revision_only(gz_runs: Path) -> None:
    latest = list(dataset.read(gz_runs))
    every = list(dataset.read(gz_runs, latest_revision_only=False))
    assert len(every) == len(latest) + 1
    assert len({i["id"] for i in latest}) == len(latest)
    revised = [i for i in latest if i["url"] == REVISED_URL]
    assert len(revised) == 1 and revised[0]["revision"] == 2
    assert "Hướng dẫn 12-HD/BTGTW" in revised[0]["body"]
    assert sorted(i["revision"] for i in every if i["url"] == REVISED_URL) == [1, 2]


def test_plain_and_gz_read_the_same(gz_runs: Path) -> None:
    plain = sorted(json.dumps(i, sort_keys=True) for i in dataset.read(DATA))
    packed = sorted(json.dumps(i, sort_keys=True) for i in dataset.read(gz_runs))
    assert plain == packed


def test_rejects_and_manifests_are_not_items(gz_runs: Path) -> None:
    names = [f.name for f in dataset.data_files(gz_runs)]
    assert names and all(n.endswith(".jsonl.gz") for n in names)
    assert not any("rejects" in n for n in names)


def test_explicit_files_and_missing_path(gz_runs: Path) -> None:
    files = dataset.data_files(gz_runs)
    one = list(dataset.read(files[0]))
    assert one and all(i["site"] == "btg-dongthap" for i in one)
    assert len(list(dataset.read([files[0], files[0]]))) == len(one)  # named twice: read once
    with pytest.raises(FileNotFoundError):
        list(dataset.read(gz_runs / "nope"))


def test_revision_tie_broken_by_later_file(tmp_path: Path) -> None:
    a = {"id": "0123456789abcdef", "revision": 1, "title": "first run"}
    (tmp_path / "a.jsonl").write_text(json.dumps(a) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({**a, "title": "second run"}) + "\n", encoding="utf-8")
    assert [i["title"] for i in dataset.read(tmp_path)] == ["second run"]


def test_damaged_files_are_read_up_to_the_damage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [json.dumps({"id": f"{n:016x}", "n": n}) for n in range(200)]
    (tmp_path / "bad.jsonl").write_text(
        lines[0] + "\n{not json\n\n[1, 2]\n" + lines[1] + "\n", encoding="utf-8"
    )
    payload = gzip.compress(("\n".join(lines) + "\n").encode())
    (tmp_path / "killed.jsonl.gz").write_bytes(payload[: len(payload) // 2])  # a killed run
    got = list(dataset.read(tmp_path))
    assert {i["n"] for i in got if i["n"] < 2} == {0, 1}
    assert 2 < len(got) < 200
    assert "not JSON" in caplog.text and "truncated" in caplog.text


def test_items_without_id_are_kept(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"title": "a"}\n{"title": "b"}\n', encoding="utf-8")
    assert [i["title"] for i in dataset.read(tmp_path)] == ["a", "b"]


def test_read_manifests(gz_runs: Path) -> None:
    manifests = dataset.read_manifests(gz_runs)
    assert {m["run_id"] for m in manifests} == {
        "20250613T011000-bp01", "20250702T010000-bp02", "20250615T030000-dt01",
    }
    assert all(m["schema_version"] == "1.1" and Path(m["_path"]).is_file() for m in manifests)
    second = next(m for m in manifests if m["run_id"].endswith("bp02"))
    assert second["removals"][0]["url"].endswith("1185.html")
    data_file = next(f for f in dataset.data_files(gz_runs) if "bp02" in f.name)
    assert [m["run_id"] for m in dataset.read_manifests(data_file)] == ["20250702T010000-bp02"]
    (gz_runs / "broken.manifest.json").write_text("{", encoding="utf-8")
    assert len(dataset.read_manifests(gz_runs)) == 3


def test_read_rejects(gz_runs: Path) -> None:
    rejects = list(dataset.read_rejects(gz_runs))
    assert len(rejects) == 1
    assert rejects[0]["problems"][0].startswith("published_at:")
    data_file = next(f for f in dataset.data_files(gz_runs) if "bp02" in f.name)
    assert len(list(dataset.read_rejects(data_file))) == 1


def test_to_pandas(gz_runs: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = dataset.to_pandas(gz_runs)
    assert len(df) == 18 and df["id"].is_unique
    assert str(df["published_at"].dt.tz) in ("UTC+07:00", "+07:00")
    june = df[df["published_at"].dt.strftime("%Y-%m") == "2025-06"]
    assert len(june) == 6
    months = df.groupby(["site", df["published_at"].dt.strftime("%Y-%m")]).size()
    assert months[("dangcongsan", "2025-05")] == 1  # 2025-05-01T00:00+07:00 stays in May
    slim = dataset.to_pandas(gz_runs, columns=["id", "site", "published_at"])
    assert list(slim.columns) == ["id", "site", "published_at"]
    assert isinstance(slim, pd.DataFrame)


def test_to_pandas_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'vpcrawl\[pandas\]'"):
        dataset.to_pandas(DATA)


def test_duckdb_months_in_vietnam_time(gz_runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The DuckDB query of docs/researchers.md counts 2025-05-01T00:00+07:00 in May."""
    duckdb = pytest.importorskip("duckdb")
    monkeypatch.chdir(gz_runs.parent)
    con = duckdb.connect()
    con.sql("SET TimeZone = 'Asia/Ho_Chi_Minh'")
    rows = con.sql(
        "SELECT site, strftime(published_at, '%Y-%m') AS month, count(DISTINCT id) AS articles "
        "FROM read_json_auto('runs/**/*.jsonl.gz', union_by_name = true) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert ("dangcongsan", "2025-05", 1) in rows
    assert sum(r[2] for r in rows) == 18


def test_researchers_doc_examples_run(gz_runs: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Every Python block of docs/researchers.md (the README section) runs as written."""
    pytest.importorskip("pandas")
    pytest.importorskip("duckdb")
    doc = (Path(__file__).resolve().parent.parent / "docs" / "researchers.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) == 2 and all(len(b.strip().splitlines()) == 3 for b in blocks)
    monkeypatch.chdir(gz_runs.parent)
    for block in blocks:
        exec(compile(block, "docs/researchers.md", "exec"), {})
    assert "dangcongsan" in capsys.readouterr().out  # DuckDB's .show() printed the table
