-- Sources: a tenant's inbound webhook addresses. The ingest token is kept
-- as a hash (and the previous one's, during a rotation's grace); the
-- secrets and credentials are sealed in data, with the other settings.
CREATE TABLE sources (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    prev_token_hash TEXT,
    prev_token_until INTEGER,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX sources_token ON sources (token_hash);
CREATE INDEX sources_prev_token ON sources (prev_token_hash);
-- The error log of rejected requests, bounded per source by the writer.
CREATE TABLE source_errors (
    tenant_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    id TEXT NOT NULL PRIMARY KEY,
    at INTEGER NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX source_errors_by_source ON source_errors (tenant_id, source_id, at);
