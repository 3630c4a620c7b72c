-- Faces found in pictures (mysql). Keep in step with ../../sqlite/<same name>/up.sql.

-- One row per content and face model: the picture was looked at (also when
-- no face was found, or it failed), so `hma faces` is incremental; with the
-- size of the whole picture as displayed (0 × 0 when it failed), so boxes
-- can be given in its pixels.
CREATE TABLE face_runs (
  content_hash BIGINT NOT NULL,
  model VARCHAR(64) NOT NULL,
  version INTEGER NOT NULL,
  detected_ms BIGINT NOT NULL,
  error TEXT,
  faces INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  PRIMARY KEY (content_hash, model)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The faces: detector confidence, box as shares of the picture as displayed
-- (x, y = top left), the six keypoints (right eye, left eye, nose tip,
-- mouth, right ear, left ear; the subject's sides) as a JSON array of
-- [x, y] shares, and what we measured in the box: sharpness (variance of
-- the Laplacian at the analysis working size, the measure of the picture's
-- own sharpness) and exposure (mean luma, 0–1); the eyes read from the
-- face's landmarks (FaceMesh): each eye's openness (lid gap over eye width;
-- NULL when the face was too small to read) and the verdict, open, closed
-- or unsure; and who it is: SFace's identity embedding (128 little-endian
-- f32, 512 bytes; NULL for faces under 32 px, too small to know).
-- Exact copies share them (keyed by content).
CREATE TABLE faces (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  content_hash BIGINT NOT NULL,
  model VARCHAR(64) NOT NULL,
  confidence DOUBLE NOT NULL,
  box_x DOUBLE NOT NULL,
  box_y DOUBLE NOT NULL,
  box_w DOUBLE NOT NULL,
  box_h DOUBLE NOT NULL,
  keypoints TEXT NOT NULL,
  sharpness DOUBLE,
  exposure DOUBLE,
  eye_left DOUBLE,
  eye_right DOUBLE,
  eyes VARCHAR(8) NOT NULL,
  embedding BLOB
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX faces_content ON faces (content_hash);

-- The eyes part of the score (docs/scores.md), beside the other parts.
ALTER TABLE analyses ADD COLUMN s_eyes DOUBLE;
