-- Ordered delivery per key: a delivery to an endpoint with ordering "key"
-- carries its event's ordering key; while one such delivery is pending, the
-- later ones of the same endpoint and key are not claimed.
ALTER TABLE deliveries ADD COLUMN ordering_key TEXT;
CREATE INDEX deliveries_ordered ON deliveries (endpoint_id, ordering_key) WHERE state = 'pending' AND ordering_key IS NOT NULL;
