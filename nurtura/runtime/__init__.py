"""Runtime: ingestion of Segment messages, the worker loop, (later) delivery."""
