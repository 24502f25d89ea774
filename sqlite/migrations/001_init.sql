-- hookd schema, SQLite dialect. Times are Unix milliseconds.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    name       TEXT NOT NULL,
    metadata   TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX tenants_seq ON tenants (seq);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX tokens_tenant ON tokens (tenant_id);

CREATE TABLE endpoints (
    id              TEXT PRIMARY KEY,
    seq             INTEGER NOT NULL,
    tenant_id       TEXT NOT NULL,
    url             TEXT NOT NULL,
    profile         TEXT NOT NULL,
    event_types     TEXT NOT NULL,
    description     TEXT NOT NULL,
    rate_limit      INTEGER NOT NULL,
    ordering        TEXT NOT NULL,
    headers         TEXT,
    timeout_ms      INTEGER NOT NULL,
    retry_schedule  TEXT,
    secrets         BLOB NOT NULL,
    disabled        INTEGER NOT NULL,
    disabled_reason TEXT NOT NULL,
    failing_since   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX endpoints_tenant ON endpoints (tenant_id, seq);

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    payload         BLOB NOT NULL,
    ordering_key    TEXT,
    idempotency_key TEXT,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX events_created ON events (created_at);

-- Delivery ids are UUIDv7: time-ordered, so the id is also the list cursor.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    owner           TEXT,
    first_sent_at   INTEGER,
    last_status     INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;
-- Only unowned pending work is in the due index: deliveries a node holds in
-- memory cost nothing here.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending' AND owner IS NULL;
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_event ON deliveries (event_id);

CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL,
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    response    TEXT NOT NULL,
    error_class TEXT NOT NULL,
    error       TEXT NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);
CREATE INDEX attempts_at ON attempts (at);

CREATE TABLE nodes (
    id           TEXT PRIMARY KEY,
    heartbeat_at INTEGER NOT NULL
);

CREATE TABLE event_types (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    schema      TEXT NOT NULL,
    example     TEXT,
    created_at  INTEGER NOT NULL
);
