package sqlstore

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/hookd/hookd"
)

// A group commit of publishes and attempt results, the writer's every
// batch under load, is one statement where the dialect allows it
// (Dialect.OneStatement, PostgreSQL): data-modifying WITH clauses insert
// the events, the deliveries of the events that were new (a join on what
// the events' insert returned, so a repeated id or key inserts nothing),
// the attempts, and update the deliveries the attempts were made for, and
// the rows travel as one array per column, so the statement's text is the
// same whatever the batch's size and is prepared once per connection. Run
// outside a transaction block it is its own transaction: one round trip
// and one commit, where BEGIN, a statement per table and COMMIT took five.
//
// It writes what applyPublishes and applyResults write (the conformance
// suite runs both paths); batches with hand-backs, health changes or the
// requests of sources take the transaction.

// uniqueCode is PostgreSQL's unique_violation: the statement without ON
// CONFLICT met an event id or idempotency key stored before.
const uniqueCode = "23505"

// staleCode is the SQLSTATE of hookd_endpoints_version (postgres migration
// 013), raised when a batch inserts an event while the store's endpoints
// version is not the one its deliveries were fanned out from; the raise
// rolls the whole statement back.
const staleCode = "HK409"

// oneStatementSQL returns the statement for a batch with publishes
// (pubs), with results (res), or both; with version, an inserted event
// checks the endpoints version (once: an uncorrelated subquery is run
// when first needed); with tokens, an event is inserted only if the token
// its publish names (Publish.Token, or ”) is still stored, and the
// statement also returns the stored tokens (tenant ”). Without publishes
// the statement commits without waiting for the disk, as AsyncCommit does
// in the transaction. With repeats, an event whose id or idempotency key
// is stored already is left out (ON CONFLICT DO NOTHING); without, it
// fails the statement with a unique violation, and nothing is stored.
func oneStatementSQL(pubs, res, version, tokens, repeats bool) string {
	var with []string
	final := `SELECT set_config('synchronous_commit', 'off', true)`
	if pubs {
		check, cols := ``, `) AS v(t, i, ty, p, ok, ik, c, tc, x)`
		if version {
			check = `, (SELECT hookd_endpoints_version(CAST(? AS BIGINT)))`
		}
		conflict := ``
		if repeats {
			conflict = `ON CONFLICT DO NOTHING `
		}
		if tokens {
			with = append(with, `tk AS (SELECT hash FROM tokens WHERE hash = ANY(CAST(? AS TEXT[])))`)
			cols = `, CAST(? AS TEXT[])) AS v(t, i, ty, p, ok, ik, c, tc, x, h) WHERE v.h = '' OR v.h IN (SELECT hash FROM tk)`
		}
		with = append(with, `ev AS (INSERT INTO events (tenant_id, id, type, payload, ordering_key, idempotency_key, created_at, trace_context, is_test)
			SELECT v.t, v.i, v.ty, v.p, NULLIF(v.ok, ''), NULLIF(v.ik, ''), v.c, NULLIF(v.tc, ''), v.x
			FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BYTEA[]), CAST(? AS TEXT[]),
				CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS INTEGER[])`+cols+`
			`+conflict+`RETURNING tenant_id, id`+check+`)`,
			// A parked delivery whose endpoint is enabled as the
			// store knows it is left unowned, as settleParked does.
			`dl AS (INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at, owner, created_at, updated_at,
				ordering_key, state, attempts, first_sent_at, last_status, last_error)
			SELECT v.id, v.t, v.e, v.ep, v.ty, v.next,
				CASE WHEN v.o = '`+hookd.Parked+`' AND NOT EXISTS (SELECT 1 FROM endpoints en WHERE en.id = v.ep AND en.disabled = 1)
					THEN NULL ELSE NULLIF(v.o, '') END,
				v.c, v.u, NULLIF(v.ok, ''), 'pending', 0, NULL, 0, ''
			FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
				CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]))
				AS v(id, t, e, ep, ty, next, o, c, u, ok)
			JOIN ev ON ev.tenant_id = v.t AND ev.id = v.e)`)
		final = `SELECT tenant_id, id FROM ev`
		if tokens {
			final += ` UNION ALL SELECT '', hash FROM tk`
		}
	}
	if res {
		with = append(with, `at AS (INSERT INTO attempts (delivery_id, n, at, duration_ms, status, response, error_class, error, tenant_id, outcome, endpoint_id)
			SELECT v.d, v.n, v.at, v.dur, v.st, v.resp, v.cls, v.err, v.t, v.oc, (SELECT endpoint_id FROM deliveries WHERE id = v.d)
			FROM unnest(CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS INTEGER[]),
				CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]))
				AS v(d, n, at, dur, st, resp, cls, err, t, oc))`,
			// A delivery left pending in the store, or parked, is
			// settled against its endpoint's state, as settleParked does.
			`up AS (UPDATE deliveries SET state = v.state, attempts = v.n, next_attempt_at = v.next,
				owner = CASE WHEN v.state = 'pending' AND (v.o = '' OR v.o = '`+hookd.Parked+`') THEN
					CASE WHEN EXISTS (SELECT 1 FROM endpoints en WHERE en.id = deliveries.endpoint_id AND en.disabled = 1)
					THEN '`+hookd.Parked+`' END
					ELSE NULLIF(v.o, '') END,
				first_sent_at = COALESCE(deliveries.first_sent_at, NULLIF(v.first, 0)), last_status = v.st, last_error = v.err, updated_at = v.at
			FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]),
				CAST(? AS BIGINT[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]))
				AS v(id, state, n, next, o, first, st, err, at)
			WHERE deliveries.id = v.id AND deliveries.state = 'pending')`)
	}
	return `WITH ` + strings.Join(with, ",\n") + "\n" + final
}

// applyOne commits b as one statement when the dialect allows it and b
// holds only publishes and attempt results; done reports whether it did.
func (s *Store) applyOne(ctx context.Context, b *hookd.Batch) (done bool, err error) {
	if !s.d.OneStatement || len(b.HandBacks) > 0 || len(b.Health) > 0 || len(b.Publishes)+len(b.Results) == 0 {
		return false, nil
	}
	for _, p := range b.Publishes {
		if p.Request != nil { // a source's request, stored with its event by applyRequests
			return false, nil
		}
	}
	tokens := false
	for _, p := range b.Publishes {
		p.Existing, p.Revoked = nil, false
		tokens = tokens || p.Token != ""
	}
	fresh, dupOf := splitRepeats(b.Publishes)
	for p, prev := range dupOf {
		if p.Token != prev.Token {
			// A repeat made with another token than the first of its
			// id in the batch: the transaction checks the tokens
			// before it pairs repeats (refuseRevoked).
			return false, nil
		}
	}
	var args []any // in the order of the statement's placeholders
	if len(fresh) > 0 {
		if tokens {
			t := tokenColumn(fresh)
			args = append(args, t)
			args = append(args, eventColumns(fresh)...)
			args = append(args, t)
		} else {
			args = append(args, eventColumns(fresh)...)
		}
		if b.CheckVersion {
			args = append(args, b.EndpointsVersion)
		}
		args = append(args, deliveryColumns(fresh)...)
	}
	if len(b.Results) > 0 {
		args = append(args, resultColumns(b.Results)...)
	}
	// The events are inserted first without ON CONFLICT: a new id is the
	// rule and a repeat the exception (a publisher's retry), and the
	// clause costs every row a probe of both unique indexes before its
	// insert, and a speculative insertion. A repeat fails that statement,
	// which stores nothing, and the batch runs again with the clause.
	inserted := map[[2]string]bool{}
	stored := map[string]bool{} // the tokens the statement found
	var pg interface{ SQLState() string }
	for _, repeats := range []bool{false, true} {
		q := s.q(oneStatementSQL(len(fresh) > 0, len(b.Results) > 0, b.CheckVersion, tokens && len(fresh) > 0, repeats))
		err = s.retry(ctx, func() error {
			clear(inserted)
			clear(stored)
			rows, err := s.commits.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for len(fresh) > 0 && rows.Next() {
				var k [2]string
				if err := rows.Scan(&k[0], &k[1]); err != nil {
					return err
				}
				if k[0] == "" { // tenant ids are never empty
					stored[k[1]] = true
					continue
				}
				inserted[k] = true
			}
			return rows.Err()
		})
		if len(fresh) == 0 || !errors.As(err, &pg) || pg.SQLState() != uniqueCode {
			break
		}
	}
	if errors.As(err, &pg) && pg.SQLState() == staleCode {
		return true, hookd.ErrStale
	}
	if err != nil {
		return true, unavailable(err)
	}
	if tokens && len(s.keepStored(b.Publishes, stored)) < len(b.Publishes) {
		// Nothing of a refused publish was stored; it answers no repeat
		// (its repeats in the batch share its token: refused too).
		fresh = slices.DeleteFunc(fresh, func(p *hookd.Publish) bool { return p.Revoked })
		maps.DeleteFunc(dupOf, func(p, _ *hookd.Publish) bool { return p.Revoked })
	}
	// The events whose id or key was used before are answered with what
	// the first publish stored, read now that the statement committed.
	_, err = s.answerRepeats(ctx, s.w, fresh, dupOf, inserted)
	return true, err
}

// tokenColumn returns the tokens the publishes name, ” for none.
func tokenColumn(ps []*hookd.Publish) []string {
	t := make([]string, len(ps))
	for i, p := range ps {
		t[i] = p.Token
	}
	return t
}

// eventColumns returns the events' values, one array per column of the
// events insert.
func eventColumns(ps []*hookd.Publish) []any {
	n := len(ps)
	tenant, id, typ, okey, ikey, trace := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	payload, created, test := make([][]byte, n), make([]int64, n), make([]int32, n)
	for i, p := range ps {
		ev := p.Event
		tenant[i], id[i], typ[i], payload[i] = ev.TenantID, ev.ID, ev.Type, []byte(ev.Payload)
		okey[i], ikey[i], created[i], trace[i] = ev.OrderingKey, ev.IdempotencyKey, ms(ev.CreatedAt), ev.TraceContext
		if ev.Test {
			test[i] = 1
		}
	}
	return []any{tenant, id, typ, payload, okey, ikey, created, trace, test}
}

// deliveryColumns returns the deliveries of the publishes, one array per
// column of the deliveries insert; the statement keeps those of the
// events that were new.
func deliveryColumns(ps []*hookd.Publish) []any {
	var id, tenant, event, endpoint, typ, owner, okey []string
	var next, created, updated []int64
	for _, p := range ps {
		for _, d := range p.Deliveries {
			id, tenant, event, endpoint = append(id, d.ID), append(tenant, d.TenantID), append(event, d.EventID), append(endpoint, d.EndpointID)
			typ, owner, okey = append(typ, d.EventType), append(owner, d.Owner), append(okey, d.OrderingKey)
			next, created, updated = append(next, ms(*d.NextAttemptAt)), append(created, ms(d.CreatedAt)), append(updated, ms(d.UpdatedAt))
		}
	}
	return []any{nonNil(id), nonNil(tenant), nonNil(event), nonNil(endpoint), nonNil(typ), nonNil(next), nonNil(owner),
		nonNil(created), nonNil(updated), nonNil(okey)}
}

// resultColumns returns the attempts' values and the deliveries' updates,
// one array per column; a delivery with several results in the batch is
// updated with its last (an UPDATE that meets a row twice applies one of
// them, and which is not defined).
func resultColumns(rs []*hookd.Result) []any {
	n := len(rs)
	dID, resp, cls, errs, tenant, oc := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	num, status := make([]int32, n), make([]int32, n)
	at, dur := make([]int64, n), make([]int64, n)
	last := make(map[string]int, n)
	for i, r := range rs {
		a := r.Attempt
		dID[i], num[i], at[i], dur[i], status[i] = a.DeliveryID, int32(a.N), ms(a.At), a.DurationMS, int32(a.Status)
		resp[i], cls[i], errs[i], tenant[i], oc[i] = a.Response, a.ErrorClass, a.Error, r.TenantID, outcome(r.State)
		last[a.DeliveryID] = i
	}
	var uID, uState, uOwner, uErr []string
	var uN, uStatus []int32
	var uNext, uFirst, uAt []int64
	for i, r := range rs {
		a := r.Attempt
		if last[a.DeliveryID] != i {
			continue
		}
		when, errText, next := resultRow(r)
		uID, uState, uN, uNext = append(uID, a.DeliveryID), append(uState, r.State), append(uN, int32(a.N)), append(uNext, ms(next))
		uOwner, uFirst, uStatus = append(uOwner, r.Owner), append(uFirst, ms(r.FirstSentAt)), append(uStatus, int32(a.Status))
		uErr, uAt = append(uErr, errText), append(uAt, ms(when))
	}
	return []any{dID, num, at, dur, status, resp, cls, errs, tenant, oc,
		uID, uState, uN, uNext, uOwner, uFirst, uStatus, uErr, uAt}
}

// nonNil makes an empty column an empty array rather than NULL (unnest of
// NULL is no rows too, but an empty array says what is meant).
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
