"""Finding a pod: the one resolver (name, namespace/name, uid or uid prefix, every incarnation;
uid-less events joined to the pod of that name alive then) and the workload a pod's name and
owner chain give, on small hand-built cases (times are seconds after T0, see
tests/support/lifecycle_rows.py).
"""

from __future__ import annotations

import pytest

from podreplay.errors import AmbiguousError, NotFoundError
from podreplay.lifecycle import find_pods, resolve_incarnations
from podreplay.store import Store
from tests.support.lifecycle_rows import event, pod, rebuilt, source


def uids(
    store: Store, name: str, namespace: str | None = None, uid: str | None = None
) -> list[str]:
    """The uids the one pod resolver finds for `name`."""
    return [row["pod_uid"] for row in resolve_incarnations(store, name, namespace, uid)]


@pytest.mark.parametrize(
    ("owner", "name", "workload", "kind"),
    [
        # ReplicaSet name = Deployment name + pod-template-hash
        (
            ("ReplicaSet", "checkout-7d4b9c8f6d"),
            "checkout-7d4b9c8f6d-x2k9q",
            "checkout",
            "Deployment",
        ),
        # a Job a CronJob created is named <cronjob>-<scheduled minutes since the epoch>
        (("Job", "reindex-28490710"), "reindex-28490710-pjd97", "reindex", "CronJob"),
        (("Job", "migrate-db"), "migrate-db-pjd97", "migrate-db", "Job"),
        (("StatefulSet", "kafka"), "kafka-0", "kafka", "StatefulSet"),
        (("DaemonSet", "fluent-bit"), "fluent-bit-x7k2p", "fluent-bit", "DaemonSet"),
        # no owner: the generated-name suffixes are dropped, a plain name stays
        (None, "frontend-6b8d5f7c9d-b2k8z", "frontend", None),
        (None, "nginx-proxy", "nginx-proxy", None),
    ],
)
def test_workload_names_follow_the_owner_chain(
    store: Store, owner: tuple[str, str] | None, name: str, workload: str, kind: str | None
) -> None:
    source(store)
    pod(store, 0, name=name, owner=owner)
    rebuilt(store)
    assert store.rows("SELECT workload, workload_kind FROM pods") == [(workload, kind)]


def test_a_name_in_two_namespaces_is_ambiguous_until_the_namespace_is_given(
    store: Store,
) -> None:
    source(store)
    pod(store, 0, "u-shop", name="api-0", namespace="shop")
    pod(store, 0, "u-dev", name="api-0", namespace="dev")
    rebuilt(store)
    with pytest.raises(AmbiguousError):
        uids(store, "api-0")
    assert uids(store, "api-0", "dev") == ["u-dev"]
    assert uids(store, "dev/api-0") == ["u-dev"]
    assert uids(store, "u-shop") == ["u-shop"]
    assert len(find_pods(store, "api")) == 2  # a prefix when no name matches exactly
    with pytest.raises(NotFoundError):
        uids(store, "api-0", "prod")


def test_a_uid_prefix_finds_the_pod(store: Store) -> None:
    source(store)
    pod(store, 0, "c6e243c6-21c3-4d14-96f6-49f6a5dc3efc", name="api-0")
    pod(store, 0, "74804a80-0e4a-4e7a-8524-e28675305d24", name="api-0")
    rebuilt(store)
    assert uids(store, "c6e243c6") == ["c6e243c6-21c3-4d14-96f6-49f6a5dc3efc"]


def test_a_name_matching_many_pods_lists_the_first_twenty(store: Store) -> None:
    source(store)
    for i in range(25):
        pod(store, 0, f"u{i}", name=f"api-{i}")
    rebuilt(store)
    # "api" names no pod exactly, and is a prefix of all 25
    with pytest.raises(AmbiguousError) as err:
        uids(store, "api")
    assert len(err.value.candidates) == 21
    assert err.value.candidates[-1] == "… and 5 more"


def test_events_without_uid_join_the_pod_of_that_name_alive_then(store: Store) -> None:
    source(store)
    # a StatefulSet pod deleted and recreated under the same name: uid A from 0, uid B from 100
    owner = ("StatefulSet", "db")
    pod(store, 10, "A", name="db-0", created=0, phase="Running", owner=owner)
    pod(store, 110, "B", name="db-0", created=100, phase="Running", owner=owner)
    # an old capture's events carry no uid: each belongs to the pod created last before it
    event(store, 50, "Started", "Started container db", None, name="db-0", container="db")
    event(store, 150, "Killing", "Stopping container db", None, name="db-0", container="db")
    rebuilt(store)
    assert store.rows("SELECT pod_uid, reason FROM pod_events ORDER BY first_ts") == [
        ("A", "Started"),
        ("B", "Killing"),
    ]
    # one name, two uids: both incarnations, oldest first (--uid picks one)
    assert uids(store, "db-0") == ["A", "B"]
    assert uids(store, "db-0", uid="B") == ["B"]
    with pytest.raises(AmbiguousError) as err:
        uids(store, "db-0", uid="C")
    assert len(err.value.candidates) == 2
    assert err.value.candidates[0].startswith("default/db-0 A ")
