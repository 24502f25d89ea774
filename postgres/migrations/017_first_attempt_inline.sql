-- A delivery's first attempt is kept in its own row, written by the update
-- that records the attempt's result (and rewrites the row anyway: the
-- update is never HOT, its indexes hold state, owner and next_attempt_at),
-- instead of a row of attempts: a heap tuple and three index entries
-- (attempts_pkey, attempts_delivery, attempts_endpoint) for every delivery,
-- where the row's first attempt costs one entry of the partial index below.
-- Later attempts (and a first one that finds its delivery finished or its
-- slot taken) go to attempts as before, and so do the attempts recorded
-- before this migration: nothing is moved. As SQLite's migration 017
-- (sqlstore: Dialect.FirstAttemptInline).
ALTER TABLE deliveries ADD COLUMN attempt1_at BIGINT;
ALTER TABLE deliveries ADD COLUMN attempt1_duration_ms BIGINT;
ALTER TABLE deliveries ADD COLUMN attempt1_status INTEGER;
ALTER TABLE deliveries ADD COLUMN attempt1_response TEXT;
ALTER TABLE deliveries ADD COLUMN attempt1_error_class TEXT;
ALTER TABLE deliveries ADD COLUMN attempt1_error TEXT;
ALTER TABLE deliveries ADD COLUMN attempt1_outcome TEXT;
CREATE INDEX deliveries_attempt1 ON deliveries (endpoint_id, attempt1_at, tenant_id, attempt1_outcome, attempt1_duration_ms)
    WHERE attempt1_at IS NOT NULL;
