-- Objects found in pictures by a detection model (sqlite). Keep in step with
-- ../../mysql/<same name>/up.sql.

-- One row per content and model: the picture was looked at (also when
-- nothing was found, or it failed), so `hma detect` is incremental.
-- `subject`: the main subject (people and animals first) with the
-- sharpness inside its box, JSON; the scores use it (docs/scores.md).
CREATE TABLE detection_runs (
  content_hash BIGINT NOT NULL,
  model VARCHAR(64) NOT NULL,
  version INTEGER NOT NULL,
  detected_ms BIGINT NOT NULL,
  error TEXT,
  objects INTEGER NOT NULL,
  subject TEXT,
  PRIMARY KEY (content_hash, model)
);

-- The objects: COCO class, confidence, box as shares of the picture as
-- displayed (x, y = top left). Exact copies share them (keyed by content).
CREATE TABLE detections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  content_hash BIGINT NOT NULL,
  model VARCHAR(64) NOT NULL,
  class_id INTEGER NOT NULL,
  class_name VARCHAR(32) NOT NULL,
  confidence DOUBLE NOT NULL,
  box_x DOUBLE NOT NULL,
  box_y DOUBLE NOT NULL,
  box_w DOUBLE NOT NULL,
  box_h DOUBLE NOT NULL
);
CREATE INDEX detections_content ON detections (content_hash);
CREATE INDEX detections_class ON detections (class_name, content_hash);
