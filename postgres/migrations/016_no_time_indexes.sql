-- Every index of events and attempts is entries that every group commit
-- inserts, writes to the WAL and checkpoints. The created_at and at
-- indexes served only the purge and the whole store's stats, which find
-- old events by seq (appended in the order of their creation) and
-- attempts by the (endpoint_id, at) index, one endpoint at a time
-- (sqlstore/timeless.go, as on SQLite since its migration 016).
DROP INDEX events_created;
DROP INDEX attempts_at;
