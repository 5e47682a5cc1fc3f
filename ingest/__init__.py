"""Ingest: worksheet photos and electronic reports come in safely (issue 6)."""
