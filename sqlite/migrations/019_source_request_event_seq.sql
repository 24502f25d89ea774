-- A source's request keeps its event's seq, and the unique index that
-- finds an event's request is on that seq instead of the event's id, as
-- for deliveries (migration 018): providers' event ids are random as
-- often as not, and an index on them took a page of its own for every
-- request a group commit wrote.
ALTER TABLE source_requests ADD COLUMN event_seq INTEGER;
UPDATE source_requests SET event_seq = (SELECT e.seq FROM events e WHERE e.tenant_id = source_requests.tenant_id AND e.id = source_requests.event_id);
CREATE UNIQUE INDEX source_requests_event_seq ON source_requests (event_seq);
DROP INDEX source_requests_by_event;
