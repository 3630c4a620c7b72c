DROP INDEX face_runs_eyes;
DROP INDEX face_runs_counted;
ALTER TABLE face_runs DROP COLUMN eyes_closed;
ALTER TABLE face_runs DROP COLUMN eyes_open;
ALTER TABLE face_runs DROP COLUMN counted;
