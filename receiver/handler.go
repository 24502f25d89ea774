package receiver

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// HandlerFunc processes one verified webhook. Returning an error answers
// 500, so that the sender retries; the webhook is then not marked as seen
// and the retry runs the func again.
type HandlerFunc func(ctx context.Context, w *Webhook) error

// SeenStore remembers the webhooks a Handler has processed, by key (the
// profile, a colon and Webhook.ID). Implementations backed by a database
// or cache let several receiver processes share it; errors from Seen
// answer 500 (the sender retries), errors from Mark are logged.
type SeenStore interface {
	// Seen reports whether key was marked and has not expired.
	Seen(ctx context.Context, key string) (bool, error)
	// Mark records key as processed.
	Mark(ctx context.Context, key string) error
}

// Defaults of the in-memory SeenStore that NewHandler installs.
const (
	// DefaultSeenSize bounds the number of ids remembered.
	DefaultSeenSize = 100_000
	// DefaultSeenTTL outlasts every profile's retry schedule (standard's
	// last retry comes about 28 hours, up to ~33 with jitter, after the
	// first try).
	DefaultSeenTTL = 48 * time.Hour
)

// Handler is an http.Handler that receives webhooks of one profile:
// it verifies each request, skips duplicates and dispatches by event
// type. Its answers:
//
//	200  processed; or a duplicate of a processed webhook (the func is not
//	     called again); or a type with no func (acknowledged, ignored)
//	400  malformed headers or body
//	401  missing or bad signature, timestamp outside tolerance
//	405  not a POST
//	409  the same webhook is being processed right now (the sender retries)
//	413  body over the Verifier's MaxBodyBytes
//	500  the func failed, the SeenStore failed, or the Verifier is
//	     misconfigured: the sender retries
//
// Register funcs with On and OnAny before serving.
type Handler struct {
	// Seen remembers processed webhooks. NewHandler sets an in-memory
	// store (DefaultSeenSize, DefaultSeenTTL), which is per process:
	// behind several replicas, use a shared store. Nil disables
	// deduplication.
	Seen SeenStore
	// Logger receives rejected requests and failed funcs; nil means
	// slog.Default().
	Logger *slog.Logger

	v        *Verifier
	mu       sync.Mutex
	funcs    map[string]HandlerFunc
	fallback HandlerFunc
	inflight map[string]bool
}

// NewHandler returns a Handler that verifies with v.
func NewHandler(v *Verifier) *Handler {
	return &Handler{
		Seen:     NewMemorySeen(DefaultSeenSize, DefaultSeenTTL),
		v:        v,
		funcs:    make(map[string]HandlerFunc),
		inflight: make(map[string]bool),
	}
}

// On registers fn for one event type, as on the wire ("payment.created").
// A later call for the same type replaces the func.
func (h *Handler) On(eventType string, fn HandlerFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.funcs[eventType] = fn
}

// OnAny registers fn for every event type that has no func of its own.
func (h *Handler) OnAny(fn HandlerFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fallback = fn
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// MaxBytesReader, unlike a plain limit, also makes the server close
	// the connection instead of draining an oversized body.
	r.Body = http.MaxBytesReader(rw, r.Body, h.v.maxBody())
	wh, err := h.v.VerifyRequest(r)
	if err != nil {
		code := statusOf(err)
		h.logger().LogAttrs(r.Context(), levelOf(code), "webhook rejected",
			slog.String("profile", string(h.v.Profile)), slog.Int("status", code), slog.Any("err", err))
		msg := err.Error()
		if code == http.StatusInternalServerError {
			msg = "internal error" // a configuration problem is not the sender's business
		}
		http.Error(rw, msg, code)
		return
	}

	ctx := r.Context()
	var key string
	if wh.ID != "" {
		key = string(wh.Profile) + ":" + wh.ID
		if !h.begin(key) {
			http.Error(rw, "already being processed", http.StatusConflict)
			return
		}
		defer h.end(key)
		if h.Seen != nil {
			seen, err := h.Seen.Seen(ctx, key)
			if err != nil {
				h.logger().LogAttrs(ctx, slog.LevelError, "webhook seen store failed",
					slog.String("event", wh.ID), slog.Any("err", err))
				http.Error(rw, "internal error", http.StatusInternalServerError)
				return
			}
			if seen {
				rw.WriteHeader(http.StatusOK)
				return
			}
		}
	}

	fn := h.lookup(wh.Type)
	if fn == nil {
		rw.WriteHeader(http.StatusOK)
		return
	}
	if err := fn(ctx, wh); err != nil {
		h.logger().LogAttrs(ctx, slog.LevelError, "webhook func failed",
			slog.String("event", wh.ID), slog.String("type", wh.Type), slog.Any("err", err))
		http.Error(rw, "processing failed", http.StatusInternalServerError)
		return
	}
	// Marked only now: a webhook whose processing failed must run again
	// when the sender retries it.
	if key != "" && h.Seen != nil {
		if err := h.Seen.Mark(ctx, key); err != nil {
			h.logger().LogAttrs(ctx, slog.LevelWarn, "webhook seen store failed",
				slog.String("event", wh.ID), slog.Any("err", err))
		}
	}
	rw.WriteHeader(http.StatusOK)
}

func (h *Handler) lookup(typ string) HandlerFunc {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fn := h.funcs[typ]; fn != nil {
		return fn
	}
	return h.fallback
}

// begin claims key for processing; false means another request holds it.
// A sender that timed out retries while the first request may still be
// running; the claim keeps the func from running twice at once.
func (h *Handler) begin(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inflight[key] {
		return false
	}
	h.inflight[key] = true
	return true
}

func (h *Handler) end(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.inflight, key)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// statusOf maps an error of VerifyRequest to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrMissingHeader), errors.Is(err, ErrBadSignature), errors.Is(err, ErrTimestamp):
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

// levelOf logs rejections of senders at Warn and our own failures at
// Error.
func levelOf(code int) slog.Level {
	if code >= 500 {
		return slog.LevelError
	}
	return slog.LevelWarn
}

// MemorySeen is an in-memory SeenStore: a bounded set whose keys expire
// after a TTL, the oldest dropped first when full. It is safe for
// concurrent use.
type MemorySeen struct {
	mu   sync.Mutex
	size int
	ttl  time.Duration
	now  func() time.Time
	ll   *list.List // of seenEntry, most recently marked first
	keys map[string]*list.Element
}

type seenEntry struct {
	key string
	at  time.Time
}

// NewMemorySeen returns a MemorySeen holding at most size keys (at least
// 1), each for ttl (0: until pushed out by newer ones).
func NewMemorySeen(size int, ttl time.Duration) *MemorySeen {
	return &MemorySeen{
		size: max(size, 1),
		ttl:  ttl,
		now:  time.Now,
		ll:   list.New(),
		keys: make(map[string]*list.Element),
	}
}

// Seen implements SeenStore.
func (m *MemorySeen) Seen(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.keys[key]
	if !ok {
		return false, nil
	}
	if m.expired(e.Value.(seenEntry), m.now()) {
		m.ll.Remove(e)
		delete(m.keys, key)
		return false, nil
	}
	return true, nil
}

// Mark implements SeenStore.
func (m *MemorySeen) Mark(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.keys[key]; ok {
		e.Value = seenEntry{key, now}
		m.ll.MoveToFront(e)
	} else {
		m.keys[key] = m.ll.PushFront(seenEntry{key, now})
	}
	// Every key lives as long, so the oldest are at the back: drop the
	// expired ones and whatever exceeds the bound.
	for e := m.ll.Back(); e != nil; e = m.ll.Back() {
		se := e.Value.(seenEntry)
		if m.ll.Len() <= m.size && !m.expired(se, now) {
			break
		}
		m.ll.Remove(e)
		delete(m.keys, se.key)
	}
	return nil
}

// Len returns the number of keys held, expired ones included until they
// are dropped.
func (m *MemorySeen) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ll.Len()
}

func (m *MemorySeen) expired(se seenEntry, now time.Time) bool {
	return m.ttl > 0 && now.Sub(se.at) > m.ttl
}
