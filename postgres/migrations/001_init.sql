-- hookd schema, PostgreSQL dialect: the same tables, columns and meaning as
-- sqlite/migrations/001_init.sql, so sqlstore's SQL runs unchanged on both.
-- Times are Unix milliseconds (BIGINT); booleans are 0/1 INTEGERs as in SQLite.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL,
    name       TEXT NOT NULL,
    metadata   TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tenants_seq ON tenants (seq);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tokens_tenant ON tokens (tenant_id);

CREATE TABLE endpoints (
    id              TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL,
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
    secrets         BYTEA NOT NULL,
    disabled        INTEGER NOT NULL,
    disabled_reason TEXT NOT NULL,
    failing_since   BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX endpoints_tenant ON endpoints (tenant_id, seq);

CREATE TABLE events (
    seq             BIGSERIAL PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    -- BYTEA, not JSONB: the payload is kept byte for byte as published.
    payload         BYTEA NOT NULL,
    ordering_key    TEXT,
    idempotency_key TEXT,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX events_created ON events (created_at);

-- Delivery ids are UUIDv7: time-ordered, so the id is also the list cursor.
-- COLLATE "C" makes "id < cursor" and ORDER BY id compare bytes, as SQLite
-- does, whatever the database's locale.
CREATE TABLE deliveries (
    id              TEXT COLLATE "C" PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    owner           TEXT,
    first_sent_at   BIGINT,
    last_status     INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- Only unowned pending work is in the due index: deliveries a node holds in
-- memory cost nothing here, and the claim's scan stays short.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending' AND owner IS NULL;
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_event ON deliveries (event_id);
-- Rescue looks for the pending work of dead nodes.
CREATE INDEX deliveries_owner ON deliveries (owner) WHERE state = 'pending' AND owner IS NOT NULL;

CREATE TABLE attempts (
    id          BIGSERIAL PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    n           INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status      INTEGER NOT NULL,
    response    TEXT NOT NULL,
    error_class TEXT NOT NULL,
    error       TEXT NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);
CREATE INDEX attempts_at ON attempts (at);

CREATE TABLE nodes (
    id           TEXT PRIMARY KEY,
    heartbeat_at BIGINT NOT NULL
);

CREATE TABLE event_types (
    name        TEXT COLLATE "C" PRIMARY KEY,
    description TEXT NOT NULL,
    schema      TEXT NOT NULL,
    example     TEXT,
    created_at  BIGINT NOT NULL
);
