-- Statistics helpers (issue 4): the image pulls the events prove. Runs after the lifecycle
-- files (derive_10..39): uses their `pods` and `pod_events` (events already joined to pods).

-- Go's time.Duration.String() ("1m2.5s", "523.4ms", "2h1m0s") as seconds; NULL if none.
CREATE OR REPLACE MACRO go_duration_s(d) AS (
    list_sum(list_transform(
        regexp_extract_all(d, '[0-9.]+(?:h|ms|m|s|µs|us|ns)'),
        lambda x: CAST(regexp_extract(x, '^[0-9.]+') AS DOUBLE) *
            CASE regexp_extract(x, '[a-zµ]+$')
                WHEN 'h' THEN 3600 WHEN 'm' THEN 60 WHEN 's' THEN 1 WHEN 'ms' THEN 0.001
                WHEN 'µs' THEN 1e-6 WHEN 'us' THEN 1e-6 WHEN 'ns' THEN 1e-9
            END))
);

-- Image pulls that really happened (a Pulled event that is not "already present on machine").
-- seconds: Pulled − Pulling from the event times (1 s resolution), pairing each Pulled
-- with the latest Pulling of the same container before it; where no Pulling event survives, the
-- duration the kubelet printed. reported_s: what the kubelet printed ("in 1.2s (3.1s including
-- waiting)": the including-waiting figure, which spans Pulling to Pulled like the events do).
CREATE OR REPLACE TABLE image_pulls AS
WITH pulled AS (
    SELECT
        pe.pod_uid,
        pe.namespace,
        pe.pod,
        pe.container,
        pe.event_key,
        regexp_extract(pe.message, '[iI]mage "([^"]*)"', 1) AS image,
        t.pulled_at,
        go_duration_s(regexp_extract(
            pe.message, '\(((?:[0-9.]+(?:h|ms|m|s|µs|us|ns))+) including waiting', 1
        )) AS waiting_s,
        go_duration_s(regexp_extract(
            pe.message, ' in ((?:[0-9.]+(?:h|ms|m|s|µs|us|ns))+)', 1
        )) AS pull_s,
        pe.message
    FROM pod_events pe,
        -- an aggregated Pulled (count > 1) shows its first and last occurrence
        unnest(CASE
            WHEN pe.count > 1 AND pe.last_ts > pe.first_ts
                THEN [pe.first_ts, pe.last_ts]
            ELSE [pe.first_ts]
        END) AS t(pulled_at)
    WHERE pe.reason = 'Pulled' AND pe.message NOT ILIKE '%already present%'
),
pulling AS (
    SELECT DISTINCT pe.pod_uid, coalesce(pe.container, '') AS container_key, t.pulling_at
    FROM pod_events pe, unnest([pe.first_ts, pe.last_ts]) AS t(pulling_at)
    WHERE pe.reason = 'Pulling' AND t.pulling_at IS NOT NULL
),
paired AS (
    SELECT pulled.*, pulling.pulling_at
    FROM pulled
    ASOF LEFT JOIN pulling
        ON pulling.pod_uid = pulled.pod_uid
        AND pulling.container_key = coalesce(pulled.container, '')
        AND pulling.pulling_at <= pulled.pulled_at
)
SELECT
    paired.pod_uid,
    paired.namespace,
    paired.pod,
    p.node,
    paired.container,
    nullif(paired.image, '') AS image,
    coalesce(
        paired.pulling_at,
        paired.pulled_at - to_microseconds(
            CAST(round(coalesce(paired.waiting_s, paired.pull_s) * 1e6) AS BIGINT)
        )
    ) AS pulling_at,
    paired.pulled_at,
    coalesce(
        epoch(paired.pulled_at) - epoch(paired.pulling_at),
        paired.waiting_s,
        paired.pull_s
    ) AS seconds,
    coalesce(paired.waiting_s, paired.pull_s) AS reported_s,
    CASE WHEN paired.pulling_at IS NOT NULL THEN 'event' ELSE 'message' END AS basis,
    paired.message
FROM paired
JOIN pods p USING (pod_uid)
WHERE coalesce(paired.waiting_s, paired.pull_s) IS NOT NULL OR paired.pulling_at IS NOT NULL;
