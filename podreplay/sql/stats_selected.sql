-- The pods `podreplay stats` looks at: those selection.select_pods put in temp.selected_pods,
-- with their pod_stats figures and why they are worth a look (pod_why).
CREATE OR REPLACE TEMP VIEW stats_pods AS
SELECT s.*, w.problem, w.why, w.failure
FROM pod_stats s
JOIN temp.selected_pods USING (pod_uid)
LEFT JOIN pod_why w USING (pod_uid);
