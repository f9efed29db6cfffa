-- name: image_pull_latency_by_node
-- description: Image pull time per node (pulls that really happened): count, p50, p90, max.
-- param: namespace (default: all) only pulls for pods in this namespace
SELECT
    node,
    count(*) AS pulls,
    count(DISTINCT image) AS images,
    round(quantile_cont(seconds, 0.5), 3) AS p50_s,
    round(quantile_cont(seconds, 0.9), 3) AS p90_s,
    round(max(seconds), 3) AS max_s,
    round(sum(seconds), 3) AS total_s
FROM image_pulls
WHERE ($namespace IS NULL OR namespace = $namespace)
GROUP BY node
ORDER BY p50_s DESC NULLS LAST, node;
