-- The portal's credentials: links the operator mints and the sessions
-- opened with them or with the admin token, each under the SHA-256 of its
-- token. Revoking a tenant's links deletes its rows at once.
CREATE TABLE portal_grants (
    hash         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    tenant_id    TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX portal_grants_tenant ON portal_grants (tenant_id);
