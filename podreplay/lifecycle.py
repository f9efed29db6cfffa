"""One pod's lifecycle, read from the derived tables: finding a pod by name and telling its story.

The intervals themselves are rebuilt set-based by `podreplay/sql/derive_10..39_*.sql` (see
docs/lifecycle.md); this module only selects from them (its queries are the named blocks of
`lifecycle.sql`; a pod's story is `podreplay/sql/lifecycle_story.sql`). It never prints.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from podreplay.errors import AmbiguousError, NotFoundError
from podreplay.sqlfiles import Sql
from podreplay.store import Store, sql_text

if TYPE_CHECKING:
    import polars as pl

STORY_COLUMNS = ("ts", "end_ts", "kind", "subject", "what", "detail", "count", "basis")
MAX_CANDIDATES = 20  # an ambiguous name lists at most this many pods

SQL = Sql(__file__)


def _require_lifecycle(store: Store) -> None:
    if not store.has_table("pods"):
        raise NotFoundError(f"{store.path}: no lifecycle tables (run `podreplay ingest` first)")


def find_pods(store: Store, name: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """Pods whose name (or uid) is `name`, else whose name (or uid) starts with it (rows of
    pod_uid, namespace, pod, created_at, final_phase, node, workload).

    `namespace/name` (as kubectl and the candidate lists print it) works too.
    """
    _require_lifecycle(store)
    params: dict[str, object] = {"name": name, "namespace": namespace}
    found = store.records(SQL("named"), params)
    if not found:
        found = store.records(SQL("prefixed"), params)
    if not found and namespace is None and name.count("/") == 1:
        ns, pod = name.split("/")
        return find_pods(store, pod, ns)
    return found


def candidate_label(row: dict[str, Any]) -> str:
    """How a candidate pod is listed: `ns/name uid created_at`."""
    created = row.get("created_at")
    when = created.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(created, datetime) else "?"
    return f"{row['namespace']}/{row['pod']} {row['pod_uid']} {when}"


def _ambiguous(found: list[dict[str, Any]], message: str) -> AmbiguousError:
    """The error listing the candidate pods (at most MAX_CANDIDATES of them)."""
    candidates = [candidate_label(row) for row in found[:MAX_CANDIDATES]]
    if len(found) > MAX_CANDIDATES:
        candidates.append(f"… and {len(found) - MAX_CANDIDATES} more")
    return AmbiguousError(message, candidates)


def _oldest_first(row: dict[str, Any]) -> tuple[bool, object, str]:
    """Sort key: by created_at (unknown last), then pod_uid."""
    created = row["created_at"]
    return created is None, 0 if created is None else created, row["pod_uid"]


def resolve_incarnations(
    store: Store, name_or_uid: str, namespace: str | None = None, uid: str | None = None
) -> list[dict[str, Any]]:
    """The pods `name_or_uid` names (uid, name, `ns/name` or a unique prefix): one pod, or
    every incarnation of a pod recreated under its name (same namespace and name, several
    uids), oldest first. `uid` (or a prefix of it) keeps one incarnation.

    Raises NotFoundError when none matches and AmbiguousError (listing the candidates) when
    the matches are different pods (two namespaces, or a prefix of several names).
    """
    found = find_pods(store, name_or_uid, namespace)
    where = f" in namespace {namespace}" if namespace else ""
    if not found:
        raise NotFoundError(f"no pod named {name_or_uid!r}{where} in {store.path}")
    if len({(row["namespace"], row["pod"]) for row in found}) > 1:
        raise _ambiguous(
            found,
            f"{name_or_uid!r}{where} matches {len(found)} pods; name one by uid, as"
            " namespace/name, or add --namespace",
        )
    found = sorted(found, key=_oldest_first)
    if uid is not None:
        picked = [row for row in found if row["pod_uid"].startswith(uid)]
        if len(picked) != 1:
            labels = [candidate_label(row) for row in found]
            if not picked:
                raise AmbiguousError(
                    f"--uid {uid!r} is none of the pods {name_or_uid!r} names", labels
                )
            raise AmbiguousError(f"--uid {uid!r} matches {len(picked)} incarnations", labels)
        found = picked
    return found


def pod_summary(store: Store, pod_uid: str) -> dict[str, Any]:
    """The pod's `pods` row (plus its restart total and its worst problem in words, `why`,
    from pod_why) as a dict; NotFoundError if unknown."""
    _require_lifecycle(store)
    why = SQL("summary_why") if store.has_table("pod_why") else "NULL::VARCHAR"
    rows = store.records(SQL("summary", why=why), [pod_uid])
    if not rows:
        raise NotFoundError(f"no pod with uid {pod_uid!r} in {store.path}")
    return rows[0]


def pod_story(store: Store, pod_uid: str) -> pl.DataFrame:
    """The pod's story as time-ordered rows.

    Columns: ts, end_ts, kind (phase|condition|container|event|restart|probe|blocked), subject
    (pod, a condition or a container), what, detail, count (occurrences of grouped events and probe
    failures), basis (observed|event|inferred).
    """
    _require_lifecycle(store)
    return store.frame(sql_text("lifecycle_story.sql"), {"uid": pod_uid})


def pod_story_rows(store: Store, pod_uid: str) -> list[dict[str, Any]]:
    """`pod_story` as a list of rows (dicts of STORY_COLUMNS), without polars: what the
    timeline's table and JSON print."""
    _require_lifecycle(store)
    return store.records(sql_text("lifecycle_story.sql"), {"uid": pod_uid})


def ensure_pod_why(store: Store) -> None:
    """A database built before pod_why existed gets a temp stand-in (no problems; `failure`
    the pod's own reason) so commands keep working until the next ingest rebuilds it."""
    if store.has_table("pod_why") or not store.has_table("pods"):
        return
    store.execute(SQL("pod_why_stand_in"))
