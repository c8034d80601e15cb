"""Build (or bring up to date) one index holding the bundled samples and the real corpus, as the
corpus eval set expects.

    python eval/corpus_index.py --index DIR [--corpus ../shared/corpus] [--docs-dir DIR]

Ingest is idempotent: documents already in the index are skipped. `sources.tsv` records the region
of pages whose text never names it ("酉阳县 (named only in URL…)"); those are ingested with that
region, as an official uploading the page would give it. --docs-dir also writes a flat folder of
links to every document (what `govqa eval --docs` and the naive baseline read).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from bot.settings import Settings, load_settings
from ingest.models import FileError
from ingest.pipeline import Overrides, ingest_paths
from ingest.store import IndexStore, open_store

ROOT = Path(__file__).resolve().parent.parent
_NAMED_ELSEWHERE = re.compile(r"^(\S+?)\s*\(named only in URL")


def region_overrides(sources: Path) -> dict[str, str]:
    """File name -> region, for pages whose region is known only from where they were published."""
    out: dict[str, str] = {}
    if not sources.is_file():
        return out
    with sources.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            match = _NAMED_ELSEWHERE.match(row.get("region", ""))
            if match:
                out[Path(row["file"]).name] = match.group(1)
    return out


def corpus_files(corpus: Path) -> list[Path]:
    """The bundled samples and every report of the corpus."""
    samples = sorted((ROOT / "data" / "samples").glob("*.txt"))
    found = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in (".txt", ".docx", ".pdf", ".html"))
    return samples + found


def link_folder(files: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        link = folder / path.name
        if not link.exists():
            link.symlink_to(path.resolve())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--docs-dir", help="also write a flat folder of links to every document")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    files = corpus_files(corpus)
    failed = build_index(files, corpus, load_settings(index_dir=args.index))
    if args.docs_dir:
        link_folder(files, Path(args.docs_dir))
    print(f"{len(files)} documents, {len(failed)} failed", file=sys.stderr)
    for failure in failed:
        print(f"  {failure.path}: {failure.error}", file=sys.stderr)
    return 2 if failed else 0


def build_index(files: list[Path], corpus: Path, settings: Settings, store: IndexStore | None = None,
                defer_vectors: bool = False) -> list[FileError]:
    """Ingest `files` into the index of `settings` (or into `store`, left open); the per-file failures.
    With defer_vectors the documents are left lexical-only, their vectors pending (ingest.dense)."""
    overrides = region_overrides(corpus / "sources.tsv")
    own = store is None
    store = open_store(settings) if store is None else store
    plain = [p for p in files if p.name not in overrides]
    report = ingest_paths(plain, store, None, settings.chunk_min, settings.chunk_max, settings.chunk_overlap,
                          settings.embed_batch, defer_vectors=defer_vectors, **settings.load_limits())
    failed = list(report.failed)
    for path in (p for p in files if p.name in overrides):
        extra = ingest_paths([path], store, Overrides(region=overrides[path.name]), settings.chunk_min,
                             settings.chunk_max, settings.chunk_overlap, settings.embed_batch,
                             defer_vectors=defer_vectors, **settings.load_limits())
        failed.extend(extra.failed)
    if own:
        store.close()
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
