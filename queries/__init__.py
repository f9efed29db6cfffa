"""Named SQL queries shipped with podreplay, installed as podreplay.bundled_queries."""
