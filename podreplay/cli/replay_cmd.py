"""The `podreplay replay` command."""
