"""The `podreplay report` command."""
