DROP TABLE saved_searches;
DROP TABLE job_marks;
DROP INDEX captures_gps;
DROP INDEX capture_taxa_source;
DROP INDEX taxonomy_nodes_name;
ALTER TABLE taxonomy_nodes DROP COLUMN name_key;
