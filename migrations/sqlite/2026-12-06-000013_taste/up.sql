-- Her taste (sqlite). Keep in step with ../../mysql/<same name>/up.sql.

-- The taste part of each analysed content's score: the model's probability
-- that she keeps the picture, the weight it had in the overall score, the
-- features that moved it most in words, and the model that made it (0:
-- none; a content whose taste_model is not the one in force is rescored).
ALTER TABLE analyses ADD COLUMN s_taste DOUBLE;
ALTER TABLE analyses ADD COLUMN taste_weight DOUBLE;
ALTER TABLE analyses ADD COLUMN taste_why TEXT;
ALTER TABLE analyses ADD COLUMN taste_model BIGINT NOT NULL DEFAULT 0;

-- Each training of the taste model (`hma taste train`, the app's Retrain,
-- or after enough new decisions): what it learned from (decisions, their
-- fingerprint), how well it ranks decisions it did not see (k-fold
-- cross-validation), the weight that earned it in the score (0: off, and
-- reason says why), what it learned in words, and its weights
-- (safetensors; NULL when off). The newest row is the model in force.
CREATE TABLE taste_models (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ms BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  features_version INTEGER NOT NULL,
  fingerprint BIGINT NOT NULL,
  decisions INTEGER NOT NULL,
  positives INTEGER NOT NULL,
  negatives INTEGER NOT NULL,
  folds INTEGER NOT NULL,
  auc DOUBLE,
  auc_low DOUBLE,
  accuracy DOUBLE,
  brier DOUBLE,
  ece DOUBLE,
  weight DOUBLE NOT NULL,
  reason TEXT NOT NULL,
  learned TEXT NOT NULL,
  report TEXT NOT NULL,
  model BLOB
);

-- The catalogue's own settings, by name (taste: on or off).
CREATE TABLE settings (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
