-- A delivery's first attempt is kept in its own row, written by the update
-- that records the attempt's result, instead of a row of attempts: the
-- attempts table, its AUTOINCREMENT and its two indexes were ~6 of the ~32
-- pages a group commit of 12 deliveries writes to the log, fsyncs and
-- checkpoints. Later attempts (and a first one that finds its delivery
-- finished or its slot taken) go to attempts as before, and so do the
-- attempts recorded before this migration: nothing is moved. The stats
-- read the first attempts through this partial index, which holds only
-- deliveries that have one (sqlstore: Dialect.FirstAttemptInline).
ALTER TABLE deliveries ADD COLUMN attempt1_at INTEGER;
ALTER TABLE deliveries ADD COLUMN attempt1_duration_ms INTEGER;
ALTER TABLE deliveries ADD COLUMN attempt1_status INTEGER;
ALTER TABLE deliveries ADD COLUMN attempt1_response TEXT;
ALTER TABLE deliveries ADD COLUMN attempt1_error_class TEXT;
ALTER TABLE deliveries ADD COLUMN attempt1_error TEXT;
ALTER TABLE deliveries ADD COLUMN attempt1_outcome TEXT;
CREATE INDEX deliveries_attempt1 ON deliveries (endpoint_id, attempt1_at, tenant_id, attempt1_outcome, attempt1_duration_ms)
    WHERE attempt1_at IS NOT NULL;
