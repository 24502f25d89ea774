-- attempts.delivery_id compares bytes, as deliveries.id does (COLLATE "C",
-- migration 001): deleting a tenant deletes its attempts by
-- "delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ?)", and
-- with the two columns in different collations the planner could not use
-- attempts_delivery for it and read the whole of attempts. Changing the
-- collation keeps the rows as they are and rebuilds attempts_delivery.
ALTER TABLE attempts ALTER COLUMN delivery_id TYPE TEXT COLLATE "C";
