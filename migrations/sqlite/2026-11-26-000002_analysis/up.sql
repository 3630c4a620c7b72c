-- Analysis: measurements, scores, perceptual hashes and the groups made
-- from them (SQLite). Keep in step with ../../mysql/<same name>/up.sql.

-- One row per distinct content: exact copies are analysed once.
-- `measurements` holds every raw measurement as JSON (see docs/scores.md);
-- the scores are columns so that ranking is an indexed query.
CREATE TABLE analyses (
  content_hash BIGINT NOT NULL PRIMARY KEY,
  version INTEGER NOT NULL,
  analyzed_ms BIGINT NOT NULL,
  error TEXT,
  method TEXT,
  full_width INTEGER,
  full_height INTEGER,
  measurements TEXT,
  brisque DOUBLE,
  jpeg_quality INTEGER,
  phash BIGINT,
  phash_turns TEXT,
  score_version INTEGER NOT NULL,
  score DOUBLE,
  s_sharpness DOUBLE,
  s_exposure DOUBLE,
  s_noise DOUBLE,
  s_brisque DOUBLE,
  s_composition DOUBLE,
  s_compression DOUBLE
);
CREATE INDEX analyses_score ON analyses (score, content_hash);

-- Near-duplicate, burst and exact-copy groups of files, rebuilt by
-- `hma analyze` when what they depend on changed.
CREATE TABLE photo_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  best_file_id BIGINT NOT NULL,
  size INTEGER NOT NULL,
  why TEXT NOT NULL
);

CREATE TABLE photo_group_members (
  file_id BIGINT NOT NULL PRIMARY KEY,
  group_id BIGINT NOT NULL,
  member_rank INTEGER NOT NULL
);
CREATE INDEX photo_group_members_group ON photo_group_members (group_id, member_rank);

-- What the groups were computed from (a signature of the analysed files),
-- so a rerun with nothing new does no work.
CREATE TABLE analysis_state (
  id BIGINT NOT NULL PRIMARY KEY,
  groups_signature TEXT NOT NULL,
  computed_ms BIGINT NOT NULL
);
