"""Rendering: terminal tables, CSV and JSON (terminal.py) and the self-contained HTML pages
(the html package)."""
