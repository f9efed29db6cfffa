"""Which pods a command looks at: a namespace, a label selector, named pods, and a time window
the pod's life overlaps. One definition, used by `stats`, `report` and `replay` alike.

A pod is alive from its creation (or first evidence) to the latest of its last observation,
its deletion and the end of its last Pending/Running/Unknown phase interval (a phase still open
at the capture's end runs until then; a Succeeded or Failed pod is over when last seen). It is
in a window [since, until] when that life overlaps it.

Labels come from the pod's latest snapshot (`metadata.labels` of the raw object). Selectors
follow kubectl: `app=cart`, `app==cart`, `tier!=db` (also matches pods without `tier`),
`key`, `!key`, `env in (prod,stage)`, `env notin (dev)`, comma-separated, all must hold.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from podreplay.errors import EmptySelectionError, UsageError
from podreplay.store import Store

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"[-A-Za-z0-9_.]*"
_REQUIREMENT = re.compile(
    rf"""\s*(?:
        !\s*(?P<absent>{_KEY})
      | (?P<key>{_KEY})\s*(?:
            (?P<op>==|=|!=)\s*(?P<value>{_VALUE})
          | \s(?P<setop>in|notin)\s*\((?P<values>[^()]*)\)
        )?
    )\s*""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Requirement:
    """One term of a label selector: op is =, !=, in, notin, exists or absent."""

    key: str
    op: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    """The pods a command looks at; None everywhere selects every pod."""

    namespace: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    selector: str | None = None
    uids: tuple[str, ...] | None = None  # pods already resolved by name

    def describe(self) -> str:
        """The selection in words, for the 'matches nothing' message."""
        bits = []
        if self.uids is not None:
            bits.append(f"{len(self.uids)} named pod(s)")
        if self.namespace is not None:
            bits.append(f"namespace {self.namespace!r}")
        if self.selector is not None:
            bits.append(f"selector {self.selector!r}")
        if self.since is not None or self.until is not None:
            lo = _iso(self.since) if self.since else "…"
            hi = _iso(self.until) if self.until else "…"
            bits.append(f"alive between {lo} and {hi}")
        return ", ".join(bits) or "all pods"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def parse_selector(text: str) -> list[Requirement]:
    """A kubectl label selector as its requirements; UsageError names the bad term."""
    terms = re.split(r",(?![^()]*\))", text)
    out: list[Requirement] = []
    for term in terms:
        match = _REQUIREMENT.fullmatch(term)
        if match is None or not term.strip():
            raise UsageError(
                f"--selector: cannot read {term.strip()!r} in {text!r}"
                " (examples: app=cart, tier!=db, env in (prod,stage), !canary)"
            )
        if match["absent"]:
            out.append(Requirement(match["absent"], "absent"))
        elif match["op"]:
            op = "!=" if match["op"] == "!=" else "="
            out.append(Requirement(match["key"], op, (match["value"],)))
        elif match["setop"]:
            values = tuple(v.strip() for v in match["values"].split(",") if v.strip())
            out.append(Requirement(match["key"], match["setop"], values))
        else:
            out.append(Requirement(match["key"], "exists"))
    return out


_LABELS = """
CREATE OR REPLACE TEMP TABLE pod_labels AS
WITH latest AS (
    SELECT pod_uid, arg_max(raw, observed_at) AS raw
    FROM pod_snapshots
    WHERE raw IS NOT NULL
    GROUP BY pod_uid
)
SELECT pod_uid, k AS key, json_extract_string(raw -> 'metadata' -> 'labels', k) AS value
FROM latest, unnest(json_keys(raw -> 'metadata' -> 'labels')) AS u(k)
"""


def _label_clauses(requirements: list[Requirement], params: dict[str, object]) -> list[str]:
    clauses = []
    for n, req in enumerate(requirements):
        params[f"k{n}"] = req.key
        has = f"SELECT 1 FROM temp.pod_labels l WHERE l.pod_uid = p.pod_uid AND l.key = $k{n}"
        if req.op in ("exists", "absent"):
            test = f"EXISTS ({has})"
        else:
            params[f"v{n}"] = list(req.values)
            test = f"EXISTS ({has} AND list_contains($v{n}::VARCHAR[], l.value))"
        negate = req.op in ("absent", "!=", "notin")
        clauses.append(f"NOT {test}" if negate else test)
    return clauses


def select_pods(store: Store, selection: Selection) -> int:
    """Materialise the selected pods as the temp table `selected_pods(pod_uid)`; their count."""
    params: dict[str, object] = {
        "namespace": selection.namespace,
        "since": selection.since,
        "until": selection.until,
        "uids": list(selection.uids) if selection.uids is not None else None,
    }
    clauses = []
    if selection.selector is not None:
        requirements = parse_selector(selection.selector)
        store.execute(_LABELS)
        clauses = _label_clauses(requirements, params)
    phase_end = (
        "(SELECT max(end_ts) FROM phase_intervals i WHERE i.pod_uid = p.pod_uid"
        " AND i.phase NOT IN ('Succeeded', 'Failed'))"
        if store.has_table("phase_intervals")
        else "NULL::TIMESTAMPTZ"
    )
    labels = "".join(f"\n      AND {c}" for c in clauses)
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE selected_pods AS
        SELECT p.pod_uid
        FROM pods p
        WHERE ($namespace::VARCHAR IS NULL OR p.namespace = $namespace::VARCHAR)
          AND ($uids::VARCHAR[] IS NULL OR list_contains($uids::VARCHAR[], p.pod_uid))
          AND ($since::TIMESTAMPTZ IS NULL
               OR greatest(p.last_seen, p.deleted_at, p.first_seen, {phase_end})
                  >= $since::TIMESTAMPTZ)
          AND ($until::TIMESTAMPTZ IS NULL
               OR least(p.created_at, p.first_seen) <= $until::TIMESTAMPTZ){labels}
        """,
        params,
    )
    return int(store.scalar("SELECT count(*) FROM temp.selected_pods"))


def require_pods(store: Store, selection: Selection) -> int:
    """`select_pods`, raising EmptySelectionError (with a hint for a namespace typo) on none."""
    n = select_pods(store, selection)
    if n:
        return n
    hint = ""
    ns = selection.namespace
    if ns is not None:
        known = [r[0] for r in store.rows("SELECT DISTINCT namespace FROM pods") if r[0]]
        if ns not in known:
            close = difflib.get_close_matches(ns, known, n=3)
            hint = f" (no pods in namespace {ns!r}" + (
                f"; did you mean {', '.join(close)}?)" if close else ")"
            )
    raise EmptySelectionError(f"no pods match: {selection.describe()}{hint}")
