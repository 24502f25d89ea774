-- Every index of events and attempts is pages that every group commit
-- writes to the log, fsyncs and checkpoints. The created_at and at
-- indexes served only the purge and the whole store's stats, which now
-- find old events by seq (they are appended in the order of their
-- creation) and attempts by the (endpoint_id, at) index, one endpoint at
-- a time (sqlstore/timeless.go).
DROP INDEX events_created;
DROP INDEX attempts_at;
