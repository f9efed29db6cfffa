"""Named SQL queries shipped with podreplay (`podreplay query NAME`): one .sql file each."""
