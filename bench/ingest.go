package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"time"
)

// LeanSecret is the webhook secret of the bench's Lean source: the work of
// verifying is what is measured, not the key.
const LeanSecret = "hookd-bench-lean-secret-0123456789"

// leanBody is event i as Lean sends it: type, message, payload, timestamp
// and event_id (the event's id at hookd, so the sink's arrivals name it).
func leanBody(i int, payload []byte, random bool) []byte {
	b := make([]byte, 0, len(payload)+160)
	b = append(b, `{"type":"bench.event","message":"A bench event occurred.","payload":`...)
	b = append(b, payload...)
	b = append(b, `,"timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","event_id":"`...)
	b = append(b, EventID(i, random)...)
	return append(b, `"}`...)
}

// leanPoster posts events first..first+n-1 to a source's ingest URL as
// Lean sends its webhooks, signed here with Lean's recipe (lean-signature:
// sha512= and the hex of HMAC-SHA512(secret, body)), not by hookd's code.
// Like a provider, it sends a webhook again after a 429, a 5xx or a
// network error (a few times); it returns how many were never answered 200.
func leanPoster(ctx context.Context, hc *http.Client, url string, payload []byte, random bool) func(first, n int) int {
	return func(first, n int) int {
		bad := 0
		for i := first; i < first+n; i++ {
			body := leanBody(i, payload, random)
			m := hmac.New(sha512.New, []byte(LeanSecret))
			m.Write(body)
			sig := "sha512=" + hex.EncodeToString(m.Sum(nil))
			ok := false
			for try := 0; try < 5 && !ok && ctx.Err() == nil; try++ {
				if try > 0 {
					time.Sleep(time.Duration(try) * 50 * time.Millisecond)
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					return n
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Lean-Signature", sig)
				res, err := hc.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				ok = res.StatusCode == http.StatusOK
				if !ok && res.StatusCode != http.StatusTooManyRequests && res.StatusCode < 500 {
					break // refused: sending it again changes nothing
				}
			}
			if !ok {
				bad++
			}
		}
		return bad
	}
}

// onTarget returns an ingest URL with its scheme and host replaced by a
// target's (nodes share sources).
func onTarget(ingestURL, target string) string {
	if i := strings.Index(ingestURL, "/ingest/"); i >= 0 {
		return strings.TrimSuffix(target, "/") + ingestURL[i:]
	}
	return ingestURL
}
