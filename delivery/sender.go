package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookd/hookd"
)

// UserAgent is sent with every webhook.
const UserAgent = hookd.UserAgent

// policy returns the endpoint's delivery policy: the profile's, with the
// endpoint's own timeout and retry schedule where it sets them, and the
// engine's bound on Retry-After.
func policy(p hookd.Profile, ep *hookd.Endpoint, cfg *Config) hookd.Policy {
	pol := p.Policy()
	if ep.TimeoutMS > 0 {
		pol.Timeout = time.Duration(ep.TimeoutMS) * time.Millisecond
	}
	if len(ep.RetrySchedule) > 0 {
		pol.Schedule = make([]time.Duration, len(ep.RetrySchedule))
		for i, d := range ep.RetrySchedule {
			pol.Schedule[i] = time.Duration(d)
		}
		pol.FromFirst = false
	}
	pol.RetryAfterMax = cfg.RetryAfterMax
	return pol
}

// attempt makes one try of a delivery and queues its result for the writer.
func (e *Engine) attempt(q *queue, ep *hookd.Endpoint, j *job) {
	now := e.cfg.Clock.Now()
	prof, pol, ready := e.ready(ep, j, now)
	if !ready {
		return
	}
	wait, err := q.slot(ep, now)
	if err != nil {
		// No slot could be reserved (storage fault): hand it back
		// rather than risk exceeding the limit.
		e.enqueue(context.Background(), &writeOp{handBacks: []hookd.HandBack{{DeliveryID: j.d.ID, At: now, NextAttemptAt: now.Add(time.Second), Node: e.cfg.Node}}})
		return
	}
	if wait > 0 {
		// The endpoint may be disabled, deleted or changed while the
		// delivery waits for its request slot (at a low rate, long
		// after it was taken from the queue): the wait ends when it is
		// disabled or deleted, and the attempt is made, or not, on the
		// endpoint as it is then.
		cur := q.awaitSlot(time.Now().Add(wait))
		now = e.cfg.Clock.Now()
		if cur != ep {
			ep = cur
			if prof, pol, ready = e.ready(ep, j, now); !ready {
				return
			}
		}
	}
	n := j.d.Attempts + 1
	first := now
	if j.d.FirstSentAt != nil {
		first = *j.d.FirstSentAt
	}
	due := now
	if j.d.NextAttemptAt != nil {
		due = *j.d.NextAttemptAt
	}
	a := &hookd.Attempt{DeliveryID: j.d.ID, N: n, At: now}
	status, retryAfter, err := e.send(prof, ep, j, n, now, pol.Timeout, a)
	end := e.cfg.Clock.Now()
	if err != nil && e.ctx.Err() != nil {
		// Cut off by shutdown: no verdict on the endpoint; hand the
		// delivery back to be sent again.
		e.enqueue(context.Background(), &writeOp{handBacks: []hookd.HandBack{{DeliveryID: j.d.ID, At: end, NextAttemptAt: end, Node: e.cfg.Node}}})
		return
	}
	a.DurationMS = end.Sub(now).Milliseconds()
	e.stats.Attempts.Add(1)

	r := &hookd.Result{Attempt: a, TenantID: j.d.TenantID, At: end, FirstSentAt: first, Node: e.cfg.Node}
	ok := err == nil && hookd.Success(status)
	gone := err == nil && status == http.StatusGone
	switch {
	case ok:
		r.State = hookd.StateSucceeded
		e.stats.Delivered.Add(1)
	case gone:
		r.State = hookd.StateFailed
		e.stats.Failed.Add(1)
	default:
		// status is 0 when no answer came: retried while tries are left,
		// unless this is a requeued delivery's one more attempt.
		if delay, more := pol.Retry(n, status, retryAfter, first, now, end, e.cfg.Rand()); more && !requeued(&pol, j.d) {
			r.State = hookd.StatePending
			r.NextAttemptAt = end.Add(delay)
			e.stats.Retried.Add(1)
		} else {
			r.State = hookd.StateFailed
			e.stats.Failed.Add(1)
		}
	}
	obs := r
	if r.State != hookd.StatePending && q.endpoint() == nil {
		// The endpoint was deleted while the attempt ran: the store
		// canceled the delivery (counted as such) and keeps it so; the
		// attempt did not end it.
		c := *r
		c.State = hookd.StateCanceled
		obs = &c
	}
	e.observeAttempt(ep, prof, j, a, obs, due)
	// Keep the in-memory copy in step for a later try from memory.
	j.d.Attempts = n
	j.d.FirstSentAt = &first
	op := &writeOp{results: []*hookd.Result{r}, kick: j.d.OrderingKey != "" && r.State != hookd.StatePending}
	if h := q.health(ok, gone, end, e.cfg.DisableAfter); h != nil {
		op.health = []*hookd.EndpointHealth{h}
		if h.Disable {
			q.disable(h.DisabledReason)
			e.log.Warn("endpoint disabled", "tenant", ep.TenantID, "endpoint", ep.ID, "reason", h.DisabledReason)
		}
	}
	if h := op.health; len(h) > 0 && h[0].Disable {
		e.disabling.Store(h[0], ep) // announced once committed (commit)
	}
	e.enqueue(context.Background(), op)
}

// requeued reports whether d, pending, was made so by hand (a retry or a
// recover) after its last try ended it: a success, a 410 or a status the
// policy makes final. (A delivery that ran out of tries has none left
// anyway.) Such a delivery gets one more attempt, with no new schedule:
// if that attempt fails too, the delivery is failed again (docs/api.md).
func requeued(pol *hookd.Policy, d *hookd.Delivery) bool {
	s := d.LastStatus
	return d.Attempts > 0 && s != 0 &&
		(hookd.Success(s) || s == http.StatusGone || (pol.Retryable != nil && !pol.Retryable(s)))
}

// ready returns the profile and the policy of an attempt at ep, or false
// when none is to be made: the endpoint was deleted (the store canceled
// the delivery), is disabled (the delivery is parked, to wait in the
// store until the endpoint is enabled), or names a profile this node does
// not know (the delivery fails).
func (e *Engine) ready(ep *hookd.Endpoint, j *job, now time.Time) (hookd.Profile, hookd.Policy, bool) {
	if ep == nil {
		return nil, hookd.Policy{}, false
	}
	if ep.Disabled {
		e.enqueue(context.Background(), &writeOp{handBacks: []hookd.HandBack{{DeliveryID: j.d.ID, At: now, NextAttemptAt: now, Owner: hookd.Parked, Node: e.cfg.Node}}})
		return nil, hookd.Policy{}, false
	}
	prof, err := e.cfg.Profiles(ep.Profile)
	if err != nil {
		e.unknownProfile(ep, j, now, err)
		return nil, hookd.Policy{}, false
	}
	return prof, policy(prof, ep, &e.cfg), true
}

// unknownProfile fails a delivery whose endpoint names a profile this node
// does not know (a store written by a newer version, or by hand), rather
// than leave it owned and forgotten: no request is made, the attempt
// records why, and the log says so. Once the endpoint's profile is fixed,
// recover sends it.
func (e *Engine) unknownProfile(ep *hookd.Endpoint, j *job, now time.Time, err error) {
	e.log.Error("delivery failed: its endpoint has an unknown profile", "tenant", ep.TenantID, "endpoint", ep.ID,
		"delivery", j.d.ID, "err", err)
	first := now
	if j.d.FirstSentAt != nil {
		first = *j.d.FirstSentAt
	}
	a := &hookd.Attempt{DeliveryID: j.d.ID, N: j.d.Attempts + 1, At: now, ErrorClass: hookd.ClassConnect,
		Error: storable("not sent: " + err.Error())}
	e.stats.Failed.Add(1)
	e.enqueue(context.Background(), &writeOp{results: []*hookd.Result{{Attempt: a, TenantID: j.d.TenantID,
		At: now, FirstSentAt: first, State: hookd.StateFailed, Node: e.cfg.Node}}, kick: j.d.OrderingKey != ""})
}

// emitDisabled publishes the operational event hookd.endpoint.disabled into
// the endpoint's tenant, for the endpoints that subscribe to it. Its id is
// made of the endpoint and the version of it that was disabled, so nodes
// that disable the same endpoint at once publish it once.
func (e *Engine) emitDisabled(ep *hookd.Endpoint, h *hookd.EndpointHealth) {
	payload, err := json.Marshal(hookd.EndpointDisabledPayload{EndpointID: ep.ID, URL: ep.URL, Reason: h.DisabledReason,
		DisabledAt: h.At.UTC(), FailingSince: h.FailingSince})
	if err != nil {
		return
	}
	ev := &hookd.Event{ID: fmt.Sprintf("endpoint-disabled-%s-%d", ep.ID, ep.UpdatedAt.UnixMilli()), TenantID: ep.TenantID,
		Type: hookd.EndpointDisabled, Payload: payload, CreatedAt: h.At.UTC()}
	if _, err := e.Publish(e.ctx, []*hookd.Event{ev}, ""); err != nil && e.ctx.Err() == nil {
		e.log.Warn("could not publish the operational event", "type", ev.Type, "endpoint", ep.ID, "err", err)
	}
}

// send makes the HTTP request of one attempt and fills in a's status,
// response excerpt and error. It returns the status and, for 429 and 503,
// the delay the endpoint asked for with Retry-After.
func (e *Engine) send(prof hookd.Profile, ep *hookd.Endpoint, j *job, n int, now time.Time, timeout time.Duration, a *hookd.Attempt) (int, time.Duration, error) {
	body, err := bodyOf(prof, j)
	if err != nil {
		a.ErrorClass, a.Error = hookd.ClassConnect, storable("cannot build body: "+err.Error())
		return 0, 0, err
	}
	h := headers.Get().(http.Header)
	defer func() {
		clear(h)
		headers.Put(h)
	}()
	ep.SetRequestHeaders(h, prof, &hookd.Message{Event: j.ev, DeliveryID: j.d.ID, Attempt: n, At: now}, body)
	resp, done, err := e.post(ep.URL, h, body, timeout)
	defer done()
	if err != nil {
		a.ErrorClass, a.Error = classify(err), storable(err.Error())
		return 0, 0, err
	}
	defer resp.Body.Close()
	a.Status, a.ResponseHeaders = resp.StatusCode, hookd.HeaderLinesOf(resp.Header)
	var rerr error
	a.Response, rerr = readExcerpt(resp.Body, e.cfg.ResponseDrain)
	if !hookd.Success(resp.StatusCode) {
		a.ErrorClass = hookd.ClassStatus
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	if rerr != nil && hookd.Success(resp.StatusCode) && errors.Is(rerr, context.DeadlineExceeded) {
		// The answer was a success; a body that never ends does not
		// change that, but it is noted.
		a.Error = "response body not read to the end before the timeout"
	}
	return resp.StatusCode, retryAfter, nil
}

// headers are the request headers of attempts, cleared and reused (the
// transport has written them out when the request returns). Sized 8: the
// framing, the profile's headers and a few custom ones fit a map's one
// group, quicker to fill, iterate and clear than a larger table (an
// endpoint with more grows its map, which is kept).
var headers = sync.Pool{New: func() any { return make(http.Header, 8) }}

// post sends the request, on the engine's Transport directly when its
// client is one on a Transport and nothing else (no cookie jar, no
// timeout of its own): no http.Request, no context for the timeout.
// Errors read as http.Client's do. done ends the request once its body
// has been read.
func (e *Engine) post(rawURL string, h http.Header, body []byte, timeout time.Duration) (resp *http.Response, done func(), err error) {
	c := e.cfg.Client
	if t, ok := c.Transport.(*Transport); ok && c.Jar == nil && c.Timeout == 0 {
		resp, err := t.post(e.ctx, time.Now().Add(timeout), rawURL, h, body)
		if err != nil {
			return nil, nop, &url.Error{Op: "Post", URL: rawURL, Err: err}
		}
		return resp, nop, nil
	}
	ctx, cancel := context.WithTimeout(e.ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, nop, err
	}
	req.Header = h.Clone() // h goes back to its pool when send returns
	resp, err = c.Do(req)
	if err != nil {
		cancel()
		return nil, nop, err
	}
	return resp, cancel, nil
}

func nop() {}

// readExcerpt reads the first ResponseExcerptLimit bytes of an answer,
// then up to drain bytes more so that the connection can be used again.
func readExcerpt(r io.Reader, drain int64) (string, error) {
	bp := excerpts.Get().(*[hookd.ResponseExcerptLimit]byte)
	defer excerpts.Put(bp)
	buf := bp[:]
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return excerptText(buf[:n], n == len(buf)), nil
		}
		if err != nil {
			return excerptText(buf[:n], n == len(buf)), err
		}
	}
	excerpt := excerptText(buf, true)
	for drain > 0 {
		m, err := r.Read(buf[:min(int64(len(buf)), drain)])
		drain -= int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return excerpt, err
		}
	}
	return excerpt, nil
}

// storable makes an error's text fit any store's text column: valid UTF-8
// without NUL (an error may quote what a receiver sent).
func storable(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// excerpts are the buffers answers are read into.
var excerpts = sync.Pool{New: func() any { return new([hookd.ResponseExcerptLimit]byte) }}

// excerptText makes the recorded text of an answer's first bytes b (at most
// ResponseExcerptLimit), valid UTF-8 and no longer than the limit: when cut
// (b is the limit's worth of a longer answer, or may be), a character the
// cut split is left out rather than replaced; other invalid bytes, and
// NUL, which PostgreSQL's text refuses (a receiver's NUL once failed every
// commit of the node that recorded it), become U+FFFD, a run of them one,
// as far as the limit leaves room.
func excerptText(b []byte, cut bool) string {
	if cut {
		// The last character's start is among the last 4 bytes.
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	if utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 {
		return string(b)
	}
	const repl = "\uFFFD"
	out := make([]byte, 0, hookd.ResponseExcerptLimit)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != 0 && (r != utf8.RuneError || size > 1) {
			if len(out)+size > hookd.ResponseExcerptLimit {
				break
			}
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		if len(out)+len(repl) > hookd.ResponseExcerptLimit {
			break
		}
		out = append(out, repl...)
		for i < len(b) {
			if r, size := utf8.DecodeRune(b[i:]); r != 0 && (r != utf8.RuneError || size > 1) {
				break
			}
			i++
		}
	}
	return string(out)
}

// parseRetryAfter reads delay-seconds or an HTTP date. Delay-seconds is
// any run of digits: more seconds than a time.Duration holds is the
// longest wait, which the policy's bound then cuts (as it cuts a far date).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, int64(math.MaxInt64/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// classify names the error class of a request that got no answer.
func classify(err error) string {
	if errors.Is(err, hookd.ErrBlocked) {
		return hookd.ClassBlocked
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return hookd.ClassTimeout
	}
	var (
		rh  tls.RecordHeaderError
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		ale tls.AlertError
	)
	if errors.As(err, &rh) || errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &ale) {
		return hookd.ClassTLS
	}
	return hookd.ClassConnect
}
