"""Retrieval: hybrid dense + BM25 search with region, year and kind filters."""
