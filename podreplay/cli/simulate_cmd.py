"""The `podreplay simulate` command."""
