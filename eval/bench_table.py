"""Table benchmark: building a regions × indicators table warm, on a real index.

    python eval/bench_table.py --index DIR [--level 省] [--indicators 地区生产总值,一般公共预算收入,城镇新增就业]
                               [--years 2025] [--runs 9]

Opens the index (no embedder), builds the table once to warm up (the manifest's facts load once per
generation; jieba and the division dictionary load on first use), then times `runs` builds the way a
warm service does them: the store's cached facts, region index and titles, and `build_table`.
Prints the median, min and max, and the share of cells with a figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.settings import load_settings  # noqa: E402
from bot.table.build import build_table  # noqa: E402
from bot.table.models import Table, TableRequest  # noqa: E402
from ingest.store import open_store  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--level", default="省")
    parser.add_argument("--indicators", default="地区生产总值,一般公共预算收入,城镇新增就业")
    parser.add_argument("--years", default="2025")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)

    store = open_store(load_settings(index_dir=args.index), with_embedder=False)
    request = TableRequest(level=args.level, indicators=args.indicators.split(","),
                           years=[int(y) for y in args.years.split(",")])

    def build() -> Table:
        return build_table(request, store.facts(), store.region_index(), store.doc_titles())

    started = time.perf_counter()
    table = build()
    cold = time.perf_counter() - started
    times: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        table = build()
        times.append(time.perf_counter() - started)
    found = sum(c.found for c in table.cells)
    print(f"index {args.index}: {len(store.facts())} facts, {len(store.region_index())} regions")
    print(f"table {len(table.regions)} regions × {len(table.indicators)} indicators × {len(table.years)} year(s) = "
          f"{len(table.cells)} cells, {found} with a figure")
    print(f"first build (cold: facts loaded, dictionaries initialised) {cold * 1000:.0f} ms")
    print(f"warm over {args.runs} runs: median {statistics.median(times) * 1000:.0f} ms, "
          f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
