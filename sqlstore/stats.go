package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/hookd/hookd"
)

// EndpointStats implements hookd.Store. The database walks one range of
// the attempts' (endpoint_id, at) index (the whole store's: of the at
// index, or one range of each endpoint's, see timeless.go) and groups by bucket and duration: the rows returned are as many
// as the distinct (bucket, duration) pairs, not the attempts, and the
// percentiles are ranked here from those counts. Each attempt carries the
// outcome it gave its delivery, so no delivery is read.
func (s *Store) EndpointStats(ctx context.Context, tenantID, endpointID string, q hookd.StatsQuery) (*hookd.Stats, error) {
	since, iv := ms(q.Since), q.Interval.Milliseconds()
	n := int(q.BucketCount())
	st := &hookd.Stats{Buckets: make([]hookd.StatsBucket, n)}
	for i := range st.Buckets {
		st.Buckets[i].Start = q.Since.Add(time.Duration(i) * q.Interval).UTC()
	}
	query := statsSelect + ` FROM attempts WHERE at >= ? AND at < ?`
	args := []any{since, iv, since, ms(q.Until)}
	switch {
	case (endpointID != "" || tenantID != "") && s.d.FirstAttemptInline:
		query, args = endpointStatsInlineSQL, []any{since, iv, since, ms(q.Until), endpointID, tenantID, since, ms(q.Until), endpointID, tenantID}
	case endpointID != "" || tenantID != "":
		query += ` AND endpoint_id = ? AND tenant_id = ?`
		args = append(args, endpointID, tenantID)
	case s.d.NoTimeIndexes:
		query, args = wholeStoreStatsSQL(s.d.FirstAttemptInline), []any{since, iv, since, ms(q.Until), since, ms(q.Until)}
		if s.d.FirstAttemptInline {
			args = append(args, since, ms(q.Until))
		}
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` GROUP BY 1, 2 ORDER BY 1, 2`), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	durs := make([][]hookd.DurationCount, n)
	var all []hookd.DurationCount
	for rows.Next() {
		var b, dur, count, ok, failed int64
		if err := rows.Scan(&b, &dur, &count, &ok, &failed); err != nil {
			return nil, unavailable(err)
		}
		if b < 0 || b >= int64(n) {
			continue // cannot happen with the window's bounds; never index out of range
		}
		bk := &st.Buckets[b]
		bk.Attempts += count
		bk.Succeeded += ok
		bk.Failed += failed
		durs[b] = append(durs[b], hookd.DurationCount{DurationMS: dur, Count: count})
		all = append(all, hookd.DurationCount{DurationMS: dur, Count: count})
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	for i := range st.Buckets {
		bk := &st.Buckets[i]
		bk.P50MS, bk.P99MS = hookd.Percentile(durs[i], 50), hookd.Percentile(durs[i], 99)
		st.Totals.Attempts += bk.Attempts
		st.Totals.Succeeded += bk.Succeeded
		st.Totals.Failed += bk.Failed
	}
	st.Totals.P50MS, st.Totals.P99MS = hookd.Percentile(sortDurations(all), 50), hookd.Percentile(all, 99)
	return st, nil
}

// sortDurations sorts and merges duration counts in place.
func sortDurations(dc []hookd.DurationCount) []hookd.DurationCount {
	slices.SortFunc(dc, func(a, b hookd.DurationCount) int { return cmp.Compare(a.DurationMS, b.DurationMS) })
	return dc
}
