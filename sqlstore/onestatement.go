package sqlstore

import (
	"context"
	"database/sql"
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
// requests of sources repeated (in the batch, or of a stored event) take
// the transaction.

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
// its publish names (Publish.Token, or ”) is still stored, or its source
// still stored as it was read (a source key), and the statement also
// returns the stored tokens and keys (tenant ”). Without publishes
// the statement commits without waiting for the disk, as AsyncCommit does
// in the transaction. With repeats, an event whose id or idempotency key
// is stored already is left out (ON CONFLICT DO NOTHING); without, it
// fails the statement with a unique violation, and nothing is stored.
// With inline (Dialect.FirstAttemptInline), a delivery's first attempt
// may be written into its row (resultsSQL).
func oneStatementSQL(sh oneShape) string {
	pubs, res, version, tokens, repeats := sh.pubs, sh.res, sh.version, sh.tokens, sh.repeats
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
			// The tokens still stored, and the keys (sourceKey) of
			// the sources as they are stored now.
			with = append(with, `tk AS (SELECT hash FROM tokens WHERE hash = ANY(CAST(? AS TEXT[]))
			UNION ALL SELECT '`+sourceKeyPrefix+`' || token_hash || ':' || encode(sha256(data), 'hex') FROM sources
				WHERE token_hash = ANY(CAST(? AS TEXT[])))`)
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
		if sh.requests {
			// The requests of the events that were new (requestColumns);
			// a repeat's count is the transaction's (applyRequests).
			with = append(with, `rq AS (INSERT INTO source_requests (id, tenant_id, source_id, event_id, received_at, remote_addr, headers,
				body, verdict, invalid)
			SELECT v.id, v.t, v.s, v.e, v.r, v.a, v.h, v.b, v.vd, v.iv
			FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]),
				CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BYTEA[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]))
				AS v(id, t, s, e, r, a, h, b, vd, iv)
			JOIN ev ON ev.tenant_id = v.t AND ev.id = v.e)`)
		}
		final = `SELECT tenant_id, id FROM ev`
		if tokens {
			final += ` UNION ALL SELECT '', hash FROM tk`
		}
	}
	if res.results {
		with = append(with, resultsSQL(res)...)
	}
	if res.inline {
		// The deliveries whose first attempt was not kept in their row
		// (tenant NULL; without publishes, one row of NULLs if none).
		notKept := `unnest(CAST(? AS TEXT[]), CAST(? AS BOOLEAN[])) AS nk(id, c)`
		if pubs {
			final += ` UNION ALL SELECT NULL, nk.id FROM ` + notKept + ` WHERE nk.c AND nk.id NOT IN (SELECT id FROM up)`
		} else {
			final = `SELECT NULL, nk.id FROM (` + final + `) AS s LEFT JOIN ` + notKept + ` ON nk.c AND nk.id NOT IN (SELECT id FROM up)`
		}
	}
	return `WITH ` + strings.Join(with, ",\n") + "\n" + final
}

// settleOwner is the owner a result's update gives its delivery: one
// left pending in the store, or parked, is settled against its endpoint's
// state, as settleParked does.
const settleOwner = `owner = CASE WHEN v.state = 'pending' AND (v.o = '' OR v.o = '` + hookd.Parked + `') THEN
		CASE WHEN EXISTS (SELECT 1 FROM endpoints en WHERE en.id = deliveries.endpoint_id AND en.disabled = 1)
		THEN '` + hookd.Parked + `' END
		ELSE NULLIF(v.o, '') END`

// oneShape is what a batch needs of the one statement (oneStatementSQL).
type oneShape struct {
	pubs, version, tokens, repeats, requests bool
	res                                      resultsShape
}

// oneShapes is the number of shapes (oneShape.index).
const oneShapes = 1 << 8

// index numbers the shape, for Store.oneSQL.
func (sh oneShape) index() int {
	i := 0
	for _, b := range []bool{sh.pubs, sh.res.results, sh.res.inline, sh.res.attempts, sh.version, sh.tokens, sh.repeats, sh.requests} {
		i <<= 1
		if b {
			i |= 1
		}
	}
	return i
}

// oneStatement returns oneStatementSQL's text for the shape, as the
// store runs it (s.q), built at the first use of the shape.
func (s *Store) oneStatement(sh oneShape) string {
	i := sh.index()
	if q := s.oneSQL[i].Load(); q != nil {
		return *q
	}
	q := s.q(oneStatementSQL(sh))
	s.oneSQL[i].Store(&q)
	return q
}

// resultsShape says what a batch's results need of the statement:
// whether it has results, whether their first attempts may be kept in
// their deliveries' rows (Dialect.FirstAttemptInline), and whether some
// go to attempts in any case (attempts).
type resultsShape struct{ results, inline, attempts bool }

// resultsSQL returns the WITH clauses of a batch's results
// (resultColumns' arrays): the deliveries' update, one row per delivery
// (its last result; none for a delivery another node has claimed since
// the attempt, stillOwned), and the attempts' insert. With inline, the update of
// a delivery whose first result in the batch is a candidate
// (inlineCandidates) writes that attempt into its row, and is made only
// if the delivery is pending with no attempt recorded, the rule
// applyFirstAttempts follows; the insert takes the later results of the
// deliveries so updated and the results of those without a candidate. A
// delivery whose candidate was not kept is left as it is: the statement
// returns it (oneStatementSQL's final SELECT), and its results are the
// next statement's (applyNotKept).
// One update of deliveries, not two: each table a statement modifies
// costs its opening, with all its indexes, at every commit.
func resultsSQL(res resultsShape) []string {
	set := `state = v.state, attempts = v.n, next_attempt_at = v.next, ` + settleOwner + `,
		first_sent_at = COALESCE(deliveries.first_sent_at, NULLIF(v.first, 0)), last_status = v.st, last_error = v.err, updated_at = v.at`
	updates := `unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]),
			CAST(? AS BIGINT[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[])`
	cols, where, returning := `id, state, n, next, o, first, st, err, at, nd`, ` AND `+stillOwned("deliveries.owner", "v.nd"), ``
	if res.inline {
		keep := func(col, val string) string {
			return `, ` + col + ` = CASE WHEN v.c THEN v.` + val + ` ELSE deliveries.` + col + ` END`
		}
		set += keep("attempt1_at", "a1at") + keep("attempt1_duration_ms", "a1dur") + keep("attempt1_status", "a1st") +
			keep("attempt1_response", "a1resp") + keep("attempt1_error_class", "a1cls") + keep("attempt1_error", "a1err") +
			keep("attempt1_outcome", "a1oc") + keep("attempt1_response_headers", "a1hd")
		updates += `, CAST(? AS BOOLEAN[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS INTEGER[]),
			CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[])`
		cols += `, c, a1at, a1dur, a1st, a1resp, a1cls, a1err, a1oc, a1hd`
		where, returning = where+` AND (NOT v.c OR deliveries.attempts = 0)`, ` RETURNING deliveries.id, v.c`
	}
	with := []string{`up AS (UPDATE deliveries SET ` + set + `
		FROM ` + updates + `) AS v(` + cols + `)
		WHERE deliveries.id = v.id AND deliveries.state = 'pending'` + where + returning + `)`}
	if !res.attempts {
		return with
	}
	insert := `at AS (INSERT INTO attempts (delivery_id, n, at, duration_ms, status, response, error_class, error, tenant_id, outcome,
			response_headers, endpoint_id)
		SELECT v.d, v.n, v.at, v.dur, v.st, v.resp, v.cls, v.err, v.t, ` + attemptOutcome("v.oc", "v.nd", "v.d") + `, v.hd,
			(SELECT endpoint_id FROM deliveries WHERE id = v.d)
		FROM unnest(CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS INTEGER[]),
			CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
			CAST(? AS TEXT[])`
	if res.inline {
		// dc: the delivery has a candidate, inserted only if it was kept.
		return append(with, insert+`, CAST(? AS BOOLEAN[])) AS v(d, n, at, dur, st, resp, cls, err, t, oc, hd, nd, dc)
			WHERE NOT v.dc OR v.d IN (SELECT id FROM up WHERE up.c))`)
	}
	return append(with, insert+`) AS v(d, n, at, dur, st, resp, cls, err, t, oc, hd, nd))`)
}

// applyOne commits b as one statement when the dialect allows it and b
// holds only publishes and attempt results; done reports whether it did.
func (s *Store) applyOne(ctx context.Context, b *hookd.Batch) (done bool, err error) {
	if !s.d.OneStatement || len(b.HandBacks) > 0 || len(b.Health) > 0 || len(b.Publishes)+len(b.Results) == 0 {
		return false, nil
	}
	tokens, requests := false, false
	for _, p := range b.Publishes {
		p.Existing, p.Revoked = nil, false
		tokens = tokens || p.Token != ""
		requests = requests || p.Request != nil
	}
	fresh, dupOf := splitRepeats(b.Publishes)
	for p, prev := range dupOf {
		if p.Token != prev.Token || p.Request != nil {
			// A repeat made with another token than the first of its
			// id in the batch: the transaction checks the tokens
			// before it pairs repeats (refuseRevoked). A source's
			// request repeated: the transaction counts it on the
			// first's (applyRequests).
			return false, nil
		}
	}
	var args []any // in the order of the statement's placeholders
	if len(fresh) > 0 {
		if tokens {
			t, hashes, sources := tokenColumns(fresh)
			args = append(args, hashes, sources)
			args = append(args, eventColumns(fresh)...)
			args = append(args, t)
		} else {
			args = append(args, eventColumns(fresh)...)
		}
		if b.CheckVersion {
			args = append(args, b.EndpointsVersion)
		}
		args = append(args, deliveryColumns(fresh)...)
		if requests {
			cols, err := requestColumns(fresh)
			if err != nil {
				return true, err
			}
			args = append(args, cols...)
		}
	}
	var res resultsShape
	if len(b.Results) > 0 {
		var cols []any
		cols, res = resultColumns(b.Results, s.d.FirstAttemptInline)
		args = append(args, cols...)
	}
	notKept := map[string]bool{} // the deliveries whose first attempt did not go into their row
	// The events are inserted first without ON CONFLICT: a new id is the
	// rule and a repeat the exception (a publisher's retry), and the
	// clause costs every row a probe of both unique indexes before its
	// insert, and a speculative insertion. A repeat fails that statement,
	// which stores nothing, and the batch runs again with the clause.
	inserted := map[[2]string]bool{}
	stored := map[string]bool{} // the tokens the statement found
	var pg interface{ SQLState() string }
	for _, repeats := range []bool{false, true} {
		pubs := len(fresh) > 0
		q := s.oneStatement(oneShape{pubs: pubs, res: res, version: b.CheckVersion, tokens: tokens && pubs, repeats: repeats,
			requests: requests && pubs})
		err = s.retry(ctx, func() error {
			clear(inserted)
			clear(stored)
			clear(notKept)
			rows, err := s.commits.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for (len(fresh) > 0 || res.inline) && rows.Next() {
				var t, id sql.NullString
				if err := rows.Scan(&t, &id); err != nil {
					return err
				}
				k := [2]string{t.String, id.String}
				switch {
				case !t.Valid: // a delivery that did not keep its first attempt, or none (NULL)
					if id.Valid {
						notKept[id.String] = true
					}
					continue
				case k[0] == "": // tenant ids are never empty
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
		if requests {
			// A source's request whose event was stored before: the
			// transaction counts it on the first's. The statement
			// stored nothing.
			return false, nil
		}
	}
	if errors.As(err, &pg) && pg.SQLState() == staleCode {
		return true, hookd.ErrStale
	}
	if err != nil {
		return true, unavailable(err)
	}
	if err := s.applyNotKept(ctx, b.Results, notKept); err != nil {
		return true, err
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

// applyNotKept records the results of the deliveries whose first attempt
// the statement did not keep in their row (not pending, or an attempt
// recorded: another node made it too): all their results, in order, go
// to attempts, with a statement of their own, after the batch's.
func (s *Store) applyNotKept(ctx context.Context, rs []*hookd.Result, notKept map[string]bool) error {
	if len(notKept) == 0 {
		return nil
	}
	var rest []*hookd.Result
	for _, r := range rs {
		if notKept[r.Attempt.DeliveryID] {
			rest = append(rest, r)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	cols, res := resultColumns(rest, false)
	q := s.oneStatement(oneShape{res: res})
	err := s.retry(ctx, func() error {
		_, err := s.commits.ExecContext(ctx, q, cols...)
		return err
	})
	return unavailable(err)
}

// tokenColumns returns the tokens the publishes name, ” for none, and,
// to look up, their credentials (the API tokens' hashes and the token
// hashes of the source keys among them).
func tokenColumns(ps []*hookd.Publish) (t, hashes, sources []string) {
	t = make([]string, len(ps))
	for i, p := range ps {
		t[i] = p.Token
	}
	hashes, sources = credentials(ps)
	return t, nonNil(hashes), nonNil(sources)
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

// requestColumns returns the requests of the publishes that carry one (a
// source's), one array per column of the requests' insert; the statement
// keeps those of the events that were new.
func requestColumns(ps []*hookd.Publish) ([]any, error) {
	var id, tenant, source, event, remote, headers, verdict, invalid []string
	var received []int64
	var body [][]byte
	for _, p := range ps {
		if p.Request == nil {
			continue
		}
		r, h, err := requestRow(p)
		if err != nil {
			return nil, err
		}
		id, tenant, source, event = append(id, r.ID), append(tenant, r.TenantID), append(source, r.SourceID), append(event, r.EventID)
		received, remote, headers, body = append(received, ms(r.ReceivedAt)), append(remote, r.RemoteAddr), append(headers, h), append(body, r.Body)
		verdict, invalid = append(verdict, r.Verdict), append(invalid, r.Invalid)
	}
	return []any{nonNil(id), nonNil(tenant), nonNil(source), nonNil(event), nonNil(received), nonNil(remote), nonNil(headers),
		nonNil(body), nonNil(verdict), nonNil(invalid)}, nil
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

// resultColumns returns the deliveries' updates and the attempts' values,
// one array per column, in the order of oneStatementSQL's placeholders
// for them, and the shape of its results' clauses. A delivery with
// several results in the batch is updated with its last (an UPDATE that
// meets a row twice applies one of them, and which is not defined); with
// inline, that carries the delivery's candidate (inlineCandidates), which
// is not among the attempts.
func resultColumns(rs []*hookd.Result, inline bool) (cols []any, shape resultsShape) {
	shape = resultsShape{results: true, inline: inline}
	last := make(map[string]int, len(rs))
	for i, r := range rs {
		last[r.Attempt.DeliveryID] = i
	}
	var cands map[string]*hookd.Result // a delivery's candidate
	if inline {
		cs := inlineCandidates(rs)
		cands = make(map[string]*hookd.Result, len(cs))
		for _, r := range cs {
			cands[r.Attempt.DeliveryID] = r
		}
	}
	var uID, uState, uOwner, uErr, uNode []string
	var uN, uStatus []int32
	var uNext, uFirst, uAt []int64
	var c []bool
	var a1At, a1Dur []int64
	var a1St []int32
	var a1Resp, a1Cls, a1Err, a1Oc, a1Hd []string
	for i, r := range rs {
		a := r.Attempt
		if last[a.DeliveryID] != i {
			continue
		}
		when, errText, next := resultRow(r)
		uID, uState, uN, uNext = append(uID, a.DeliveryID), append(uState, r.State), append(uN, int32(a.N)), append(uNext, ms(next))
		uOwner, uFirst, uStatus = append(uOwner, r.Owner), append(uFirst, ms(r.FirstSentAt)), append(uStatus, int32(a.Status))
		uErr, uAt, uNode = append(uErr, errText), append(uAt, ms(when)), append(uNode, r.Node)
		if !inline {
			continue
		}
		f, ok := cands[a.DeliveryID]
		if !ok {
			f = &hookd.Result{Attempt: &hookd.Attempt{}}
		}
		fa := f.Attempt
		c, a1At, a1Dur, a1St = append(c, ok), append(a1At, ms(fa.At)), append(a1Dur, fa.DurationMS), append(a1St, int32(fa.Status))
		a1Resp, a1Cls, a1Err, a1Oc = append(a1Resp, fa.Response), append(a1Cls, fa.ErrorClass), append(a1Err, fa.Error), append(a1Oc, outcome(f.State))
		a1Hd = append(a1Hd, string(fa.ResponseHeaders))
	}
	cols = []any{uID, uState, uN, uNext, uOwner, uFirst, uStatus, uErr, uAt, uNode}
	if inline {
		cols = append(cols, c, a1At, a1Dur, a1St, a1Resp, a1Cls, a1Err, a1Oc, a1Hd)
	}
	var dID, resp, cls, errs, tenant, oc, hd, nd []string
	var num, status []int32
	var at, dur []int64
	var dc []bool
	for _, r := range rs {
		a := r.Attempt
		cand, has := cands[a.DeliveryID]
		if cand == r {
			continue
		}
		dID, num, at, dur, status = append(dID, a.DeliveryID), append(num, int32(a.N)), append(at, ms(a.At)), append(dur, a.DurationMS), append(status, int32(a.Status))
		resp, cls, errs, tenant, oc = append(resp, a.Response), append(cls, a.ErrorClass), append(errs, a.Error), append(tenant, r.TenantID), append(oc, outcome(r.State))
		hd, nd = append(hd, string(a.ResponseHeaders)), append(nd, r.Node)
		dc = append(dc, has)
	}
	if shape.attempts = len(dID) > 0 || !inline; shape.attempts {
		cols = append(cols, nonNil(dID), nonNil(num), nonNil(at), nonNil(dur), nonNil(status), nonNil(resp), nonNil(cls), nonNil(errs), nonNil(tenant), nonNil(oc), nonNil(hd), nonNil(nd))
		if inline {
			cols = append(cols, dc)
		}
	}
	if inline { // the final SELECT's, after the other clauses'
		cols = append(cols, uID, c)
	}
	return cols, shape
}

// nonNil makes an empty column an empty array rather than NULL (unnest of
// NULL is no rows too, but an empty array says what is meant).
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
