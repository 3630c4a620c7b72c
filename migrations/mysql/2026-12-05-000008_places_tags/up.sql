-- Places, tags and search (mysql). Keep in step with ../../sqlite/<same name>/up.sql.

-- A node's name as searched: lower case (Rust's Unicode lower-casing, set by
-- the writer; rows from before this migration get SQL's LOWER), at most 190
-- characters, indexed per taxonomy so `place:Bavaria` and `tag:beach` find
-- their node without reading a million-node backbone.
ALTER TABLE taxonomy_nodes ADD COLUMN name_key VARCHAR(190);
UPDATE taxonomy_nodes SET name_key = LOWER(SUBSTR(name, 1, 190));
CREATE INDEX taxonomy_nodes_name ON taxonomy_nodes (name_key, taxonomy_id);

-- Which taxa a capture is linked to, from each source (gps, xmp, user,
-- people…), read per source by the jobs that keep them.
CREATE INDEX capture_taxa_source ON capture_taxa (source, capture_id);

-- `near:LAT,LON,KM` reads a box of this index.
CREATE INDEX captures_gps ON captures (gps_lat, gps_lon);

-- How far an incremental job has come (the keyword sync's last
-- capture_keywords id, say): one row per job.
CREATE TABLE job_marks (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Searches the user keeps (smart albums): a name and the query's text.
CREATE TABLE saved_searches (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(190) NOT NULL UNIQUE,
  query TEXT NOT NULL,
  created_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
