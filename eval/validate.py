"""Validate an eval set: every quote must be an exact substring of its raw source file.

    python eval/validate.py eval/sets/dev.jsonl [--docs DIR ...]

Files are looked up in the --docs folders, else in data/samples and ../shared/corpus (when it
exists). Exit 0 when every line is valid, 1 with the offending lines otherwise.
Standard library only, so it runs as a plain script.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.report import TYPE_ORDER

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DOCS: tuple[Path, ...] = (ROOT / "data" / "samples", ROOT.parent / "shared" / "corpus")
REQUIRED = ("id", "question", "type", "answer", "key_facts", "sources")
TYPES = set(TYPE_ORDER)


def find_doc(name: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        if not folder.is_dir():
            continue
        direct = folder / name
        if direct.is_file():
            return direct
        found = next((p for p in folder.rglob(name) if p.is_file()), None)
        if found:
            return found
    return None


def line_errors(row: dict, folders: list[Path], cache: dict[str, str | None]) -> list[str]:
    errors = [f"missing field '{f}'" for f in REQUIRED if f not in row]
    if row.get("type") not in TYPES:
        errors.append(f"unknown type {row.get('type')!r}")
    if row.get("type") not in ("unanswerable",) and not row.get("sources"):
        errors.append("answerable question without sources")
    for source in row.get("sources") or []:
        doc, quote = source.get("doc", ""), source.get("quote", "")
        if doc not in cache:
            path = find_doc(doc, folders)
            cache[doc] = path.read_text(encoding="utf-8-sig") if path else None
        text = cache[doc]
        if text is None:
            errors.append(f"source file not found: {doc}")
        elif not quote:
            errors.append(f"empty quote for {doc}")
        elif quote not in text.replace("\r\n", "\n"):
            errors.append(f"quote not in {doc}: {quote!r}")
    return errors


def validate(set_path: Path, folders: list[Path]) -> list[str]:
    """Human-readable problems, one per offending line (empty list = valid)."""
    problems: list[str] = []
    cache: dict[str, str | None] = {}
    seen: set[str] = set()
    for n, line in enumerate(Path(set_path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{set_path}:{n}: invalid JSON: {exc}")
            continue
        errors = line_errors(row, folders, cache)
        if row.get("id") in seen:
            errors.append(f"duplicate id {row.get('id')!r}")
        seen.add(row.get("id"))
        problems += [f"{set_path}:{n} ({row.get('id')}): {e}" for e in errors]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--docs", action="append", type=Path, help="folder with the source files (repeatable)")
    args = parser.parse_args(argv)
    folders = list(args.docs or DEFAULT_DOCS)
    status = 0
    for set_path in args.sets:
        problems = validate(set_path, folders)
        for problem in problems:
            print(problem, file=sys.stderr)
        count = sum(1 for line in set_path.read_text(encoding="utf-8").splitlines() if line.strip())
        print(f"{set_path}: {count} lines, {len(problems)} problems")
        status = status or (1 if problems else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
