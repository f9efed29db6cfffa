"""The `podreplay capture` command."""
