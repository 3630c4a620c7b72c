DROP TABLE detections;
DROP TABLE detection_runs;
