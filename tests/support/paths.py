"""Where the test data lives: the checkout, tests/data, its real captures and sample_logs/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
REAL = DATA / "real"
SAMPLE_LOGS = ROOT / "sample_logs"

# the k3s troubleshoot bundle in REAL: its default and kube-system namespaces, for `real()`
K3S_BUNDLE = "k3s-v1.33_2025_troubleshoot-bundle"
K3S_EVENTS = f"{K3S_BUNDLE}__default__events"
K3S_PODS = f"{K3S_BUNDLE}__default__pods"
K3S_SYS_EVENTS = f"{K3S_BUNDLE}__kube-system__events"
K3S_FILES = sorted(REAL.glob(f"{K3S_BUNDLE}__*.json"))  # events and pods of both namespaces


def real(name: str) -> Path:
    """The one real capture copied from public clusters (see tests/data/real/SOURCES.md) whose
    name contains `name`."""
    matches = sorted(REAL.glob(f"*{name}*"))
    assert len(matches) == 1, f"{name!r} matches {matches}"
    return matches[0]


def real_items(name: str) -> list[dict[str, Any]]:
    """The objects of the real capture `real(name)`, read independently of podreplay (json or
    yaml, a List or a bare array)."""
    text = real(name).read_text()
    doc = json.loads(text) if real(name).suffix == ".json" else yaml.safe_load(text)
    return list(doc["items"] if isinstance(doc, dict) else doc)
