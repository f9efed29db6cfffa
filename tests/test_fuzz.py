"""Property-based fuzzing of the readers and the ingest normalisation (bounded for CI).

`read_items` never raises on arbitrary bytes, text or YAML; for NDJSON made of good and bad
lines every non-blank line comes back as exactly one object or one reject, in order; ingesting
arbitrary (Kubernetes-shaped or not) JSON objects never raises and loses nothing. For longer,
coverage-guided runs see fuzz/fuzz_readers.py.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podreplay.errors import InputError
from podreplay.ingest import IngestOptions, ingest_stream
from podreplay.readers import Item, ReadStats, open_binary, read_items
from podreplay.store import Store
from tests.support.paths import DATA, ROOT

FAST = settings(max_examples=300, deadline=None)
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_all(data: bytes, max_gz: int = 1 << 20) -> list[Item]:
    """Every item read from `data`; a file-level InputError (corrupt gzip) is the one
    exception allowed, and it must name the place."""
    try:
        stream = open_binary(io.BytesIO(data), "fuzz", max_gz)
        items = list(read_items(stream, "fuzz", ReadStats()))
    except InputError as exc:
        assert data[:2] == b"\x1f\x8b" and exc.place and str(exc).startswith("fuzz:byte ")
        return []
    for item in items:
        assert isinstance(item.location, str) and item.location
        assert isinstance(item.text, str)
        assert item.error is None or item.error
    return items


@FAST
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    read_all(data)


@FAST
@given(st.binary(max_size=2048))
def test_arbitrary_gzip_content_never_raises(data: bytes) -> None:
    read_all(gzip.compress(data, mtime=0))


@FAST
@given(st.text(max_size=2048))
def test_arbitrary_text_never_raises(text: str) -> None:
    read_all(text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.text(max_size=2048))
def test_arbitrary_yaml_never_raises(text: str) -> None:
    read_all(("---\n" + text).encode("utf-8", "surrogatepass"))


@FAST
@given(st.text(alphabet=st.sampled_from(list('{}[]",: \n\t0a\\')), max_size=400))
def test_json_punctuation_soup_never_raises(text: str) -> None:
    read_all(text.encode())


@FAST
@given(st.text(alphabet=st.sampled_from(list("-:[]{}&*!|>\"' \n\tabk#%?,")), max_size=400))
def test_yaml_punctuation_soup_never_raises(text: str) -> None:
    read_all(("---\n" + text).encode())


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
# a top-level `items` (or Go's `Items`) array makes an object a List, read as its elements (the
# ingest tests and the real corpus' cluster-info dumps check that): these lines are single objects
object_keys = st.text(max_size=10).filter(lambda key: key not in ("items", "Items"))
good_objects = st.dictionaries(object_keys, json_values, max_size=6)
# text lines as kubectl, klog or an editor leave them: no JSON/YAML opener, not blank
text_lines = st.from_regex(r"\A(Warning|error|E0301|W1122|note|x)[^\n\r\x0b\x0c]{0,60}\Z")
broken_objects = st.sampled_from(['{"a": ', '{"kind": "Event"', "{]", '{"a": 1 2}', '{"x": "'])
lines = st.lists(
    st.one_of(
        good_objects.map(lambda o: ("good", json.dumps(o))),
        text_lines.map(lambda t: ("text", t)),
        broken_objects.map(lambda t: ("bad", t)),
        st.sampled_from(["", "   "]).map(lambda t: ("blank", t)),
    ),
    max_size=25,
)


@FAST
@given(lines)
def test_ndjson_lines_are_each_one_object_or_one_reject(lines: list[tuple[str, str]]) -> None:
    data = "\n".join(text for _, text in lines).encode()
    items = read_all(data)
    # text lines are skipped (and counted), never objects or rejects
    meaningful = [(kind, text) for kind, text in lines if kind not in ("blank", "text")]
    assert len(items) == len(meaningful)
    for item, (kind, text) in zip(items, meaningful, strict=True):
        assert (item.error is None) == (kind == "good"), (item, text)
        if kind == "good":
            assert json.loads(item.text) == json.loads(text)


def _store() -> Iterator[Store]:
    with (
        tempfile.TemporaryDirectory(prefix="podreplay-fuzz-") as tmp,
        Store(Path(tmp) / "fuzz.duckdb") as store,
    ):
        yield store


_STORE = _store()
STORE = next(_STORE)  # one database for every example: each ingest is a new source

timestamps = st.one_of(
    st.sampled_from(["2024-03-01T02:13:00Z", "2024-03-01 02:13:00 +0000 UTC", "", "null"]),
    st.text(max_size=30),
    st.integers(),
    st.none(),
)
names = st.text(max_size=12) | st.sampled_from(["web-1", "x'; DROP TABLE events; --"])
k8s_objects = st.fixed_dictionaries(
    {"kind": st.sampled_from(["Event", "Pod", "Deployment", "", "List"]) | json_values},
    optional={
        "apiVersion": st.sampled_from(["v1", "events.k8s.io/v1"]) | json_values,
        "metadata": st.fixed_dictionaries(
            {},
            optional={
                "name": names | json_values,
                "namespace": names,
                "uid": names | json_values,
                "creationTimestamp": timestamps,
                "deletionTimestamp": timestamps,
            },
        )
        | json_values,
        "involvedObject": st.fixed_dictionaries(
            {"kind": st.just("Pod") | json_values, "name": names | json_values},
            optional={"fieldPath": st.text(max_size=30), "uid": names},
        )
        | json_values,
        "regarding": json_values,
        "reason": st.text(max_size=20) | json_values,
        "message": st.text(max_size=50) | json_values,
        "count": st.integers() | json_values,
        "series": st.fixed_dictionaries({"count": json_values, "lastObservedTime": timestamps}),
        "firstTimestamp": timestamps,
        "lastTimestamp": timestamps,
        "eventTime": timestamps,
        "spec": st.fixed_dictionaries(
            {"containers": st.lists(st.dictionaries(st.text(max_size=6), json_values), max_size=2)}
        )
        | json_values,
        "status": st.fixed_dictionaries(
            {},
            optional={
                "phase": st.sampled_from(["Running", "Pending"]) | json_values,
                "startTime": timestamps,
                "conditions": st.lists(json_values, max_size=3) | json_values,
                "containerStatuses": st.lists(json_values, max_size=2) | json_values,
            },
        )
        | json_values,
    },
)


def _as_watch(obj: dict[str, Any], wrap: bool) -> str:
    return json.dumps({"type": "ADDED", "object": obj} if wrap else obj)


@SLOW
@given(st.lists(st.tuples(k8s_objects | good_objects, st.booleans()), min_size=1, max_size=6))
def test_ingesting_arbitrary_objects_never_raises_and_loses_nothing(
    objects: list[tuple[dict[str, Any], bool]],
) -> None:
    data = "\n".join(_as_watch(obj, wrap) for obj, wrap in objects).encode()
    result = ingest_stream(STORE, io.BytesIO(data), "fuzz.ndjson", IngestOptions())
    if result.status == "ingested":
        # each object was classified by kind (loaded or counted) or kept in rejects
        assert result.n_objects + result.n_rejects >= len(objects)
    else:  # already seen, or no Kubernetes object at all (`{}`)
        assert result.status in ("duplicate", "not-a-capture")


def test_the_atheris_harness_replays_the_bad_corpus_without_atheris() -> None:
    import subprocess
    import sys

    for target in ("read", "ingest"):
        res = subprocess.run(
            [sys.executable, str(ROOT / "fuzz" / "fuzz_readers.py"), str(DATA / "bad")],
            env={**os.environ, "PODREPLAY_FUZZ": target},
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, res.stderr
        assert res.stdout == "replayed 1 path(s) without a crash\n"
