ALTER TABLE analyses DROP COLUMN s_eyes;
DROP TABLE faces;
DROP TABLE face_runs;
