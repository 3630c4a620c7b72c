-- The catalogue (SQLite). Keep in step with ../../mysql/<same name>/up.sql:
-- a test checks that both backends end with the same tables and columns.
-- Times are integers: *_ms milliseconds and *_ns nanoseconds since the Unix
-- epoch; taken_local_ms is the camera's wall-clock time read as if it were UTC.
-- Hashes are xxh3-64 stored as signed BIGINT (same bits).

CREATE TABLE roots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid VARCHAR(36) NOT NULL UNIQUE,
  name VARCHAR(190) NOT NULL UNIQUE,
  is_backup BOOLEAN NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  last_scan_ms BIGINT
);

CREATE TABLE root_locations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  root_id BIGINT NOT NULL REFERENCES roots(id),
  machine VARCHAR(190) NOT NULL,
  path TEXT NOT NULL,
  updated_ms BIGINT NOT NULL,
  UNIQUE (root_id, machine)
);

CREATE TABLE captures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  taken_local_ms BIGINT,
  taken_has_ms BOOLEAN NOT NULL DEFAULT 0,
  taken_offset_min INTEGER,
  make TEXT,
  model TEXT,
  serial TEXT,
  lens TEXT,
  focal_length_mm DOUBLE,
  f_number DOUBLE,
  exposure_time_s DOUBLE,
  iso BIGINT,
  gps_lat DOUBLE,
  gps_lon DOUBLE,
  gps_alt DOUBLE,
  orientation INTEGER,
  rating INTEGER,
  label TEXT,
  pick INTEGER,
  created_ms BIGINT NOT NULL
);
CREATE INDEX captures_taken ON captures (taken_local_ms);

CREATE TABLE files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  root_id BIGINT NOT NULL REFERENCES roots(id),
  rel_path TEXT NOT NULL,
  path_key BIGINT NOT NULL,
  dir_key BIGINT NOT NULL,
  raw_path BLOB,
  size BIGINT NOT NULL,
  mtime_ns BIGINT NOT NULL,
  content_hash BIGINT,
  kind VARCHAR(16) NOT NULL,
  format VARCHAR(16) NOT NULL,
  width INTEGER,
  height INTEGER,
  capture_id BIGINT REFERENCES captures(id),
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  missing BOOLEAN NOT NULL DEFAULT 0,
  error TEXT,
  UNIQUE (root_id, path_key)
);
CREATE INDEX files_hash ON files (content_hash, missing);
CREATE INDEX files_dir ON files (root_id, dir_key);
CREATE INDEX files_capture ON files (capture_id);

CREATE TABLE file_relations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id BIGINT NOT NULL REFERENCES files(id),
  other_file_id BIGINT NOT NULL REFERENCES files(id),
  kind VARCHAR(32) NOT NULL,
  signal_name VARCHAR(64) NOT NULL,
  confidence DOUBLE NOT NULL,
  UNIQUE (file_id, other_file_id, kind)
);
CREATE INDEX file_relations_other ON file_relations (other_file_id);

CREATE TABLE content_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id BIGINT NOT NULL REFERENCES files(id),
  content_hash BIGINT NOT NULL,
  size BIGINT NOT NULL,
  mtime_ns BIGINT NOT NULL,
  seen_ms BIGINT NOT NULL,
  scan_id BIGINT
);
CREATE INDEX content_history_file ON content_history (file_id);

CREATE TABLE scans (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  machine VARCHAR(190) NOT NULL,
  started_ms BIGINT NOT NULL,
  finished_ms BIGINT,
  status VARCHAR(16) NOT NULL,
  seen BIGINT NOT NULL DEFAULT 0,
  new_files BIGINT NOT NULL DEFAULT 0,
  changed BIGINT NOT NULL DEFAULT 0,
  unchanged BIGINT NOT NULL DEFAULT 0,
  moved BIGINT NOT NULL DEFAULT 0,
  missing BIGINT NOT NULL DEFAULT 0,
  errors BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE scan_problems (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scan_id BIGINT NOT NULL REFERENCES scans(id),
  root_id BIGINT NOT NULL REFERENCES roots(id),
  rel_path TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX scan_problems_scan ON scan_problems (scan_id);

CREATE TABLE capture_keywords (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  capture_id BIGINT NOT NULL REFERENCES captures(id),
  keyword VARCHAR(190) NOT NULL,
  hierarchical BOOLEAN NOT NULL DEFAULT 0,
  UNIQUE (capture_id, keyword, hierarchical)
);

CREATE TABLE taxonomies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(190) NOT NULL UNIQUE,
  source_format VARCHAR(16) NOT NULL,
  source_hash BIGINT NOT NULL,
  node_count BIGINT NOT NULL,
  imported_ms BIGINT NOT NULL
);

CREATE TABLE taxonomy_nodes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  taxonomy_id BIGINT NOT NULL REFERENCES taxonomies(id),
  external_id VARCHAR(190) NOT NULL,
  parent_external_id VARCHAR(190),
  parent_id BIGINT REFERENCES taxonomy_nodes(id),
  name TEXT NOT NULL,
  taxon_rank VARCHAR(64),
  status VARCHAR(64),
  UNIQUE (taxonomy_id, external_id)
);
CREATE INDEX taxonomy_nodes_parent ON taxonomy_nodes (parent_id);

CREATE TABLE capture_taxa (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  capture_id BIGINT NOT NULL REFERENCES captures(id),
  node_id BIGINT NOT NULL REFERENCES taxonomy_nodes(id),
  source VARCHAR(16) NOT NULL,
  confidence DOUBLE,
  model_version VARCHAR(64),
  created_ms BIGINT NOT NULL,
  UNIQUE (capture_id, node_id, source)
);
CREATE INDEX capture_taxa_node ON capture_taxa (node_id);

-- Counts and duplicate groups, kept by the jobs that change files (a scan
-- refreshes them when it wrote anything), so `hma status` and `hma dupes`
-- answer at once on a million rows. `dirty` is set while a job is writing;
-- readers then compute live.
CREATE TABLE catalog_stats (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  files BIGINT NOT NULL,
  captures BIGINT NOT NULL,
  duplicate_groups BIGINT NOT NULL,
  errors BIGINT NOT NULL,
  dirty BOOLEAN NOT NULL,
  computed_ms BIGINT NOT NULL
);

CREATE TABLE duplicate_hashes (
  content_hash BIGINT NOT NULL PRIMARY KEY,
  files BIGINT NOT NULL
);

-- The files of those groups, copied when the counts are refreshed, so that
-- listing duplicates reads one small table instead of a million-row one.
CREATE TABLE duplicate_members (
  file_id BIGINT NOT NULL PRIMARY KEY,
  content_hash BIGINT NOT NULL,
  root_id BIGINT NOT NULL,
  rel_path TEXT NOT NULL,
  first_seen_ms BIGINT NOT NULL
);
