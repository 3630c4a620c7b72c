-- Calendars (sqlite). Keep in step with ../../mysql/<same name>/up.sql.

-- A calendar the user makes (`hma calendar new 2027`): the year it is for,
-- the period its photos come from, the country whose public holidays it
-- shows and the print it is made for (paper, dpi, orientation), which the
-- print check of each choice uses.
CREATE TABLE calendars (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  year INTEGER NOT NULL,
  name VARCHAR(190) NOT NULL,
  from_day VARCHAR(10) NOT NULL,
  to_day VARCHAR(10) NOT NULL,
  country VARCHAR(2),
  paper VARCHAR(16) NOT NULL,
  dpi INTEGER NOT NULL,
  landscape BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  UNIQUE (year, name)
);

-- Its thirteen slots: 0 is the cover, 1-12 the months. The choice is a
-- file (NULL: none yet); chosen_by says whether the suggestion stands or
-- the user chose it, which a renewed suggestion keeps. note: what the
-- month lacked ("no photos from May 2026 ...").
CREATE TABLE calendar_slots (
  calendar_id BIGINT NOT NULL,
  slot INTEGER NOT NULL,
  file_id BIGINT,
  chosen_by VARCHAR(9) NOT NULL,
  why TEXT NOT NULL,
  note TEXT,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (calendar_id, slot)
);

-- Each slot's suggestions, best first (nth 0 is the suggested choice).
CREATE TABLE calendar_suggestions (
  calendar_id BIGINT NOT NULL,
  slot INTEGER NOT NULL,
  nth INTEGER NOT NULL,
  file_id BIGINT NOT NULL,
  gain DOUBLE NOT NULL,
  why TEXT NOT NULL,
  PRIMARY KEY (calendar_id, slot, nth)
);
