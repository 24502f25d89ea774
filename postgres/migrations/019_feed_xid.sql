-- The feed reads an endpoint's events in the order of the transactions
-- that stored them, up to the oldest still in flight (sqlstore/feed.go,
-- Dialect.FeedXid). By seq alone, a consumer reading at the head could get
-- seq 6, committed, while seq 5 was still in flight, go on after 6 and
-- never see 5. So each event keeps its transaction's id. The events stored
-- before, all committed, get 0 and stay first, in seq order: the column
-- is added with a constant default, which rewrites no row, and only then
-- takes the inserting transaction's id for new rows (no insert names it).
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE events ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
-- A consumer's position keeps its event's place whole: the xid beside the
-- seq, 0 for the positions of events stored before.
ALTER TABLE feed_positions ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
