"""The `podreplay stats` command."""
