-- XMP sidecars (sqlite). Keep in step with ../../mysql/<same name>/up.sql.

-- Whether decisions (and named people) are written into XMP sidecars beside
-- the photos of this root: off unless the user turns it on.
ALTER TABLE roots ADD COLUMN sidecars BOOLEAN NOT NULL DEFAULT 0;

-- The sidecars we last wrote for a capture (one per copy of it in a root
-- with sidecars on): where (its root and path in it), and its size and
-- modification time just after our write. A sidecar found with another size
-- or time was changed by another program since: it is read and merged (the
-- newer value wins), never overwritten blindly.
CREATE TABLE sidecars (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  capture_id BIGINT NOT NULL,
  root_id BIGINT NOT NULL,
  rel_path TEXT NOT NULL,
  size BIGINT NOT NULL,
  mtime_ms BIGINT NOT NULL,
  written_ms BIGINT NOT NULL
);
CREATE INDEX sidecars_capture ON sidecars (capture_id);
