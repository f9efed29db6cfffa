"""The `podreplay export` command."""
