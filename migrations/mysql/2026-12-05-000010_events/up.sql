-- Events (mysql). Keep in step with ../../sqlite/<same name>/up.sql.

-- An event: captures taken close together (src/events.rs: the gaps between
-- one capture and the next, against the usual gaps around them, and a
-- change of place), kept by `hma events` and by scans. Its id is the id of
-- its first capture, so an event that keeps its first capture keeps its id
-- and a regrouping writes only what changed.
CREATE TABLE events (
  id BIGINT NOT NULL PRIMARY KEY,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT NOT NULL,
  captures INTEGER NOT NULL,
  updated_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX events_start ON events (start_ms);

-- Which event each capture with a time is in.
CREATE TABLE capture_events (
  capture_id BIGINT NOT NULL PRIMARY KEY,
  event_id BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX capture_events_event ON capture_events (event_id, capture_id);
