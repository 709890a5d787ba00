"""The HTTP API (FastAPI): Segment-compatible ingestion, processes, contacts, runs."""
