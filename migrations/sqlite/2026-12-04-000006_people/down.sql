DROP TABLE face_people;
DROP TABLE people;
