DROP INDEX face_runs_eyes ON face_runs;
DROP INDEX face_runs_counted ON face_runs;
ALTER TABLE face_runs DROP COLUMN eyes_closed;
ALTER TABLE face_runs DROP COLUMN eyes_open;
ALTER TABLE face_runs DROP COLUMN counted;
