-- Workers sharing one catalogue (mysql). Keep in step with ../../sqlite/<same name>/up.sql.

-- Work to hand out: one row per content and stage still to do. `hma worker`
-- fills it from what the catalogue lacks (INSERT IGNORE: the unique key
-- makes a second fill add nothing) and claims rows a batch at a time with
-- SELECT ... FOR UPDATE SKIP LOCKED, writing its name and a lease. A row
-- is deleted in the transaction that stores its result, so a killed
-- worker's rows come back when their lease ends.
CREATE TABLE work_queue (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stage VARCHAR(16) NOT NULL,
  content_hash BIGINT NOT NULL,
  claimed_by VARCHAR(190),
  lease_until BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  UNIQUE (stage, content_hash),
  INDEX work_queue_free (stage, lease_until, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Who works: one row per worker process, its heartbeat and counts, for
-- `hma status --workers`. done and failed grow in the transactions that
-- store results, so they count what was stored, never what was lost.
CREATE TABLE workers (
  id VARCHAR(190) NOT NULL PRIMARY KEY,
  machine VARCHAR(190) NOT NULL,
  jobs VARCHAR(64) NOT NULL,
  started_ms BIGINT NOT NULL,
  heartbeat_ms BIGINT NOT NULL,
  lease_ms BIGINT NOT NULL,
  state VARCHAR(16) NOT NULL,
  stage VARCHAR(16),
  done BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  lost BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
