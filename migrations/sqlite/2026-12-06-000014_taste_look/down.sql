DROP INDEX decisions_updated;
ALTER TABLE detection_runs DROP COLUMN look;
