-- The crashlooping and never_ready sections: the selected pods where a flag holds.
-- Placeholders analytics.py fills in: flag (crashlooped or never_ready).
SELECT namespace, pod, workload, node, final_phase, restarts, crashloop_s, running_s,
    not_ready_running_s, why
FROM temp.stats_pods
WHERE {flag}
ORDER BY namespace, pod
