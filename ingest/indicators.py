"""Indicator (target vs actual) extraction from cleaned chunks. Filled in by the indicators issue."""

from __future__ import annotations

from ingest.models import Chunk, Indicator


def extract_indicators(chunks: list[Chunk]) -> list[Indicator]:
    return []
