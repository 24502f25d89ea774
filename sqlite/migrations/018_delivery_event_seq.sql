-- A delivery keeps its event's seq, and the index that finds an event's
-- deliveries is on that seq instead of the event's id. Event ids are the
-- publishers' own, as often as not random (UUIDv4): an index on them
-- takes each new entry on a page of its own, which every group commit
-- writes to the log, fsyncs and checkpoints (112 of the 423 pages of a
-- commit of 100 publishes with random ids and keys). Seqs are handed out
-- in the order of the commits, so the new entries go at the index's end,
-- a page or two per commit. The seq is also the events table's rowid, so
-- a delivery's event is one rowid look-up away (sqlstore's
-- Dialect.EventSeq).
ALTER TABLE deliveries ADD COLUMN event_seq INTEGER;
UPDATE deliveries SET event_seq = (SELECT e.seq FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id);
CREATE INDEX deliveries_event_seq ON deliveries (event_seq);
DROP INDEX deliveries_event;
