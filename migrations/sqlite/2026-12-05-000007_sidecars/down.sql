DROP TABLE sidecars;
ALTER TABLE roots DROP COLUMN sidecars;
