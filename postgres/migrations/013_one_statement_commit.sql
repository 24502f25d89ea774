-- A group commit of publishes and attempt results is one statement
-- (sqlstore's onestatement.go). Each event it inserts returns
-- hookd_endpoints_version(the version its deliveries were fanned out
-- from), which raises HK409 when the endpoints changed since: the whole
-- statement, its own transaction, is then rolled back and the node fans
-- the batch out again from a fresh endpoint cache.
CREATE OR REPLACE FUNCTION hookd_endpoints_version(expected BIGINT) RETURNS BIGINT
LANGUAGE plpgsql STABLE AS $$
DECLARE
    current TEXT;
BEGIN
    SELECT value INTO current FROM settings WHERE name = 'endpoints_version';
    IF COALESCE(current, '0') <> expected::TEXT THEN
        RAISE EXCEPTION 'the endpoints changed (version % is not %)', COALESCE(current, '0'), expected
            USING ERRCODE = 'HK409';
    END IF;
    RETURN expected;
END
$$;
