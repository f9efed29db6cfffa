"""One pod's lifecycle, read from the derived tables: finding a pod by name and telling its story.

The intervals themselves are rebuilt set-based by `podreplay/sql/derive_10..39_*.sql` (see
docs/lifecycle.md); this module only selects from them (its queries are the named blocks of
`lifecycle.sql`; a pod's story is `podreplay/sql/lifecycle_story.sql`). It never prints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from podreplay.errors import AmbiguousError, NotFoundError
from podreplay.sqlfiles import Sql
from podreplay.store import Store, sql_text

STORY_COLUMNS = ("ts", "end_ts", "kind", "subject", "what", "detail", "count", "basis")
MAX_CANDIDATES = 20  # an ambiguous name lists at most this many pods

SQL = Sql(__file__)


def _require_lifecycle(store: Store) -> None:
    if not store.has_table("pods"):
        raise NotFoundError(f"{store.path}: no lifecycle tables (run `podreplay ingest` first)")


def find_pods(store: Store, name: str, namespace: str | None = None) -> pl.DataFrame:
    """Pods whose name (or uid) is `name`, else whose name (or uid) starts with it.

    `namespace/name` (as kubectl and the candidate lists print it) works too.
    """
    _require_lifecycle(store)
    params: dict[str, object] = {"name": name, "namespace": namespace}
    found = store.frame(SQL("named"), params)
    if found.height == 0:
        found = store.frame(SQL("prefixed"), params)
    if found.height == 0 and namespace is None and name.count("/") == 1:
        ns, pod = name.split("/")
        return find_pods(store, pod, ns)
    return found


def candidate_label(row: dict[str, Any]) -> str:
    """How a candidate pod is listed: `ns/name uid created_at`."""
    created = row.get("created_at")
    when = created.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(created, datetime) else "?"
    return f"{row['namespace']}/{row['pod']} {row['pod_uid']} {when}"


def _ambiguous(found: pl.DataFrame, message: str) -> AmbiguousError:
    """The error listing the candidate pods (at most MAX_CANDIDATES of them)."""
    candidates = [candidate_label(row) for row in found.head(MAX_CANDIDATES).iter_rows(named=True)]
    if found.height > MAX_CANDIDATES:
        candidates.append(f"… and {found.height - MAX_CANDIDATES} more")
    return AmbiguousError(message, candidates)


def resolve_incarnations(
    store: Store, name_or_uid: str, namespace: str | None = None, uid: str | None = None
) -> pl.DataFrame:
    """The pods `name_or_uid` names (uid, name, `ns/name` or a unique prefix): one pod, or
    every incarnation of a pod recreated under its name (same namespace and name, several
    uids), oldest first. `uid` (or a prefix of it) keeps one incarnation.

    Raises NotFoundError when none matches and AmbiguousError (listing the candidates) when
    the matches are different pods (two namespaces, or a prefix of several names).
    """
    found = find_pods(store, name_or_uid, namespace)
    where = f" in namespace {namespace}" if namespace else ""
    if found.height == 0:
        raise NotFoundError(f"no pod named {name_or_uid!r}{where} in {store.path}")
    if found.select("namespace", "pod").n_unique() > 1:
        raise _ambiguous(
            found,
            f"{name_or_uid!r}{where} matches {found.height} pods; name one by uid, as"
            " namespace/name, or add --namespace",
        )
    found = found.sort("created_at", "pod_uid", nulls_last=True)
    if uid is not None:
        picked = found.filter(pl.col("pod_uid").str.starts_with(uid))
        if picked.height != 1:
            labels = [candidate_label(row) for row in found.iter_rows(named=True)]
            if picked.height == 0:
                raise AmbiguousError(
                    f"--uid {uid!r} is none of the pods {name_or_uid!r} names", labels
                )
            raise AmbiguousError(f"--uid {uid!r} matches {picked.height} incarnations", labels)
        found = picked
    return found


def pod_summary(store: Store, pod_uid: str) -> dict[str, Any]:
    """The pod's `pods` row (plus its restart total and its worst problem in words, `why`,
    from pod_why) as a dict; NotFoundError if unknown."""
    _require_lifecycle(store)
    why = SQL("summary_why") if store.has_table("pod_why") else "NULL::VARCHAR"
    row = store.frame(SQL("summary", why=why), [pod_uid])
    if row.height == 0:
        raise NotFoundError(f"no pod with uid {pod_uid!r} in {store.path}")
    return row.row(0, named=True)


def pod_story(store: Store, pod_uid: str) -> pl.DataFrame:
    """The pod's story as time-ordered rows.

    Columns: ts, end_ts, kind (phase|condition|container|event|restart|probe|blocked), subject
    (pod, a condition or a container), what, detail, count (occurrences of grouped events and probe
    failures), basis (observed|event|inferred).
    """
    _require_lifecycle(store)
    return store.frame(sql_text("lifecycle_story.sql"), {"uid": pod_uid})


def ensure_pod_why(store: Store) -> None:
    """A database built before pod_why existed gets a temp stand-in (no problems; `failure`
    the pod's own reason) so commands keep working until the next ingest rebuilds it."""
    if store.has_table("pod_why") or not store.has_table("pods"):
        return
    store.execute(SQL("pod_why_stand_in"))
