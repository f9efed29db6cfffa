"""Rendering: terminal tables (rich), plotly figures and self-contained HTML reports."""
