-- Workers sharing one catalogue (sqlite). Keep in step with ../../mysql/<same name>/up.sql.
-- An embedded catalogue has one machine: `hma worker` refuses it, and these
-- tables stay empty; they exist so both backends have one schema.

CREATE TABLE work_queue (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  stage TEXT NOT NULL,
  content_hash BIGINT NOT NULL,
  claimed_by TEXT,
  lease_until BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  UNIQUE (stage, content_hash)
);
CREATE INDEX work_queue_free ON work_queue (stage, lease_until, id);

CREATE TABLE workers (
  id TEXT NOT NULL PRIMARY KEY,
  machine TEXT NOT NULL,
  jobs TEXT NOT NULL,
  started_ms BIGINT NOT NULL,
  heartbeat_ms BIGINT NOT NULL,
  lease_ms BIGINT NOT NULL,
  state TEXT NOT NULL,
  stage TEXT,
  done BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  lost BIGINT NOT NULL DEFAULT 0
);
