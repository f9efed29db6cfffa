"""The `podreplay query` command."""
