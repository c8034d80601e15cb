"""Figures in answer text, through the one quantity model (ingest.quantity): listing them and
checking them against evidence as quantities, never as substrings."""

from __future__ import annotations

import re
import unicodedata

from ingest.quantity import find_quantities, quantity_supported


def normalise(text: str) -> str:
    """Full-width to ASCII, no thousands separators, no spaces — for locating quotes in text."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return re.sub(r"\s+", "", text)


def numbers_with_units(text: str) -> list[str]:
    """Each stated (unmasked) figure in its canonical short form ('557.7亿元', '4.7%', '-3.1%')."""
    return [q.display() for q in find_quantities(text) if not q.masked and q.kind != "other"]


def unsupported_figures(claim: str, evidence: str) -> list[str]:
    """The figures of a claim that no quantity of the evidence equals."""
    return [q.text for q in find_quantities(claim)
            if not q.masked and q.kind != "other" and not quantity_supported(q, evidence)]


def figure_supported(figure: str, evidence: str) -> bool:
    """Is a figure ('12.6亿元', '下降3.1%') stated in the evidence, as the same quantity?"""
    quantities = [q for q in find_quantities(figure) if q.kind != "other"]
    return bool(quantities) and all(quantity_supported(q, evidence) for q in quantities)


def has_figure(text: str) -> bool:
    return bool(numbers_with_units(text))
