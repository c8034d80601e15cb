"""`govqa` command line: ingest, ask, docs, remove, doctor, indicators, table, eval, chat, bench."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import sqlite3
import sys
from pathlib import Path

from bot.settings import Settings, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(index_dir=getattr(args, "index", None))


EMPTY_INDEX = "索引为空：先运行 govqa ingest <文件或文件夹> 导入报告"


class EmptyIndex(Exception):
    """The index holds no documents (or does not exist): nothing to answer from."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(f"no documents in the index at {index_dir}")
        self.zh = f"{EMPTY_INDEX}（索引目录：{index_dir}）"


def _no_index_yet(settings: Settings) -> None:
    """Raise EmptyIndex where there is no index at all, before opening one would create it. A directory
    with a manifest or a Chroma store is opened and checked (the store reports a damaged one)."""
    index = Path(settings.index_dir)
    if not index.exists() or (index.is_dir() and not any(index.iterdir())):
        raise EmptyIndex(index)


def _require_documents(store, settings: Settings) -> None:
    if not store.list_docs():
        raise EmptyIndex(Path(settings.index_dir))


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _progress_bar(total_label: str):
    """A tqdm bar on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=1000, desc=total_label, unit="‰", file=sys.stderr, leave=True)

    def update(fraction: float, message: str) -> None:
        bar.n = int(fraction * 1000)
        bar.set_postfix_str(message[:40], refresh=True)

    return update, bar.close


def cmd_ingest(args: argparse.Namespace) -> int:
    from bot.answer.llm import make_chat_model
    from ingest.indicators import LLMExtractor
    from ingest.pipeline import Overrides, ingest_paths
    from ingest.store import open_store

    settings = _settings(args)
    store = open_store(settings)
    progress, close = _progress_bar("ingest")
    report = ingest_paths(
        [Path(p) for p in args.paths], store,
        Overrides(region=args.region, year=args.year, kind=args.kind),
        settings.chunk_min, settings.chunk_max, settings.chunk_overlap, settings.embed_batch,
        progress=progress, **settings.load_limits(),
        # one extractor for the whole ingest: an endpoint that is down is tried once, not once per document
        chat_model=LLMExtractor(make_chat_model(settings)) if settings.llm_enabled else None,
    )
    close()
    for note in store.notes:
        print(f"注意：{note}", file=sys.stderr)
    if args.json:
        _print_json(report.model_dump())
    else:
        print(f"added {report.added}, replaced {report.replaced}, skipped {report.skipped}, "
              f"failed {len(report.failed)}, ignored {len(report.ignored)}, chunks {report.chunks}, "
              f"indicators {report.indicators}")
        for failure in report.failed:
            print(f"  error: {failure.path}: {failure.error}", file=sys.stderr)
        for passed in report.ignored:
            print(f"  ignored: {passed.path}: {passed.reason}", file=sys.stderr)
    return 2 if report.failed else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from ingest.store import open_store

    docs = open_store(_settings(args), with_embedder=False).list_docs()
    if args.json:
        _print_json([d.model_dump() for d in docs])
    else:
        for d in docs:
            print(f"{d.doc}\t{d.title}\t{d.region_name or d.region}\t{d.level}\t{d.year}\t{d.kind}\tchars={d.chars}"
                  f"\tchunks={d.chunks}\tmasked={d.masked_chunks}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from ingest.store import open_store

    removed = open_store(_settings(args), with_embedder=False).remove_document(args.doc)
    if not removed:
        print(f"not in the index: {args.doc}", file=sys.stderr)
        return 1
    print(f"removed {args.doc}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from ingest.doctor import run

    report = run(_settings(args), repair_it=args.repair)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.text())
    return 0 if report.healthy else 2


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.service import QAService

    settings = _settings(args)
    _no_index_yet(settings)
    service = QAService(settings)
    _require_documents(service.store, settings)
    if args.batch:
        for line_no, line in enumerate(Path(args.batch).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                answer = service.ask(item["question"], item.get("history") or [], args.region, args.year, args.kind)
                answer.id = item.get("id")
                _print_json(answer.to_json_dict())
            except (ValueError, KeyError) as exc:
                _print_json({"id": None, "line": line_no, "error": f"bad input line: {exc}"})
            sys.stdout.flush()
        return 0
    if not args.question:
        print("give a question, or --batch FILE", file=sys.stderr)
        return 2
    answer = service.ask(args.question, [], args.region, args.year, args.kind)
    if args.json:
        _print_json(answer.to_json_dict())
    else:
        print(answer.answer)
        if answer.citations:
            print("\n来源：")
            for c in answer.citations:
                print(f"[{c.n}] {c.title or c.doc}{' · ' + c.section if c.section else ''}：{c.quote}")
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    from bot.analyse.question import filter_region
    from ingest.regions import display_name
    from ingest.store import open_store

    settings = _settings(args)
    _no_index_yet(settings)
    store = open_store(settings, with_embedder=False)
    _require_documents(store, settings)
    rows = store.indicators(None, args.year, args.status)
    if args.region:
        # a name reaches its region; an anonymous name ("某县") reaches every document of that name
        wanted = {filter_region(args.region, store.region_index()), args.region}
        rows = [r for r in rows if r.region in wanted or display_name(r.region) in wanted]
    shown = [{**r.model_dump(), "region": display_name(r.region)} for r in rows]
    if args.json:
        _print_json(shown)
    elif args.csv:
        fields = list(shown[0].keys()) if shown else ["name"]
        writer = csv.DictWriter(sys.stdout, fieldnames=fields)
        writer.writeheader()
        for row in shown:
            writer.writerow(row)
    else:
        for r in rows:
            value = "***(隐去)" if r.masked else (f"{r.value:g}{r.unit}" if r.value is not None else "")
            print(f"{display_name(r.region)}\t{r.year}\t{r.name}\t{value}\t{r.target_text}\t{r.status}\t{r.doc}")
    return 0


_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")


def _names(text: str | None) -> list[str]:
    return [name for name in _LIST_SEPARATORS.split(text or "") if name]


def _years(text: str | None) -> list[int]:
    """"2024,2025" or "2023-2025"."""
    from bot.table.select import parse_years

    return parse_years(text)


def cmd_table(args: argparse.Namespace) -> int:
    from bot.table.build import LEVELS, build_table
    from bot.table.export import to_csv, to_json, to_text, write_xlsx
    from bot.table.models import TableError, TableRequest
    from ingest.store import open_store

    settings = _settings(args)
    _no_index_yet(settings)
    store = open_store(settings, with_embedder=False)
    _require_documents(store, settings)
    try:
        if args.level and args.level not in LEVELS:
            raise TableError(f"级别应为{'、'.join(LEVELS)}之一：{args.level}。")
        try:
            years = _years(args.years)
        except ValueError as exc:
            raise TableError(f"无法识别的年份：{exc}（例：2025 或 2023-2025）。") from None
        request = TableRequest(regions=_names(args.regions), level=args.level, within=args.within,
                               indicators=_names(args.indicators), years=years)
        table = build_table(request, store.facts(), store.region_index(), store.doc_titles())
    except TableError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if args.json:
        print(to_json(table.cells))
    elif args.csv:
        sys.stdout.write("\ufeff" + to_csv(table.cells))  # the BOM lets Excel read the redirected file as UTF-8
    elif args.xlsx:
        try:
            path = write_xlsx(table.cells, args.xlsx)
        except OSError as exc:
            print(f"错误：无法写入 {args.xlsx}：{exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"已写入 {path}（{len(table.cells)} 格，{sum(c.found for c in table.cells)} 格有数字）")
    else:
        print(to_text(table.cells, table.notes))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.run import run_eval_cli

    return run_eval_cli(args, _settings(args))


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.auth import load_auth
    from bot.ui import launch

    settings = _settings(args)
    if settings.auth_file:
        load_auth(settings.auth_file)  # refuse to start on a bad or old-format auth file, before loading anything
    launch(settings, host=args.host, port=args.port)
    return 0


def _read_password(from_stdin: bool) -> str:
    """One line of stdin (--password-stdin), else typed twice without echo."""
    import getpass

    from bot.auth import AuthFileError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = getpass.getpass("密码：")
        second = getpass.getpass("再次输入密码：")
    except (EOFError, KeyboardInterrupt):
        raise AuthFileError("已取消") from None
    if first != second:
        raise AuthFileError("两次输入的密码不一致")
    return first


def cmd_adduser(args: argparse.Namespace) -> int:
    from bot.auth import set_user

    path = args.auth_file or load_settings().auth_file
    if not path:
        print("错误：请用 --auth-file 或环境变量 GOVQA_AUTH_FILE 指定用户文件", file=sys.stderr)
        return 2
    replaced = set_user(Path(path), args.name, _read_password(args.password_stdin))
    print(f"{'已更新' if replaced else '已添加'}用户 {args.name.strip()}（{path}，权限 0600）")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govqa", description="Q&A with citations over government reports")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--index", help="index directory (default GOVQA_INDEX_DIR or ./.govqa)")
        return p

    p = with_index(sub.add_parser("ingest", help="add reports (files or folders)"))
    p.add_argument("paths", nargs="+")
    p.add_argument("--region")
    p.add_argument("--year", type=int)
    p.add_argument("--kind", choices=["政府工作报告", "工作总结", "目标完成情况通报", "other"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = with_index(sub.add_parser("ask", help="answer one question (or a batch)"))
    p.add_argument("question", nargs="?")
    p.add_argument("--batch", help="JSONL with id, question, history")
    p.add_argument("--region")
    p.add_argument("--year", type=int)
    p.add_argument("--kind")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = with_index(sub.add_parser("docs", help="list indexed documents"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = with_index(sub.add_parser("remove", help="delete one document everywhere"))
    p.add_argument("doc")
    p.set_defaults(func=cmd_remove)

    p = with_index(sub.add_parser("doctor", help="check the index's stores agree; --repair restores the derived ones"))
    p.add_argument("--repair", action="store_true", help="restore Chroma and the lexical index from the manifest")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    p = with_index(sub.add_parser("indicators", help="list extracted indicator records"))
    p.add_argument("--region")
    p.add_argument("--year", type=int)
    p.add_argument("--status", choices=["met", "exceeded", "not_met", "unknown"])
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.set_defaults(func=cmd_indicators)

    p = with_index(sub.add_parser("table", help="a table of figures across regions, a citation per cell"))
    p.add_argument("--regions", help="region names, comma-separated (浙江,江苏,广东)")
    p.add_argument("--level", help="every indexed region of this level: 省|市|县|区|镇|街道")
    p.add_argument("--within", help="every indexed region under this place (福建省)")
    p.add_argument("--indicators", help="indicator names, comma-separated (地区生产总值,城镇新增就业)")
    p.add_argument("--years", help="years, comma-separated or a range (2025 / 2023-2025); default the latest")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="CSV on stdout (UTF-8 with BOM)")
    fmt.add_argument("--xlsx", metavar="FILE", help="write an Excel workbook")
    fmt.add_argument("--json", action="store_true", help="a JSON list of cells")
    p.set_defaults(func=cmd_table)

    p = with_index(sub.add_parser("eval", help="run an eval set"))
    p.add_argument("set")
    p.add_argument("--out", default="eval-out")
    p.add_argument("--baseline", choices=["naive"])
    p.add_argument("--docs", help="folder of the reports the set refers to (default data/samples)")
    p.add_argument("--limit", type=int)
    p.set_defaults(func=cmd_eval)

    p = with_index(sub.add_parser("chat", help="start the Gradio chat UI"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("adduser", help="add a login user, or set a user's password (scrypt hash)")
    p.add_argument("name")
    p.add_argument("--auth-file", help="the user file (default GOVQA_AUTH_FILE)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    p.set_defaults(func=cmd_adduser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        # bm25s lowers its own logger's level while indexing; keep its debug chatter off the console
        handler.addFilter(lambda record: record.name != "bm25s" or record.levelno >= logging.WARNING)
    from bot.auth import AuthFileError
    from ingest.embed import EmbedderError
    from ingest.index_errors import IndexError_, from_sqlite

    log = logging.getLogger("govqa.cli")
    try:
        return int(args.func(args) or 0)
    except IndexError_ as exc:
        log.info("%s", exc)  # English for the log; the user reads one Chinese line with a hint
        print(f"错误：{exc.zh}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # the manifest failed after it was opened (a page read later)
        problem = from_sqlite(Path(_settings(args).index_dir) / "manifest.sqlite3", exc)
        log.info("%s", problem)
        print(f"错误：{problem.zh}", file=sys.stderr)
        return 2
    except EmbedderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except AuthFileError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except EmptyIndex as exc:
        log.info("%s", exc)
        print(f"错误：{exc.zh}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
