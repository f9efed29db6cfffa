"""Turning the pod-selecting options (`POD`, `--pod`, `--uid`, `-n`, `-l`, a window) into pods."""

from __future__ import annotations

from podreplay.lifecycle import resolve_incarnations
from podreplay.selection import Selection, require_pods
from podreplay.store import Store


def named_pods(
    store: Store, pod: str | None, namespace: str | None, uid: str | None = None
) -> tuple[str, ...] | None:
    """The uids `pod` names (every incarnation of a recreated pod, oldest first); None if no pod
    was named."""
    if pod is None:
        return None
    return tuple(row["pod_uid"] for row in resolve_incarnations(store, pod, namespace, uid))


def selected_uids(store: Store, selection: Selection) -> list[str]:
    """The uids of the selected pods (EmptySelectionError, exit 3, when there are none)."""
    require_pods(store, selection)
    return [r[0] for r in store.rows("SELECT pod_uid FROM temp.selected_pods ORDER BY pod_uid")]
