package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookd/hookd"
)

// insertRequestsSQL inserts n sources' requests; with eventSeq each also
// gets its event's seq (Dialect.EventSeq), looked up by its tenant and
// event id, its second and fourth values (numbered parameters, of its own
// row).
func insertRequestsSQL(n int, eventSeq bool) string {
	return batchSQL("requests", n, eventSeq, func() string {
		const cols = `INSERT INTO source_requests (id, tenant_id, source_id, event_id, received_at, remote_addr, headers, body, verdict, invalid`
		if !eventSeq {
			return cols + `) VALUES ` + rowsSQL(n, "", "", "", "", "", "", "", "", "", "")
		}
		var b strings.Builder
		b.WriteString(cols + `, event_seq) VALUES `)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			base := 10 * i
			fmt.Fprintf(&b, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, %s)", eventSeqOf(fmt.Sprintf("?%d", base+2), fmt.Sprintf("?%d", base+4)))
		}
		return b.String()
	})
}

// applyRequests stores, with the events of a batch, the requests sources
// received them as: a request for each event inserted, and for each
// repeat (its event existed, or came earlier in the batch) one more in the
// first request's duplicate count, if the same source received it: an
// event that only has the repeat's id came from elsewhere (another source,
// or the API), and its request, if any, is not counted (the caller
// publishes the webhook again under an id of its own). The inserts go
// first, so a repeat within the batch finds its first request.
func (s *Store) applyRequests(ctx context.Context, tx *sql.Tx, ps []*hookd.Publish) error {
	var fresh, repeats []*hookd.Publish
	for _, p := range ps {
		switch {
		case p.Request == nil, p.Revoked: // a refused publish stores nothing
		case p.Existing == nil:
			fresh = append(fresh, p)
		default:
			repeats = append(repeats, p)
		}
	}
	for start := 0; start < len(fresh); {
		part := fresh[start : start+s.chunk(len(fresh)-start)]
		start += len(part)
		args := make([]any, 0, 10*len(part))
		for _, p := range part {
			r, headers, err := requestRow(p)
			if err != nil {
				return err
			}
			args = append(args, r.ID, r.TenantID, r.SourceID, r.EventID, ms(r.ReceivedAt), r.RemoteAddr, headers,
				r.Body, r.Verdict, r.Invalid)
		}
		if err := s.exec(ctx, tx, insertRequestsSQL(len(part), s.d.EventSeq), args...); err != nil {
			return unavailable(err)
		}
	}
	for _, p := range repeats {
		cond, args := s.byEvent(p.Existing.TenantID, p.Existing.ID)
		if err := s.exec(ctx, tx, `UPDATE source_requests SET duplicates = duplicates + 1, last_duplicate_at = ? WHERE `+cond+` AND source_id = ?`,
			append(append([]any{ms(p.Request.ReceivedAt)}, args...), p.Request.SourceID)...); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// requestRow readies the request of p to be stored with p's event: it
// takes the event's tenant and id, and a body (never NULL); headers is
// the header as stored (JSON).
func requestRow(p *hookd.Publish) (r *hookd.SourceRequest, headers string, err error) {
	r = p.Request
	r.TenantID, r.EventID = p.Event.TenantID, p.Event.ID
	if r.Body == nil {
		r.Body = []byte{}
	}
	h, err := json.Marshal(r.Header)
	return r, string(h), err
}

const requestCols = `id, tenant_id, source_id, event_id, received_at, remote_addr, headers, body, verdict, invalid, duplicates, last_duplicate_at`

func scanRequest(row interface{ Scan(...any) error }) (*hookd.SourceRequest, error) {
	var r hookd.SourceRequest
	var received int64
	var last sql.NullInt64
	var headers string
	if err := row.Scan(&r.ID, &r.TenantID, &r.SourceID, &r.EventID, &received, &r.RemoteAddr, &headers, &r.Body,
		&r.Verdict, &r.Invalid, &r.Duplicates, &last); err != nil {
		return nil, err
	}
	r.ReceivedAt = fromMS(received)
	if last.Valid {
		t := fromMS(last.Int64)
		r.LastDuplicateAt = &t
	}
	r.Header = http.Header{}
	if err := json.Unmarshal([]byte(headers), &r.Header); err != nil {
		return nil, err
	}
	if r.Body == nil {
		r.Body = []byte{}
	}
	return &r, nil
}

// SourceRequests implements hookd.Store: newest first (ids are UUIDv7,
// in time order), after the cursor.
func (s *Store) SourceRequests(ctx context.Context, tenantID, sourceID string, p hookd.Page) ([]*hookd.SourceRequest, error) {
	q := `SELECT ` + requestCols + ` FROM source_requests WHERE tenant_id = ? AND source_id = ?`
	args := []any{tenantID, sourceID}
	if p.After != "" {
		q += ` AND id < ?`
		args = append(args, p.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	rows, err := s.r.QueryContext(ctx, s.q(q), append(args, limit(p))...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []*hookd.SourceRequest{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, r)
	}
	return out, unavailable(rows.Err())
}

// SourceRequest implements hookd.Store.
func (s *Store) SourceRequest(ctx context.Context, tenantID, id string) (*hookd.SourceRequest, error) {
	r, err := scanRequest(s.r.QueryRowContext(ctx, s.q(`SELECT `+requestCols+` FROM source_requests WHERE id = ? AND tenant_id = ?`), id, tenantID))
	return r, notFound(err)
}

// EventSourceRequest implements hookd.Store.
func (s *Store) EventSourceRequest(ctx context.Context, tenantID, eventID string) (*hookd.SourceRequest, error) {
	cond, args := s.byEvent(tenantID, eventID)
	r, err := scanRequest(s.r.QueryRowContext(ctx, s.q(`SELECT `+requestCols+` FROM source_requests WHERE `+cond), args...))
	return r, notFound(err)
}
