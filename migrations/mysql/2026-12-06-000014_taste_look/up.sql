-- The look embedding of a picture as the object detector saw it (its
-- neck's coarsest map averaged over the picture: 256 values, stored as a
-- 4-byte little-endian f32 scale and 256 signed bytes). Her taste model
-- reads it (docs/taste.md). Runs of an earlier detector version have none
-- and are looked at again.
ALTER TABLE detection_runs ADD COLUMN look BLOB NULL;

-- New decisions since her taste was learned, counted at each decision (the
-- app trains again after 25): a range of this index, not every decision.
CREATE INDEX decisions_updated ON decisions (updated_ms);
