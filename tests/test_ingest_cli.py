"""`govqa ingest --json` and `govqa docs --json` through the real console entry point (subprocess)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
GOVQA = ROOT / ".venv" / "bin" / "govqa"
INGEST_KEYS = {"added", "replaced", "skipped", "failed", "ignored", "chunks", "indicators", "vectors_pending"}
DOC_KEYS = {"doc", "path", "title", "region", "province", "city", "county", "level", "year", "kind", "chars",
            "chunks", "masked_chunks", "sha256"}


def govqa(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed console script when present, else the module (same entry point)."""
    command = [str(GOVQA)] if GOVQA.exists() else [sys.executable, "-m", "bot.cli"]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")} | env
    return subprocess.run([*command, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600)


def small_report(region: str, topic: str) -> str:
    return (
        f"{region}人民政府2022年工作总结\n一、经济运行\n"
        f"2022年，{region}{topic}稳步发展，地区生产总值完成88.6亿元，同比增长5.2%。"
        f"{topic}项目加快建设，全年完成投资12.3亿元，完成年度目标任务的104%。"
        "城乡居民收入持续增加，民生保障更加有力，社会大局和谐稳定。\n"
        f"二、2023年工作安排\n继续做强{topic}，力争地区生产总值增长6%左右，持续优化营商环境。"
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text(small_report("东河县", "光伏发电"), encoding="utf-8")
    (docs / "sub" / "b.md").write_text(small_report("西岭镇", "高山蔬菜"), encoding="utf-8")
    (docs / ".hidden.txt").write_text(small_report("隐藏县", "不应入库"), encoding="utf-8")
    (docs / "notes.xyz").write_text("ignored in folders", encoding="utf-8")
    return docs


def test_ingest_json_contract_and_exit_codes(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    first = govqa("ingest", str(folder), "--json", "--index", str(index), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert set(report) == INGEST_KEYS
    assert report["added"] == 2 and report["skipped"] == 0 and report["failed"] == []
    assert report["chunks"] >= 2 and isinstance(report["indicators"], int)
    ignored = [{"path": str(folder / ".hidden.txt"), "reason": "hidden file"},
               {"path": str(folder / "notes.xyz"), "reason": "unsupported file type: .xyz"}]
    assert report["ignored"] == ignored

    second = govqa("ingest", str(folder), "--json", "--index", str(index), cwd=tmp_path)
    assert second.returncode == 0
    assert json.loads(second.stdout) == {"added": 0, "replaced": 0, "skipped": 2, "failed": [], "ignored": ignored,
                                         "chunks": 0, "indicators": 0, "vectors_pending": 0}

    missing = tmp_path / "nope.txt"
    extra = tmp_path / "c.txt"
    extra.write_text(small_report("南湖区", "数字经济"), encoding="utf-8")
    mixed = govqa("ingest", str(missing), str(extra), "--json", "--index", str(index), cwd=tmp_path)
    assert mixed.returncode == 2
    report = json.loads(mixed.stdout)
    assert report["added"] == 1 and report["skipped"] == 0
    assert report["failed"] == [{"path": str(missing), "error": report["failed"][0]["error"]}]
    assert "not found" in report["failed"][0]["error"]

    docs = json.loads(govqa("docs", "--json", "--index", str(index), cwd=tmp_path).stdout)
    assert [d["doc"] for d in docs] == ["a.txt", "c.txt", "sub/b.md"]  # named by the path inside the folder
    by_doc = {d["doc"]: d for d in docs}
    assert (by_doc["c.txt"]["region"], by_doc["c.txt"]["level"], by_doc["c.txt"]["year"]) == ("南湖区", "区", 2022)
    assert by_doc["sub/b.md"]["region"] == "西岭镇" and by_doc["sub/b.md"]["kind"] == "工作总结"
    assert by_doc["sub/b.md"]["path"] == str((folder / "sub" / "b.md").resolve())
    assert by_doc["c.txt"]["path"] == str(extra.resolve())


def test_ingest_plain_output_and_overrides(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "index"
    result = govqa("ingest", str(folder / "a.txt"), "--region", "北坡县", "--year", "2020", "--kind", "other",
                   "--index", str(index), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added 1, replaced 0, skipped 0, failed 0, ignored 0")
    (doc,) = json.loads(govqa("docs", "--json", "--index", str(index), cwd=tmp_path).stdout)
    assert (doc["region"], doc["level"], doc["year"], doc["kind"]) == ("北坡县", "县", 2020, "other")
    plain = govqa("docs", "--index", str(index), cwd=tmp_path)
    assert plain.returncode == 0 and "a.txt\t北坡县" in plain.stdout
    failed = govqa("ingest", str(tmp_path / "missing.txt"), "--index", str(index), cwd=tmp_path)
    assert failed.returncode == 2 and "missing.txt" in failed.stderr and "not found" in failed.stderr


def test_index_from_environment(tmp_path: Path, folder: Path) -> None:
    index = tmp_path / "env-index"
    result = govqa("ingest", str(folder / "a.txt"), "--json", cwd=tmp_path, GOVQA_INDEX_DIR=str(index))
    assert result.returncode == 0, result.stderr
    assert (index / "manifest.sqlite3").exists()
    assert not (tmp_path / ".govqa").exists()


def test_docs_json_on_seeds(seed_index_copy: Path, tmp_path: Path) -> None:
    result = govqa("docs", "--json", "--index", str(seed_index_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert len(docs) == 5
    for entry in docs:
        assert set(entry) >= DOC_KEYS
        (path,) = SAMPLES.glob(entry["doc"])
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert 0 < entry["chars"] <= len(path.read_text(encoding="utf-8"))
        assert 0 <= entry["masked_chunks"] <= entry["chunks"] and entry["chunks"] > 0
    by_prefix = {d["doc"][:3]: d for d in docs}
    assert (by_prefix["003"]["province"], by_prefix["003"]["city"]) == ("山东省", "聊城市")
    assert by_prefix["000"]["region"] != by_prefix["001"]["region"]  # two anonymous counties stay apart
    assert all("_" not in d["title"] or not d["title"].endswith(".txt") for d in docs)
    assert (by_prefix["002"]["region"], by_prefix["002"]["year"], by_prefix["002"]["kind"]) == ("云阳县", 2022, "目标完成情况通报")
    assert (by_prefix["003"]["region"], by_prefix["003"]["year"], by_prefix["003"]["kind"]) == ("冠县", 2022, "政府工作报告")
    assert by_prefix["000"]["masked_chunks"] > 0 and by_prefix["004"]["masked_chunks"] > 0
    assert by_prefix["002"]["masked_chunks"] == 0 and by_prefix["003"]["masked_chunks"] == 0
    assert by_prefix["004"]["level"] == "镇"


@pytest.mark.parametrize(
    ("embedder", "message"),
    [("openai:some-model", "GOVQA_EMBED_BASE_URL"), ("st:/no/such/model", "/no/such/model"), ("w2v", "unknown embedder")],
)
def test_misconfigured_embedder_stops_with_a_clear_error(tmp_path: Path, folder: Path, embedder: str,
                                                         message: str) -> None:
    result = govqa("ingest", str(folder), "--json", "--index", str(tmp_path / "index"), cwd=tmp_path,
                   GOVQA_EMBEDDER=embedder)
    assert result.returncode == 3
    assert message in result.stderr and "Traceback" not in result.stderr
