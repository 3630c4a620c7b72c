DROP TABLE capture_events;
DROP TABLE events;
