package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookd/hookd/delivery"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TracingOptions configure tracing.
type TracingOptions struct {
	// Endpoint is the OTLP/HTTP collector: its base URL
	// (http://localhost:4318, to which /v1/traces is added) or the full
	// traces URL. "" turns tracing off.
	Endpoint string
	// Sample is the share of traces started here that are recorded, 0 to
	// 1; a publisher's traceparent decides for its own trace.
	Sample float64
	Log    *slog.Logger
	// Exporter, if set, replaces the OTLP exporter (tests); spans are
	// then exported as they end.
	Exporter sdktrace.SpanExporter
}

// Tracing records OpenTelemetry spans: one per API request (continuing the
// caller's traceparent), one per group commit of a traced publish, and one
// per attempt, as a child of the publish span. The publish's trace context
// is stored with the event, so an attempt made hours later or on another
// node joins the same trace. A nil *Tracing traces nothing.
type Tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TraceContext
}

var _ delivery.Observer = (*Tracing)(nil)

// CheckTracing refuses a collector URL that is not http(s) (the empty
// endpoint turns tracing off) and a sample share outside 0 to 1, with
// errors naming the flags.
func CheckTracing(endpoint string, sample float64) error {
	if sample < 0 || sample > 1 {
		return fmt.Errorf("--otel-sample %v: want a share from 0 to 1", sample)
	}
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--otel-endpoint %q: want an http(s) URL such as http://localhost:4318", endpoint)
	}
	return nil
}

// StartTracing returns the tracer, or nil when tracing is off.
func StartTracing(ctx context.Context, o TracingOptions) (*Tracing, error) {
	if o.Endpoint == "" && o.Exporter == nil {
		return nil, nil
	}
	if err := CheckTracing(o.Endpoint, o.Sample); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	var batch sdktrace.TracerProviderOption
	if o.Exporter != nil {
		batch = sdktrace.WithSyncer(o.Exporter)
	} else {
		u, _ := url.Parse(o.Endpoint) // checked above
		if u.Path == "" || u.Path == "/" {
			u.Path = "/v1/traces"
		}
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
		if err != nil {
			return nil, fmt.Errorf("--otel-endpoint: %w", err)
		}
		batch = sdktrace.WithBatcher(exp)
		o.Log.Info("tracing on", "otlp", u.String(), "sample", o.Sample)
	}
	tp := sdktrace.NewTracerProvider(batch,
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.Sample))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "hookd"))))
	return &Tracing{tp: tp, tracer: tp.Tracer("github.com/hookd/hookd")}, nil
}

// Shutdown exports the spans still buffered and stops.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// Middleware starts a server span for each API request (under /v1/),
// continuing the traceparent the caller sent; it is named after the route
// pattern once the mux has matched one.
func (t *Tracing) Middleware(next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		if r.Pattern != "" {
			span.SetName(r.Pattern)
			span.SetAttributes(attribute.String("http.route", r.Pattern))
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	})
}

// TraceContext implements delivery.Observer: the traceparent of the span
// in ctx, sampled or not (the attempts follow the publish's decision).
func (t *Tracing) TraceContext(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	t.prop.Inject(ctx, c)
	return c["traceparent"]
}

// parent returns a context carrying the stored trace context tc.
func (t *Tracing) parent(tc string) context.Context {
	ctx := context.Background()
	if tc == "" {
		return ctx
	}
	return t.prop.Extract(ctx, propagation.MapCarrier{"traceparent": tc})
}

// Attempted implements delivery.Observer: a client span for the attempt,
// a child of the publish span whose trace context the event carries.
func (t *Tracing) Attempted(a *delivery.AttemptInfo) {
	var tc string
	if a.Event != nil {
		tc = a.Event.TraceContext
	}
	_, span := t.tracer.Start(t.parent(tc), "hookd.attempt", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(a.Start), trace.WithAttributes(
			attribute.String("hookd.tenant", a.Delivery.TenantID),
			attribute.String("hookd.endpoint", a.Endpoint.ID),
			attribute.String("hookd.delivery", a.Delivery.ID),
			attribute.String("hookd.event", a.Delivery.EventID),
			attribute.Int("hookd.attempt", a.Attempt.N),
			attribute.String("hookd.profile", a.Profile),
			attribute.String("hookd.outcome", a.Outcome),
			attribute.String("hookd.state", a.State),
			attribute.Int("http.response.status_code", a.Attempt.Status),
		))
	if a.Outcome != delivery.OutcomeSuccess {
		span.SetStatus(codes.Error, a.Attempt.Error)
	}
	span.End(trace.WithTimestamp(a.End))
}

// Committed implements delivery.Observer: a span for the group commit under
// each traced publish it made durable (one per trace context: a batch
// publish shares one).
func (t *Tracing) Committed(c *delivery.CommitInfo) {
	var seen map[string]bool
	for _, p := range c.Publishes {
		tc := p.Event.TraceContext
		if tc == "" || seen[tc] {
			continue
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[tc] = true
		end := time.Now()
		_, span := t.tracer.Start(t.parent(tc), "hookd.commit", trace.WithTimestamp(end.Add(-c.Duration)),
			trace.WithAttributes(attribute.Int("hookd.commit.rows", c.Rows), attribute.Int("hookd.commit.publishes", len(c.Publishes))))
		if c.Err != nil {
			span.SetStatus(codes.Error, c.Err.Error())
		}
		span.End(trace.WithTimestamp(end))
	}
}
