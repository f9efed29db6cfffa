"""The `podreplay ingest` command."""
