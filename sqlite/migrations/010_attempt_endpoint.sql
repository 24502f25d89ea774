-- Stats: each attempt names its tenant and endpoint and, when it ended its
-- delivery, the outcome (succeeded or failed), so an endpoint's figures are
-- one range of the (endpoint_id, at) index, which covers the query, with no
-- join to deliveries.
ALTER TABLE attempts ADD COLUMN tenant_id TEXT;
ALTER TABLE attempts ADD COLUMN endpoint_id TEXT;
ALTER TABLE attempts ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
UPDATE attempts SET
    tenant_id = (SELECT d.tenant_id FROM deliveries d WHERE d.id = attempts.delivery_id),
    endpoint_id = (SELECT d.endpoint_id FROM deliveries d WHERE d.id = attempts.delivery_id),
    outcome = COALESCE((SELECT d.state FROM deliveries d WHERE d.id = attempts.delivery_id AND d.attempts = attempts.n
        AND d.state IN ('succeeded', 'failed')), '');
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, at, tenant_id, outcome, duration_ms);
