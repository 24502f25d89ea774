-- The acknowledged positions of an endpoint's named feed consumers: the
-- cursor after which their next pull starts.
CREATE TABLE feed_positions (
    tenant_id   TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    consumer    TEXT NOT NULL,
    cursor_text TEXT NOT NULL,
    -- the cursor event's sequence: the position holds once it is purged
    seq         INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, consumer)
);
CREATE INDEX feed_positions_tenant ON feed_positions (tenant_id);
