-- Tracing: the W3C traceparent of the publish that stored an event (NULL
-- when not traced), so its attempts join the publish's trace on any node.
ALTER TABLE events ADD COLUMN trace_context TEXT;
-- Metrics: parked deliveries (their endpoint is disabled) are counted
-- through this index; it holds only parked rows, so it costs the hot path
-- nothing.
CREATE INDEX deliveries_parked ON deliveries (endpoint_id) WHERE owner = 'parked';
