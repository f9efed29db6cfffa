"""The `podreplay timeline` command."""
