-- The Standard Webhooks scheme an endpoint signs with: v1 (HMAC-SHA256) or
-- v1a (ed25519). Endpoints made before sign v1.
ALTER TABLE endpoints ADD COLUMN signature TEXT NOT NULL DEFAULT 'v1';
