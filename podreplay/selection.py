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
from podreplay.sqlfiles import Sql
from podreplay.store import Store

SQL = Sql(__file__)
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


def _label_clauses(requirements: list[Requirement], params: dict[str, object]) -> list[str]:
    clauses = []
    for n, req in enumerate(requirements):
        params[f"k{n}"] = req.key
        and_value = ""
        if req.op not in ("exists", "absent"):
            params[f"v{n}"] = list(req.values)
            and_value = SQL("label_value", n=str(n))
        test = SQL("has_label", n=str(n), and_value=and_value)
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
        store.execute(SQL("labels"))
        clauses = _label_clauses(requirements, params)
    phase_end = SQL("phase_end") if store.has_table("phase_intervals") else "NULL::TIMESTAMPTZ"
    labels = "".join(f"\n  AND {c}" for c in clauses)
    store.execute(SQL("selected_pods", phase_end=phase_end, labels=labels), params)
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
