-- An operator's session keeps the SHA-256 of the admin token that opened
-- it: the session ends when that token is revoked, expires or, for the
-- bootstrap token, is replaced. Sessions opened before have none and are
-- refused: their operator signs in again.
ALTER TABLE portal_grants ADD COLUMN opened_by TEXT NOT NULL DEFAULT '';
