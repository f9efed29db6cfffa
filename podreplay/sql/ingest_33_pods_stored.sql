-- Pod snapshots already stored are kept once (overlapping captures, or the same snapshot in two
-- files): dropped from the batch's `new_pods`, once for the whole batch, before any source of it
-- is stored. Stored means stored before the batch, or by an earlier source of the batch that
-- will be stored ($1: those sources; a duplicate source stores nothing).
DELETE FROM new_pods AS n
WHERE EXISTS (
        SELECT 1 FROM pod_snapshots AS old
        WHERE old.pod_uid = n.pod_uid AND old.observed_at = n.observed_at
          AND coalesce(old.resource_version, '') = coalesce(n.resource_version, '')
          AND coalesce(old.watch_type, '') = coalesce(n.watch_type, ''))
   OR EXISTS (
        SELECT 1 FROM new_pods AS e
        WHERE e.src < n.src AND list_contains($1::INTEGER[], e.src)
          AND e.pod_uid = n.pod_uid AND e.observed_at = n.observed_at
          AND coalesce(e.resource_version, '') = coalesce(n.resource_version, '')
          AND coalesce(e.watch_type, '') = coalesce(n.watch_type, ''));

-- (run only when the statement above dropped a snapshot) the containers and conditions of the
-- snapshots dropped go with them
DELETE FROM stage_container_rows WHERE seq NOT IN (SELECT seq FROM new_pods);

DELETE FROM stage_condition_rows WHERE seq NOT IN (SELECT seq FROM new_pods);

-- each source's snapshots left: the first and last seq (its objects were read one after another,
-- so a source's seqs are one range no other source's overlap) and the bases they were dated by
SELECT src, min(seq), max(seq), string_agg(DISTINCT observed_basis, ',') FROM new_pods
GROUP BY src;
