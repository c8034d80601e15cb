"""Lexical side of hybrid search: jieba tokenisation and a bm25s index cached on disk."""

from __future__ import annotations

import json
import logging
import re
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.terms import all_terms

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)

_KEEP = re.compile(r"[\w\u4e00-\u9fff%.]")
_STOP = frozenset(["的", "了", "和", "与", "及", "是", "在", "为", "对", "把", "被", "等", "个", "年", "中", "上", "也", "都", "而", "并", "或", "以", "从", "到", "由", "其", "之", "这", "那", "有", "吗", "呢", "啊", "多少", "什么", "哪些", "哪个", "怎么", "怎么样", "如何", "是否"])


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for term in all_terms():
        jieba.add_word(term, freq=200000)
    jieba.initialize()
    return jieba


def add_words(words: list[str]) -> None:
    """Teach the segmenter names found in the index (regions)."""
    jb = _jieba()
    for word in words:
        if word:
            jb.add_word(word, freq=200000)


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for token in _jieba().cut(text.lower()):
        token = token.strip()
        if not token or token in _STOP or not _KEEP.search(token):
            continue
        tokens.append(token)
        # character bigrams of long words help partial matches ("生产总值" vs "地区生产总值")
        if len(token) >= 4 and not token.isascii():
            tokens.extend(token[i : i + 2] for i in range(len(token) - 1))
    return tokens


class LexicalIndex:
    """bm25s over the chunks' token lists; rows align with `ids`."""

    def __init__(self, ids: list[str], model) -> None:
        self.ids = ids
        self.row_of = {cid: i for i, cid in enumerate(ids)}
        self._model = model

    @classmethod
    def build(cls, ids: list[str], token_lists: list[list[str]]) -> LexicalIndex:
        import bm25s

        if not ids:
            return cls([], None)
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index([toks or ["∅"] for toks in token_lists], show_progress=False)
        return cls(ids, model)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if self._model is None or not query_tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        vocab = self._model.vocab_dict
        known = [t for t in query_tokens if t in vocab]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def save(self, directory: Path, generation: int) -> None:
        """Write atomically: a temp dir renamed over the old one."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._model is not None:
            self._model.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps({"generation": generation, "ids": self.ids}))
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, generation: int) -> LexicalIndex | None:
        """The cached index if it matches the manifest's generation, else None."""
        import bm25s

        meta_file = directory / "ids.json"
        if not meta_file.exists():
            return None
        try:
            meta = json.loads(meta_file.read_text())
            if meta.get("generation") != generation:
                return None
            ids = meta["ids"]
            model = bm25s.BM25.load(str(directory), show_progress=False) if ids else None
            return cls(ids, model)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("lexical index cache unreadable (%s); rebuilding", exc)
            return None
