"""Answering, one answerer per route: figures from facts, status from records, lists from passages, or an LLM."""
