-- The check of the endpoints version a group commit's publishes were
-- fanned out from (migration 013) reads the version as it is now, and
-- keeps it so until the commit: FOR SHARE waits for an endpoint change
-- in progress (which bumps the version first, sqlstore's bumpEndpoints)
-- and reads what it committed, and a change that begins after the check
-- waits for the publish to commit before it reads the deliveries it
-- cancels, parks or releases. Read as of the statement's snapshot
-- (STABLE), a change that committed meanwhile went unseen, and the
-- publish left a pending delivery to a deleted endpoint, or a parked one
-- of an endpoint just enabled.
CREATE OR REPLACE FUNCTION hookd_endpoints_version(expected BIGINT) RETURNS BIGINT
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    current TEXT;
BEGIN
    SELECT value INTO current FROM settings WHERE name = 'endpoints_version' FOR SHARE;
    IF COALESCE(current, '0') <> expected::TEXT THEN
        RAISE EXCEPTION 'the endpoints changed (version % is not %)', COALESCE(current, '0'), expected
            USING ERRCODE = 'HK409';
    END IF;
    RETURN expected;
END
$$;
