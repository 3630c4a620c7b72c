DROP INDEX decisions_updated ON decisions;
ALTER TABLE detection_runs DROP COLUMN look;
