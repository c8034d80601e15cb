"""govqa ingestion side: load, clean, meta, chunk, indicators, embeddings, index store."""
