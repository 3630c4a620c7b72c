-- What search asks of a picture's faces, kept with its face run (sqlite).
-- Keep in step with ../../mysql/<same name>/up.sql.

-- counted: the faces that count (confidence >= 0.6, width or height at
-- least 2 % of the picture, not said to be no face: the score's rule,
-- hma_vision::score::FaceFacts::counts); eyes_open / eyes_closed: how many
-- of those have their eyes open / closed. Kept by the faces job and by
-- "not a face"; filled here for the runs already stored.
ALTER TABLE face_runs ADD COLUMN counted INTEGER;
ALTER TABLE face_runs ADD COLUMN eyes_open INTEGER;
ALTER TABLE face_runs ADD COLUMN eyes_closed INTEGER;
UPDATE face_runs SET
  counted = (SELECT COUNT(*) FROM faces f WHERE f.content_hash = face_runs.content_hash AND f.model = face_runs.model
    AND f.confidence >= 0.6 AND (f.box_w >= 0.02 OR f.box_h >= 0.02)
    AND f.id NOT IN (SELECT fp.face_id FROM face_people fp WHERE fp.source = 'rejected' AND fp.person_id IS NULL)),
  eyes_open = (SELECT COUNT(*) FROM faces f WHERE f.content_hash = face_runs.content_hash AND f.model = face_runs.model
    AND f.confidence >= 0.6 AND (f.box_w >= 0.02 OR f.box_h >= 0.02) AND f.eyes = 'open'
    AND f.id NOT IN (SELECT fp.face_id FROM face_people fp WHERE fp.source = 'rejected' AND fp.person_id IS NULL)),
  eyes_closed = (SELECT COUNT(*) FROM faces f WHERE f.content_hash = face_runs.content_hash AND f.model = face_runs.model
    AND f.confidence >= 0.6 AND (f.box_w >= 0.02 OR f.box_h >= 0.02) AND f.eyes = 'closed'
    AND f.id NOT IN (SELECT fp.face_id FROM face_people fp WHERE fp.source = 'rejected' AND fp.person_id IS NULL));
CREATE INDEX face_runs_counted ON face_runs (model, counted, content_hash);
CREATE INDEX face_runs_eyes ON face_runs (model, eyes_closed, eyes_open, content_hash);
