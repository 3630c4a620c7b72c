DROP TABLE faces;
DROP TABLE face_runs;
