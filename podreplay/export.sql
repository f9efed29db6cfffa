-- The Parquet export (podreplay/export.py).

-- name: objects
-- Every table and view of the main schema but those the second parameter (a list) names:
-- (name, kind, whether it has the column named by the first).
SELECT
    t.table_name,
    CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE 'table' END,
    bool_or(c.column_name = ?)
FROM information_schema.tables t
JOIN information_schema.columns c
    ON c.table_schema = t.table_schema AND c.table_name = t.table_name
WHERE t.table_schema = 'main' AND t.table_catalog = current_database() AND t.table_name NOT IN (SELECT unnest(?))
  AND c.table_catalog = current_database()
GROUP BY ALL
ORDER BY t.table_name
