DROP TABLE calendar_suggestions;
DROP TABLE calendar_slots;
DROP TABLE calendars;
