DROP TABLE settings;
DROP TABLE taste_models;
ALTER TABLE analyses DROP COLUMN taste_model;
ALTER TABLE analyses DROP COLUMN taste_why;
ALTER TABLE analyses DROP COLUMN taste_weight;
ALTER TABLE analyses DROP COLUMN s_taste;
