-- Events published by an endpoint's test route are marked, so the API can
-- tell them from real ones (the wire never shows it).
ALTER TABLE events ADD COLUMN is_test INTEGER NOT NULL DEFAULT 0;
