-- The requests sources accepted, as received (the body byte for byte, the
-- headers but credentials), each written in the transaction of the event
-- it became: one request per event; a replay counts in duplicates.
CREATE TABLE source_requests (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    remote_addr TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    verdict TEXT NOT NULL,
    invalid TEXT NOT NULL,
    duplicates INTEGER NOT NULL DEFAULT 0,
    last_duplicate_at INTEGER
);
CREATE INDEX source_requests_by_source ON source_requests (tenant_id, source_id, id);
CREATE UNIQUE INDEX source_requests_by_event ON source_requests (tenant_id, event_id);
CREATE INDEX source_requests_received ON source_requests (received_at);
