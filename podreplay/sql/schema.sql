-- podreplay database schema: the ingested facts. Derived tables (pods, phase_intervals, ...)
-- are rebuilt from these by the SQL files run in podreplay/derive.py.
-- Timestamps are TIMESTAMPTZ in UTC; durations are DOUBLE seconds.

CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- One row per ingested input (a file, a member of a directory, or stdin).
CREATE TABLE IF NOT EXISTS sources (
    source_id INTEGER PRIMARY KEY,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    n_objects BIGINT NOT NULL,          -- events + pod objects + other kinds found
    n_rejects BIGINT NOT NULL,
    n_events BIGINT NOT NULL,
    n_pods BIGINT NOT NULL,             -- pod objects (snapshot rows) read
    n_skipped BIGINT NOT NULL,          -- objects of other kinds (Nodes, Deployments, ...)
    skipped_kinds VARCHAR,              -- e.g. "Deployment:3, Node:1"
    observed_at TIMESTAMPTZ,            -- when a snapshot source was taken (null: per record)
    observed_basis VARCHAR,             -- option | file_name | record | inferred
    first_ts TIMESTAMPTZ,               -- earliest timestamp the source shows
    last_ts TIMESTAMPTZ                 -- latest timestamp the source shows
);

-- Events of both APIs (core/v1 and events.k8s.io/v1), merged by event_key: latest state wins.
-- event_key is unique (ingest_20_events.sql keeps one row per key); it is not declared a
-- PRIMARY KEY because maintaining that index cost about 1 s of loading 1M events.
-- Columns holding a different value on (almost) every row use zstd: on 1M events it wrote them
-- 30% faster than the default dictionary+FSST and 5x smaller, scans about 15% slower.
CREATE TABLE IF NOT EXISTS events (
    event_key VARCHAR NOT NULL USING COMPRESSION zstd, -- metadata.uid, else namespace/name/first occurrence
    source_id INTEGER,                  -- the source that gave the winning version
    api_version VARCHAR,
    namespace VARCHAR,
    name VARCHAR USING COMPRESSION zstd,
    uid VARCHAR USING COMPRESSION zstd,
    object_kind VARCHAR,
    object_namespace VARCHAR,
    object_name VARCHAR USING COMPRESSION zstd,
    object_uid VARCHAR USING COMPRESSION zstd,
    field_path VARCHAR,
    container VARCHAR,                  -- parsed from field_path spec.containers{NAME}
    reason VARCHAR,
    message VARCHAR USING COMPRESSION zstd,
    type VARCHAR,
    count BIGINT,                       -- occurrences (series.count, count, deprecatedCount, else 1)
    first_ts TIMESTAMPTZ,
    last_ts TIMESTAMPTZ,
    event_ts TIMESTAMPTZ,               -- eventTime (microsecond resolution) when set
    component VARCHAR,
    host VARCHAR,
    resource_version VARCHAR,
    raw JSON USING COMPRESSION zstd     -- zstd: 3x faster commits than the default FSST, smaller
);

-- One row per pod object seen (a pod in a List snapshot, or a watch record).
CREATE TABLE IF NOT EXISTS pod_snapshots (
    source_id INTEGER NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    observed_basis VARCHAR NOT NULL,    -- option | file_name | record | inferred
    watch_type VARCHAR,                 -- ADDED | MODIFIED | DELETED for watch records, else null
    pod_uid VARCHAR NOT NULL,           -- metadata.uid, else ns/name/creationTimestamp
    namespace VARCHAR,
    pod VARCHAR,
    node VARCHAR,
    phase VARCHAR,
    reason VARCHAR,
    message VARCHAR,
    qos_class VARCHAR,
    created_at TIMESTAMPTZ,
    start_time TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,             -- metadata.deletionTimestamp
    deletion_grace_s DOUBLE,            -- metadata.deletionGracePeriodSeconds
    termination_grace_s DOUBLE,         -- spec.terminationGracePeriodSeconds
    owner_kind VARCHAR,
    owner_name VARCHAR,
    restart_policy VARCHAR,
    resource_version VARCHAR,
    raw JSON USING COMPRESSION zstd
);

CREATE TABLE IF NOT EXISTS container_snapshots (
    source_id INTEGER NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    pod_uid VARCHAR NOT NULL,
    container VARCHAR NOT NULL,
    is_init BOOLEAN NOT NULL,
    image VARCHAR,
    state VARCHAR,                      -- waiting | running | terminated
    reason VARCHAR,
    message VARCHAR,
    exit_code INTEGER,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    ready BOOLEAN,
    started BOOLEAN,
    restart_count INTEGER,
    last_state VARCHAR,
    last_reason VARCHAR,
    last_exit_code INTEGER,
    last_started_at TIMESTAMPTZ,
    last_finished_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS condition_snapshots (
    source_id INTEGER NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    pod_uid VARCHAR NOT NULL,
    condition VARCHAR NOT NULL,
    status VARCHAR,
    reason VARCHAR,
    last_transition_ts TIMESTAMPTZ
);

-- Objects that could not be used, kept with where they were and why.
CREATE TABLE IF NOT EXISTS rejects (
    source_id INTEGER NOT NULL,
    location VARCHAR NOT NULL,
    error VARCHAR NOT NULL,
    raw_text VARCHAR
);

-- Owner objects (ReplicaSets, Jobs, ...) found beside pods, used to map pods to workloads.
CREATE TABLE IF NOT EXISTS owners (
    uid VARCHAR,
    kind VARCHAR NOT NULL,
    namespace VARCHAR,
    name VARCHAR NOT NULL,
    owner_kind VARCHAR,
    owner_name VARCHAR
);

-- Stretches in which a capture recorded no evidence (a watch that dropped, the API server away):
-- the lifecycle rebuild makes them `gap` intervals for the pods of that scope.
-- namespace NULL = every namespace of the cluster.
CREATE TABLE IF NOT EXISTS capture_gaps (
    source_id BIGINT,
    cluster VARCHAR,
    namespace VARCHAR,
    start_ts TIMESTAMPTZ,
    end_ts TIMESTAMPTZ,
    reason VARCHAR
);
