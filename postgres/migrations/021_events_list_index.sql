-- The events list (sqlstore/reads.go, Store.Events) reads a tenant's
-- events newest first in the feed's order, (xid, seq) backward, on the
-- feed's index events_tenant_xid_seq (migration 020), so events_tenant_seq
-- (tenant_id, seq) serves no statement any more: the tenant's delete finds
-- its rows by either index on tenant_id, the purge walks events_pkey. It
-- cost every group commit one B-tree entry per event. SQLite keeps it (its
-- list is by seq).
DROP INDEX IF EXISTS events_tenant_seq;
