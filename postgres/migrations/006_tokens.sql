-- Tokens as a resource: an id to list and revoke them by, a kind (tenant or
-- admin), a name, an optional expiry and when each was last used (written at
-- most once a minute per token). Tokens made before get an id here.
ALTER TABLE tokens ADD COLUMN id TEXT;
ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'tenant';
ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN last_used_at BIGINT;
UPDATE tokens SET id = 'tok_' || gen_random_uuid()::text;
ALTER TABLE tokens ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX tokens_id ON tokens (id);
-- Lists: one kind (and tenant), oldest first.
CREATE INDEX tokens_list ON tokens (kind, tenant_id, created_at, id);
