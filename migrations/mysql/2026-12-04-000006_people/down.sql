ALTER TABLE faces DROP COLUMN blink_right;
ALTER TABLE faces DROP COLUMN blink_left;
DROP TABLE face_people;
DROP TABLE people;
