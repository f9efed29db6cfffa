"""Rendering: what the terminal shows (the terminal package: tables, CSV and JSON, the story,
replay and stats views) and the self-contained HTML pages (the html package)."""
