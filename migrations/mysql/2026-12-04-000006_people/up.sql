-- People and pets, and which faces are whose (mysql). Keep in step with
-- ../../sqlite/<same name>/up.sql.

-- A person or a pet: named by the user, or an unnamed cluster of faces the
-- clustering found (name NULL) waiting to be named. Birthday YYYY-MM-DD
-- when known; the cover is the face shown for them.
CREATE TABLE people (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(190),
  kind VARCHAR(8) NOT NULL,
  birthday VARCHAR(10),
  cover_face BIGINT,
  created_ms BIGINT NOT NULL,
  UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Whose face a face is. source: auto (the clustering put it there),
-- confirmed (the user did) or rejected (the user said it is not this
-- person; with person_id NULL: not a face at all). At most one auto or
-- confirmed row per face; any number of rejections. distance: 1 - cosine
-- between the face's identity embedding and the mean of its person's
-- faces, when the clustering assigned it. Pets' boxes are faces of model
-- 'pet', named by hand.
CREATE TABLE face_people (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  face_id BIGINT NOT NULL,
  person_id BIGINT,
  source VARCHAR(10) NOT NULL,
  distance DOUBLE,
  created_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX face_people_face ON face_people (face_id);
CREATE INDEX face_people_person ON face_people (person_id, source);

-- Each eye's blink score (0-1) from MediaPipe's blendshapes model on the
-- face's landmarks: what the eyes' verdict is read from (faces job v2).
ALTER TABLE faces ADD COLUMN blink_left DOUBLE;
ALTER TABLE faces ADD COLUMN blink_right DOUBLE;
