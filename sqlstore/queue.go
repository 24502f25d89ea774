package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// earlierOfKey finds a pending delivery of the same endpoint and ordering
// key as the claim's candidate d from an earlier event, where deliveries
// keep their event's seq (Dialect.EventSeq).
const earlierOfKey = `SELECT 1 FROM deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key
	AND p.state = 'pending' AND p.id <> d.id AND p.event_seq < d.event_seq`

// Claim implements hookd.Queue.
func (s *Store) Claim(ctx context.Context, node string, now time.Time, max int, skip []string) ([]*hookd.Job, error) {
	var jobs []*hookd.Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ctx := s.stmtContext(ctx)
		// An ordered delivery is claimable only at the head of its
		// endpoint and key: no delivery of the same endpoint and key
		// from an earlier event is pending (waiting, parked, or in
		// flight on some node).
		inner := `SELECT d.id FROM deliveries d WHERE d.state = 'pending' AND d.owner IS NULL AND d.next_attempt_at <= ?
			AND (d.ordering_key IS NULL OR NOT EXISTS (` + earlierOfKey + `))`
		if !s.d.EventSeq {
			// Deliveries do not keep their event's seq (PostgreSQL): the
			// heads of the keys, the pending delivery of the earliest
			// event of each endpoint and key, are found once per claim,
			// each event read by its id, and a candidate is looked up
			// among them. Asked of each candidate instead (is there an
			// earlier one?), a backlog of a few thousand ordered
			// deliveries cost a claim 4 times as much, and up to a
			// second where PostgreSQL planned to find the candidate's
			// event by scanning the tenant's events after each earlier one.
			inner = `SELECT d.id FROM deliveries d WHERE d.state = 'pending' AND d.owner IS NULL AND d.next_attempt_at <= ?
				AND (d.ordering_key IS NULL OR d.id IN (SELECT DISTINCT ON (p.endpoint_id, p.ordering_key) p.id FROM deliveries p
					WHERE p.state = 'pending' AND p.ordering_key IS NOT NULL
					ORDER BY p.endpoint_id, p.ordering_key, (SELECT pe.seq FROM events pe WHERE ` + s.ofEvent("p", "pe") + `)))`
		}
		args := []any{node, ms(now), ms(now)}
		if len(skip) > 0 {
			inner += ` AND d.endpoint_id NOT IN (?` + strings.Repeat(`, ?`, len(skip)-1) + `)`
			for _, id := range skip {
				args = append(args, id)
			}
		}
		inner += ` ORDER BY d.next_attempt_at LIMIT ?` + s.d.Lock
		args = append(args, max)
		ds, err := s.queryDeliveries(ctx, tx, `UPDATE deliveries SET owner = ?, updated_at = ? WHERE id IN (`+inner+`)
			RETURNING `+deliveryCols, args...)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		// One query for the events of the whole batch (a round trip per
		// event would dominate on PostgreSQL).
		ids := make([]any, len(ds))
		for i, d := range ds {
			ids[i] = d.ID
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT d.id, e.seq, e.tenant_id, e.id, e.type, e.payload, e.ordering_key,
			e.idempotency_key, e.created_at, e.trace_context FROM deliveries d JOIN events e ON `+s.ofEvent("d", "e")+`
			WHERE d.id IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`)`), ids...)
		if err != nil {
			return unavailable(err)
		}
		defer rows.Close()
		byDelivery := make(map[string]*hookd.Event, len(ds))
		shared := map[[2]string]*hookd.Event{} // one Event per tenant and id
		for rows.Next() {
			var did string
			var e hookd.Event
			var ok, ik, tc sql.NullString
			var payload []byte
			var c int64
			if err := rows.Scan(&did, &e.Seq, &e.TenantID, &e.ID, &e.Type, &payload, &ok, &ik, &c, &tc); err != nil {
				return unavailable(err)
			}
			key := [2]string{e.TenantID, e.ID}
			if prev := shared[key]; prev != nil {
				byDelivery[did] = prev
				continue
			}
			e.Payload = payload
			e.OrderingKey, e.IdempotencyKey, e.TraceContext = ok.String, ik.String, tc.String
			e.CreatedAt = fromMS(c)
			shared[key] = &e
			byDelivery[did] = &e
		}
		if err := rows.Err(); err != nil {
			return unavailable(err)
		}
		for _, d := range ds {
			if ev := byDelivery[d.ID]; ev != nil {
				jobs = append(jobs, &hookd.Job{Delivery: d, Event: ev})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives rows in no particular order; oldest due first is
	// the contract.
	slices.SortStableFunc(jobs, func(a, b *hookd.Job) int {
		if c := a.Delivery.NextAttemptAt.Compare(*b.Delivery.NextAttemptAt); c != 0 {
			return c
		}
		return strings.Compare(a.Delivery.ID, b.Delivery.ID)
	})
	return jobs, nil
}

// Rescue implements hookd.Queue.
func (s *Store) Rescue(ctx context.Context, self string, deadline time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET owner = NULL WHERE state = 'pending' AND owner IS NOT NULL
			AND owner <> ? AND owner <> ? AND owner NOT IN (SELECT id FROM nodes WHERE heartbeat_at >= ?)`),
			self, hookd.Parked, ms(deadline))
		if err != nil {
			return unavailable(err)
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM nodes WHERE heartbeat_at < ? AND id <> ?`), ms(deadline), self)
		return unavailable(err)
	})
	return int(n), err
}

// Heartbeat implements hookd.Queue.
func (s *Store) Heartbeat(ctx context.Context, node string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO nodes (id, heartbeat_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`), node, ms(now))
	return unavailable(err)
}

// Nodes implements hookd.Queue.
func (s *Store) Nodes(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM nodes WHERE heartbeat_at >= ?`), ms(since)).Scan(&n)
	return n, unavailable(err)
}

// NextDue implements hookd.Queue.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND owner IS NULL`).Scan(&v)
	if err != nil {
		return time.Time{}, false, unavailable(err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// Purge implements hookd.Queue. It deletes in small transactions so the
// writer is never held for long.
func (s *Store) Purge(ctx context.Context, before time.Time) (int, error) {
	total := 0
	cut := ms(before)
	attempts := `DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE at < ? LIMIT 1000)`
	var newest string // see seq.go
	if s.d.SeqFromMax {
		newest = ` AND seq < (SELECT MAX(seq) FROM events)`
	}
	events := `DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE created_at < ?` + newest + `
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE ` + s.ofEvent("d", "e") + `) LIMIT 1000)`
	if s.d.NoTimeIndexes {
		attempts, events = purgeAttemptsByEndpointSQL, purgeEventsBySeqSQL(newest, s.ofEvent("d", "e"))
	}
	steps := []string{attempts}
	if s.d.FirstAttemptInline {
		steps = append(steps, purgeFirstAttemptsSQL)
	}
	steps = append(steps,
		`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE created_at < ? AND state <> 'pending' LIMIT 1000)`,
		events,
	)
	if s.d.SeqFromMax {
		steps = append(steps, purgeNewestEventSQL(s.ofEvent("d", "events")))
	}
	steps = append(steps,
		// A source's request goes with its event (it stays as long as the event does).
		`DELETE FROM source_requests WHERE id IN (SELECT id FROM source_requests r WHERE received_at < ?
			AND NOT EXISTS (SELECT 1 FROM events e WHERE `+s.ofEvent("r", "e")+`) LIMIT 1000)`,
	)
	for _, q := range steps {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = cut
		}
		for {
			res, err := s.w.ExecContext(ctx, s.q(q), args...)
			if err != nil {
				return total, unavailable(err)
			}
			n, _ := res.RowsAffected()
			total += int(n)
			if n < 1000 {
				break
			}
		}
	}
	return total, nil
}

// ReserveSlots implements hookd.Queue.
func (s *Store) ReserveSlots(ctx context.Context, endpointID string, n int, interval time.Duration, now time.Time) (time.Time, error) {
	span := int64(n) * interval.Microseconds()
	at := now.UnixMicro()
	var next int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return unavailable(tx.QueryRowContext(ctx, s.q(`INSERT INTO endpoint_slots (endpoint_id, next_slot) VALUES (?, ?)
			ON CONFLICT (endpoint_id) DO UPDATE SET next_slot =
				CASE WHEN endpoint_slots.next_slot > ? THEN endpoint_slots.next_slot ELSE ? END + ?
			RETURNING next_slot`), endpointID, at+span, at, at, span).Scan(&next))
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(next - span).UTC(), nil
}
