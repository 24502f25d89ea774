-- The feed (sqlstore/feed.go) reads an endpoint's events in (xid, seq)
-- order (migration 019). With no index in that order, a page joined all of
-- the endpoint's deliveries with their events and sorted them: a page at
-- the head cost more the more the endpoint had. This index gives the order
-- within a tenant, as events_tenant_seq gave it by seq: a page walks the
-- tenant's events from the cursor, probes each one's delivery for the
-- endpoint (deliveries_event) and stops after a page. The tenant comes
-- first so that a tenant's feed never walks the other tenants' events
-- (the statement names the tenant; the row comparison on (xid, seq)
-- bounds the walk after it).
--
-- Migrations run in a transaction (sqlstore.Migrate), where CREATE INDEX
-- CONCURRENTLY is refused: this one blocks the writes to events while it
-- builds. An operator with a big events table can build the index
-- beforehand, without blocking, under the same name:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS events_tenant_xid_seq ON events (tenant_id, xid, seq);
-- and this migration then finds it. A concurrent build that failed leaves
-- an invalid index of that name behind: it is dropped and built again.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('events_tenant_xid_seq') AND NOT indisvalid) THEN
        DROP INDEX events_tenant_xid_seq;
    END IF;
END
$$;
CREATE INDEX IF NOT EXISTS events_tenant_xid_seq ON events (tenant_id, xid, seq);
