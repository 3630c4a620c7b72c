DROP TABLE saved_searches;
DROP TABLE job_marks;
DROP INDEX captures_gps ON captures;
DROP INDEX capture_taxa_source ON capture_taxa;
DROP INDEX taxonomy_nodes_name ON taxonomy_nodes;
ALTER TABLE taxonomy_nodes DROP COLUMN name_key;
