package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// runEndpoint runs hookd endpoint VERB.
func runEndpoint(ctx context.Context, args []string) error {
	return runGroup(ctx, "endpoint", "Endpoints: a tenant's URLs, the event types they want and how they are signed.", []verb{
		{"create", "URL", "register an endpoint; its secret is shown this once", endpointCreate},
		{"list", "", "list a tenant's endpoints, oldest first", endpointList},
		{"get", "ID", "show an endpoint", endpointGet},
		{"update", "ID", "change the options given as flags", endpointUpdate},
		{"delete", "ID", "delete an endpoint", endpointDelete},
		{"rotate", "ID", "give an endpoint a new secret; the old one signs for the grace period", endpointRotate},
		{"enable", "ID", "resume a disabled endpoint", endpointEnable},
		{"disable", "ID", "pause an endpoint; its deliveries wait, parked", endpointDisable},
		{"recover", "ID", "requeue the endpoint's failed deliveries of a time range", endpointRecover},
		{"test", "ID", "send the catalog example of a type to this endpoint only", endpointTest},
		{"stats", "ID", "deliveries, attempts and latency per interval", endpointStats},
		{"feed", "ID", "read the events meant for the endpoint, oldest first, as hookd sends them: a page, or --all", endpointFeed},
		{"feed-ack", "ID", "record a consumer's position in the feed: its next feed --consumer starts after it", endpointFeedAck},
	}, args)
}

// endpointOpts are the flags of an endpoint's options (create, update).
type endpointOpts struct {
	url, profile, types, description, ordering, retry, signature *string
	rateLimit, timeoutMS                                         *int
	headers                                                      headerFlag
}

// addEndpointOpts adds them; update also takes --endpoint-url (create
// takes the URL as its argument: --url is the API's).
func addEndpointOpts(c *apiCmd, update bool) *endpointOpts {
	o := &endpointOpts{headers: headerFlag{}, url: new(string)}
	if update {
		o.url = c.fs.String("endpoint-url", "", "the endpoint's new URL (http or https)")
	}
	o.profile = c.fs.String("profile", "", "wire format: standard (default), lean, weavr or linkmoney")
	types := `event types, comma-separated: names, "payment.*" or "*" (default "*")`
	if update {
		types = `event types, comma-separated: names, "payment.*" or "*" (default: unchanged)`
	}
	o.types = c.fs.String("event-types", "", types)
	o.description = c.fs.String("description", "", "description")
	o.ordering = c.fs.String("ordering", "", `"none" (default) or "key": in publish order per ordering key`)
	o.retry = c.fs.String("retry-schedule", "", "delays between tries, comma-separated, in seconds or as durations (5,300 or 5s,5m,30m; default: the profile's)")
	o.signature = c.fs.String("signature", "", "standard, linkmoney: v1 (HMAC, default) or v1a (ed25519: only the public key is shown)")
	o.rateLimit = c.fs.Int("rate-limit", 0, "requests per second at most (0: no limit)")
	o.timeoutMS = c.fs.Int("timeout-ms", 0, "request timeout in ms, 100 to 60000 (default: the profile's)")
	c.fs.Var(o.headers, "header", "extra header NAME=VALUE, repeated for several (update: replaces them all)")
	return o
}

// headerFlag collects --header NAME=VALUE.
type headerFlag map[string]string

func (h headerFlag) String() string { return "" }

func (h headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("want NAME=VALUE")
	}
	h[k] = val
	return nil
}

func schedule(v string) ([]hookd.Duration, error) {
	var out []hookd.Duration
	for _, s := range listFlag(v) {
		d, err := parseSeconds(s)
		if err != nil {
			return nil, fmt.Errorf("--retry-schedule: %w", err)
		}
		out = append(out, hookd.Duration(d))
	}
	return out, nil
}

func endpointCreate(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	o := addEndpointOpts(c, false)
	secret := c.fs.String("secret", "", "signing secret in the profile's format (default: generated)")
	if err := c.parse(); err != nil {
		return err
	}
	rs, err := schedule(*o.retry)
	if err != nil {
		return c.misuse("%v", err)
	}
	ep, err := c.client().CreateEndpoint(ctx, *c.tenant, client.EndpointCreate{URL: c.arg(0), Profile: *o.profile,
		EventTypes: listFlag(*o.types), Description: *o.description, Secret: *secret, RateLimit: *o.rateLimit,
		Ordering: *o.ordering, Headers: o.headers, TimeoutMS: *o.timeoutMS, RetrySchedule: rs,
		Signature: *o.signature})
	if err != nil {
		return err
	}
	return c.show(ep, func(w io.Writer) {
		endpointFields(w, &ep.Endpoint)
		if ep.Secret != "" {
			fields(w, "secret", ep.Secret)
		}
	})
}

func endpointFields(w io.Writer, e *hookd.Endpoint) {
	state := "enabled"
	if e.Disabled {
		state = "disabled: " + e.DisabledReason
	}
	fields(w, "id", e.ID, "tenant", e.TenantID, "url", e.URL, "profile", e.Profile, "event types", e.EventTypes,
		"description", e.Description, "state", state, "ordering", e.Ordering, "created", e.CreatedAt, "updated", e.UpdatedAt)
	if e.FailingSince != nil {
		fields(w, "failing since", e.FailingSince)
	}
	if e.RateLimit > 0 {
		fields(w, "rate limit", fmt.Sprintf("%d/s", e.RateLimit))
	}
	if e.TimeoutMS > 0 {
		fields(w, "timeout", fmt.Sprintf("%d ms", e.TimeoutMS))
	}
	if len(e.RetrySchedule) > 0 {
		delays := make([]string, len(e.RetrySchedule))
		for i, d := range e.RetrySchedule {
			delays[i] = time.Duration(d).String()
		}
		fields(w, "retry schedule", delays)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		fields(w, "header", k+": "+e.Headers[k])
	}
	if e.PublicKey != "" {
		fields(w, "signature", e.Signature, "public key", e.PublicKey)
	}
}

func showEndpoint(c *apiCmd, e *hookd.Endpoint) error {
	return c.show(e, func(w io.Writer) { endpointFields(w, e) })
}

func endpointList(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	c.withLimit()
	if err := c.parse(); err != nil {
		return err
	}
	api := c.client()
	return list(c, "endpoints", func(o client.ListOptions) iter.Seq2[*hookd.Endpoint, error] {
		return api.ListEndpoints(ctx, *c.tenant, o)
	},
		[]any{"ID", "URL", "PROFILE", "EVENT TYPES", "STATE"}, func(e *hookd.Endpoint) []any {
			state := "enabled"
			if e.Disabled {
				state = "disabled"
			}
			return []any{e.ID, e.URL, e.Profile, e.EventTypes, state}
		})
}

func endpointGet(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	e, err := c.client().GetEndpoint(ctx, *c.tenant, c.arg(0))
	if err != nil {
		return err
	}
	return showEndpoint(c, e)
}

func endpointUpdate(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	o := addEndpointOpts(c, true)
	if err := c.parse(); err != nil {
		return err
	}
	var u hookd.EndpointUpdate
	given := false
	str := func(flag string, v *string, dst **string) {
		if c.set(flag) {
			*dst, given = v, true
		}
	}
	str("endpoint-url", o.url, &u.URL)
	str("profile", o.profile, &u.Profile)
	str("description", o.description, &u.Description)
	str("ordering", o.ordering, &u.Ordering)
	str("signature", o.signature, &u.Signature)
	if c.set("event-types") {
		t := listFlag(*o.types)
		if t == nil {
			t = []string{} // given empty: every type ("*"), not "unchanged"
		}
		u.EventTypes, given = &t, true
	}
	if c.set("rate-limit") {
		u.RateLimit, given = o.rateLimit, true
	}
	if c.set("timeout-ms") {
		u.TimeoutMS, given = o.timeoutMS, true
	}
	if c.set("header") {
		h := map[string]string(o.headers)
		u.Headers, given = &h, true
	}
	if c.set("retry-schedule") {
		rs, err := schedule(*o.retry)
		if err != nil {
			return c.misuse("%v", err)
		}
		if rs == nil {
			rs = []hookd.Duration{} // given empty: the profile's schedule again
		}
		u.RetrySchedule, given = &rs, true
	}
	if !given {
		return c.misuse("nothing to change: give the options to change as flags (-h lists them)")
	}
	e, err := c.client().UpdateEndpoint(ctx, *c.tenant, c.arg(0), u)
	if err != nil {
		return err
	}
	return showEndpoint(c, e)
}

func endpointDelete(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	if err := c.client().DeleteEndpoint(ctx, *c.tenant, c.arg(0)); err != nil {
		return err
	}
	return c.show(map[string]any{"id": c.arg(0), "deleted": true}, func(w io.Writer) {
		fmt.Fprintf(w, "deleted endpoint %s\n", c.arg(0))
	})
}

func endpointRotate(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	secret := c.fs.String("secret", "", "the new secret in the profile's format (default: generated)")
	grace := secondsFlag(c.fs, "grace", "how long the old secret keeps signing: seconds or a duration, up to 720h (default 24h)")
	activate := c.fs.String("activate-at", "", "lean, weavr: when the new secret takes over (RFC 3339), instead of the end of the grace period")
	if err := c.parse(); err != nil {
		return err
	}
	r := hookd.Rotation{Secret: *secret}
	if c.set("grace") {
		s := int64(*grace / time.Second)
		r.GraceSeconds = &s
	}
	if *activate != "" {
		t, err := time.Parse(time.RFC3339, *activate)
		if err != nil {
			return c.misuse("--activate-at %q: want an RFC 3339 time (2026-12-01T12:00:00Z)", *activate)
		}
		r.ActivateAt = &t
	}
	rot, err := c.client().RotateSecret(ctx, *c.tenant, c.arg(0), r)
	if err != nil {
		return err
	}
	return c.show(rot, func(w io.Writer) {
		if rot.PublicKey != "" {
			fields(w, "public key", rot.PublicKey)
		} else {
			fields(w, "secret", rot.Secret)
		}
		fields(w, "active from", rot.ActiveFrom, "previous expires", rot.PreviousExpiresAt)
	})
}

func endpointEnable(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	e, err := c.client().EnableEndpoint(ctx, *c.tenant, c.arg(0))
	if err != nil {
		return err
	}
	return showEndpoint(c, e)
}

func endpointDisable(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	reason := c.fs.String("reason", "", "why, shown with the endpoint")
	if err := c.parse(); err != nil {
		return err
	}
	e, err := c.client().DisableEndpoint(ctx, *c.tenant, c.arg(0), *reason)
	if err != nil {
		return err
	}
	return showEndpoint(c, e)
}

func endpointRecover(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	since := c.fs.String("since", "", "requeue failed deliveries created since this time: RFC 3339, or a duration ago (24h) (required)")
	until := c.fs.String("until", "", "and before this time (default: now)")
	if err := c.parse(); err != nil {
		return err
	}
	from, err := timeArg("since", *since, true)
	if err != nil {
		return c.misuse("%v", err)
	}
	to, err := timeArg("until", *until, false)
	if err != nil {
		return c.misuse("%v", err)
	}
	p := newCounter(c.stderr, "")
	p.say("requeuing the failed deliveries…") // one request, which may take a while
	n, err := c.client().RecoverEndpoint(ctx, *c.tenant, c.arg(0), from, to)
	p.done()
	if err != nil {
		return err
	}
	return c.show(map[string]int{"requeued": n}, func(w io.Writer) {
		fmt.Fprintf(w, "requeued %d failed deliveries\n", n)
	})
}

// timeArg reads a time flag: RFC 3339, or a duration meaning that long ago.
func timeArg(name, v string, required bool) (time.Time, error) {
	if v == "" {
		if required {
			return time.Time{}, fmt.Errorf("--%s is required", name)
		}
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q: want an RFC 3339 time (2026-12-01T12:00:00Z) or a duration ago (24h)", name, v)
	}
	return t, nil
}

func endpointTest(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	typ := c.fs.String("type", "", "event type (default: the first catalog type the endpoint wants)")
	if err := c.parse(); err != nil {
		return err
	}
	res, err := c.client().TestEndpoint(ctx, *c.tenant, c.arg(0), *typ)
	if err != nil {
		return err
	}
	return showPublish(c, res)
}

func endpointStats(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	since := c.fs.String("since", "", "from this time: RFC 3339, or a duration ago (24h) (default: 24 hours before --until)")
	until := c.fs.String("until", "", "to this time (default: now)")
	interval := secondsFlag(c.fs, "interval", "bucket width: seconds or a duration, e.g. 1h (default: at most 60 buckets)")
	if err := c.parse(); err != nil {
		return err
	}
	from, err := timeArg("since", *since, false)
	if err != nil {
		return c.misuse("%v", err)
	}
	to, err := timeArg("until", *until, false)
	if err != nil {
		return c.misuse("%v", err)
	}
	st, err := c.client().EndpointStats(ctx, *c.tenant, c.arg(0), hookd.StatsQuery{Since: from, Until: to, Interval: *interval})
	if err != nil {
		return err
	}
	return c.show(st, func(w io.Writer) {
		row(w, "START", "SUCCEEDED", "FAILED", "ATTEMPTS", "P50 MS", "P99 MS")
		for _, b := range st.Buckets {
			row(w, b.Start, b.Succeeded, b.Failed, b.Attempts, b.P50MS, b.P99MS)
		}
		t := st.Totals
		row(w, "total", t.Succeeded, t.Failed, t.Attempts, t.P50MS, t.P99MS)
	})
}

// endpointFeed prints a page of the endpoint's feed, or with --all every
// page from there on. --json prints the page object in both cases (with
// --all: every item, and the last page's next and has_more), not a bare
// array as the list verbs do: the feed is read to be acknowledged, and
// next is the cursor that feed-ack takes, even when a page is empty.
func endpointFeed(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	after := c.fs.String("after", "", "start after this cursor, the next of a page (default: the start, or the consumer's acknowledged position)")
	limit := c.fs.Int("limit", 100, fmt.Sprintf("items per page, 1 to %d; with --all, per request", hookd.MaxFeedLimit))
	consumer := c.fs.String("consumer", "", "a consumer's name: without --after, start at its acknowledged position (feed-ack)")
	all := c.fs.Bool("all", false, "follow next while has_more: every item to the end of the feed")
	if err := c.parse(); err != nil {
		return err
	}
	if *limit < 1 || *limit > hookd.MaxFeedLimit {
		return c.misuse("--limit %d: want 1 to %d items per page (--all reads every page)", *limit, hookd.MaxFeedLimit)
	}
	api := c.client()
	q := hookd.FeedQuery{After: *after, Limit: *limit, Consumer: *consumer}
	p := newCounter(c.stderr, "items")
	page, err := api.Feed(ctx, *c.tenant, c.arg(0), q)
	for err == nil && *all && page.HasMore {
		p.set(len(page.Data))
		q.After = page.Next
		var more *hookd.FeedPage
		if more, err = api.Feed(ctx, *c.tenant, c.arg(0), q); err == nil {
			more.Data = append(page.Data, more.Data...)
			page = more
		}
	}
	p.done()
	if err != nil {
		return err
	}
	return c.show(page, func(w io.Writer) {
		row(w, "EVENT ID", "TYPE", "STATE", "BYTES")
		for _, it := range page.Data {
			row(w, it.EventID, it.Type, it.State, len(it.Body))
		}
		more := "no"
		if page.HasMore {
			more = "yes"
		}
		fmt.Fprintln(w)
		fields(w, "next", page.Next, "has more", more)
	})
}

func endpointFeedAck(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	consumer := c.fs.String("consumer", "", "the consumer's name (required)")
	cursor := c.fs.String("cursor", "", `where it has read to: the next of a feed page, or "" for the start (required)`)
	if err := c.parse(); err != nil {
		return err
	}
	if *consumer == "" {
		return c.misuse("--consumer is required: the name of the consumer whose position this is")
	}
	if !c.set("cursor") {
		// Not a default of "": that moves the consumer back to the start.
		return c.misuse(`--cursor is required: the next of a feed page, or --cursor "" to go back to the start`)
	}
	api := c.client()
	ack := func() (*hookd.FeedPosition, error) {
		if *cursor == "" {
			return api.ResetFeed(ctx, *c.tenant, c.arg(0), *consumer)
		}
		return api.AckFeed(ctx, *c.tenant, c.arg(0), hookd.FeedAck{Consumer: *consumer, Cursor: *cursor})
	}
	pos, err := ack()
	if err != nil {
		return err
	}
	return c.show(pos, func(w io.Writer) {
		at := pos.Cursor
		if at == "" {
			at = "the start"
		}
		fields(w, "consumer", pos.Consumer, "cursor", at, "updated", pos.UpdatedAt)
	})
}
