-- Culling decisions made in the app or with `hma mark` (mysql). Keep in step
-- with ../../sqlite/<same name>/up.sql.
--
-- One row per capture. NULL means "not decided here": the value read from
-- the photo's XMP (captures.pick/rating/label) shows instead, and a rescan
-- never overwrites what the user decided. flag: 1 pick, -1 reject, 0 unflagged.
CREATE TABLE decisions (
  capture_id BIGINT NOT NULL PRIMARY KEY REFERENCES captures(id),
  flag SMALLINT,
  rating SMALLINT,
  label VARCHAR(16),
  updated_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX decisions_flag ON decisions (flag);
