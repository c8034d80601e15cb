"""Prompt texts live as files under prompts/; this loads them by name."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import PromptTemplate


@lru_cache(maxsize=32)
def load_prompt(prompts_dir: Path, name: str) -> PromptTemplate:
    path = Path(prompts_dir) / f"{name}.txt"
    if not path.exists():
        raise FileNotFoundError(f"prompt file missing: {path}")
    return PromptTemplate.from_template(path.read_text(encoding="utf-8"))
