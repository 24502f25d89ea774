-- The next free request slot of each rate-limited endpoint, in Unix
-- microseconds, shared by every node so the limit is the endpoint's.
CREATE TABLE endpoint_slots (
    endpoint_id TEXT PRIMARY KEY,
    next_slot   BIGINT NOT NULL
);
