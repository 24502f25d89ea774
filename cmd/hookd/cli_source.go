package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// runSource runs hookd source VERB.
func runSource(ctx context.Context, args []string) error {
	return runGroup(ctx, "source", "Sources: the providers' webhooks received at /ingest/TOKEN, verified and published as events.", []verb{
		{"create", "", "make a source; its ingest URL, for the provider, is shown this once", sourceCreate},
		{"list", "", "list a tenant's sources, oldest first", sourceList},
		{"get", "ID", "show a source (never its secrets)", sourceGet},
		{"update", "ID", "change the options given as flags", sourceUpdate},
		{"delete", "ID", "delete a source; its URL answers 404 at once", sourceDelete},
		{"rotate", "ID", "a new secret (--secret) and/or ingest URL (--new-url); the old ones work for the grace period", sourceRotate},
		{"errors", "ID", "the source's newest refused requests", sourceErrors},
		{"requests", "ID", "the requests the source accepted, newest first (--json: with headers and bodies as received)", sourceRequests},
		{"request", "ID REQUEST", "one accepted request: its headers and its body as received", sourceRequest},
	}, args)
}

// sourceOpts are the flags of a source's options (create, update).
type sourceOpts struct {
	name, secrets, basicAuth, headerKey, allowIPs *string
	tolerance                                     *int
	hmac                                          hmacOpts
}

// hmacOpts are the flags of an hmac source's scheme.
type hmacOpts []hmacFlag

// hmacFlag is a flag of a field of hookd.HMACScheme.
type hmacFlag struct {
	flag  string
	value *string
	field func(*hookd.HMACScheme) *string
}

func addHMACOpts(c *apiCmd) hmacOpts {
	var o hmacOpts
	for _, f := range []struct {
		flag, help string
		field      func(*hookd.HMACScheme) *string
	}{
		{"algorithm", "hmac: sha256 (default), sha512, sha384 or sha1", func(s *hookd.HMACScheme) *string { return &s.Algorithm }},
		{"header", "hmac: the header that carries the signature (X-Hub-Signature-256, Stripe-Signature)", func(s *hookd.HMACScheme) *string { return &s.Header }},
		{"prefix", "hmac: what starts each signature item (sha256=, v1=)", func(s *hookd.HMACScheme) *string { return &s.Prefix }},
		{"encoding", "hmac: the MAC's encoding, hex (default), base64 or base64url", func(s *hookd.HMACScheme) *string { return &s.Encoding }},
		{"signed-content", "hmac: what is signed, from {body}, {timestamp}, {id}, {header:Name} (default {body})", func(s *hookd.HMACScheme) *string { return &s.SignedContent }},
		{"secret-encoding", "hmac: how a secret becomes the key, raw (default), base64 (whsec_ optional) or hex", func(s *hookd.HMACScheme) *string { return &s.SecretEncoding }},
		{"timestamp-header", "hmac: the header of the signed timestamp, checked against --tolerance", func(s *hookd.HMACScheme) *string { return &s.TimestampHeader }},
		{"timestamp-prefix", "hmac: the timestamp's item in that header (Stripe: t=)", func(s *hookd.HMACScheme) *string { return &s.TimestampPrefix }},
		{"timestamp-format", "hmac: auto (default: unix seconds or, from 10^11, milliseconds; else RFC 3339), unix, unix_ms or rfc3339", func(s *hookd.HMACScheme) *string { return &s.TimestampFormat }},
		{"id-header", "hmac: the header of the sender's webhook id, which deduplicates (X-GitHub-Delivery)", func(s *hookd.HMACScheme) *string { return &s.IDHeader }},
		{"id-path", "hmac: else the body field of that id, a dotted path (id, data.id)", func(s *hookd.HMACScheme) *string { return &s.IDPath }},
		{"type-header", "hmac: the header of the event type (X-GitHub-Event)", func(s *hookd.HMACScheme) *string { return &s.TypeHeader }},
		{"type-path", "hmac: else the body field of the type (default type)", func(s *hookd.HMACScheme) *string { return &s.TypePath }},
		{"type-prefix", "hmac: put before the type found (github.)", func(s *hookd.HMACScheme) *string { return &s.TypePrefix }},
		{"default-type", "hmac: the type when none is found", func(s *hookd.HMACScheme) *string { return &s.DefaultType }},
	} {
		o = append(o, hmacFlag{f.flag, c.fs.String(f.flag, "", f.help), f.field})
	}
	return o
}

// scheme applies the flags given to base (nil: a new scheme) and returns
// it, or nil when no flag was given.
func (o hmacOpts) scheme(c *apiCmd, base *hookd.HMACScheme) *hookd.HMACScheme {
	s := hookd.HMACScheme{}
	if base != nil {
		s = *base
	}
	given := false
	for _, f := range o {
		if c.set(f.flag) {
			*f.field(&s) = *f.value
			given = true
		}
	}
	if !given {
		return nil
	}
	return &s
}

func addSourceOpts(c *apiCmd) *sourceOpts {
	return &sourceOpts{
		name:      c.fs.String("name", "", "what the source is"),
		secrets:   c.fs.String("secrets", "", "the provider's signing secrets, comma-separated (lean: webhook secret, weavr: API key, standard: whsec_…)"),
		basicAuth: c.fs.String("basic-auth", "", "USER:PASSWORD the sender must present (linkmoney, which signs nothing)"),
		headerKey: c.fs.String("header-key", "", "NAME=VALUE, a header the sender must carry (linkmoney)"),
		allowIPs:  c.fs.String("allow-ips", "", "addresses or CIDR ranges the sender may send from, comma-separated"),
		tolerance: c.fs.Int("tolerance", 0, "seconds a signed timestamp may be from now (weavr, standard, hmac; default 300)"),
		hmac:      addHMACOpts(c),
	}
}

func (o *sourceOpts) credentials() (*hookd.BasicAuth, *hookd.HeaderKey, error) {
	var ba *hookd.BasicAuth
	var hk *hookd.HeaderKey
	if *o.basicAuth != "" {
		u, p, ok := strings.Cut(*o.basicAuth, ":")
		if !ok {
			return nil, nil, errors.New("--basic-auth: want USER:PASSWORD")
		}
		ba = &hookd.BasicAuth{Username: u, Password: p}
	}
	if *o.headerKey != "" {
		n, v, ok := strings.Cut(*o.headerKey, "=")
		if !ok {
			return nil, nil, errors.New("--header-key: want NAME=VALUE")
		}
		hk = &hookd.HeaderKey{Name: n, Value: v}
	}
	return ba, hk, nil
}

func sourceCreate(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	profile := c.fs.String("profile", "", "lean, weavr, linkmoney, standard or hmac (required)")
	o := addSourceOpts(c)
	if err := c.parse(); err != nil {
		return err
	}
	ba, hk, err := o.credentials()
	if err != nil {
		return c.misuse("%v", err)
	}
	src, err := c.client().CreateSource(ctx, *c.tenant, client.SourceCreate{Name: *o.name, Profile: *profile,
		Secrets: listFlag(*o.secrets), BasicAuth: ba, HeaderKey: hk, AllowIPs: listFlag(*o.allowIPs), ToleranceSeconds: *o.tolerance,
		HMAC: o.hmac.scheme(c, nil)})
	if err != nil {
		return err
	}
	return c.show(src, func(w io.Writer) { sourceFields(w, src) })
}

func sourceFields(w io.Writer, s *hookd.Source) {
	fields(w, "id", s.ID, "name", s.Name, "profile", s.Profile)
	if s.IngestURL != "" {
		fields(w, "ingest_url", s.IngestURL+"  (give it to the provider; shown this once)")
	}
	if h := s.HMAC; h != nil {
		fields(w, "hmac", fmt.Sprintf("%s of %s in %s: %s<%s>", or(h.Algorithm, "sha256"), or(h.SignedContent, "{body}"),
			h.Header, h.Prefix, or(h.Encoding, "hex")))
	}
	fields(w, "secrets", s.SecretCount, "allow_ips", strings.Join(s.AllowIPs, ","), "created", s.CreatedAt)
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sourceList(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	c.withLimit()
	if err := c.parse(); err != nil {
		return err
	}
	api := c.client()
	return list(c, "sources", func(o client.ListOptions) iter.Seq2[*hookd.Source, error] {
		return api.ListSources(ctx, *c.tenant, o)
	}, []any{"ID", "NAME", "PROFILE", "SECRETS", "CREATED"},
		func(s *hookd.Source) []any { return []any{s.ID, s.Name, s.Profile, s.SecretCount, s.CreatedAt} })
}

func sourceGet(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	src, err := c.client().GetSource(ctx, *c.tenant, c.arg(0))
	if err != nil {
		return err
	}
	return c.show(src, func(w io.Writer) { sourceFields(w, src) })
}

func sourceUpdate(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	o := addSourceOpts(c)
	if err := c.parse(); err != nil {
		return err
	}
	var u hookd.SourceUpdate
	if c.set("name") {
		u.Name = o.name
	}
	if c.set("secrets") {
		u.Secrets = listFlag(*o.secrets)
	}
	ba, hk, err := o.credentials()
	if err != nil {
		return c.misuse("%v", err)
	}
	if c.set("basic-auth") {
		u.BasicAuth = ba
		if ba == nil {
			u.BasicAuth = &hookd.BasicAuth{}
		}
	}
	if c.set("header-key") {
		u.HeaderKey = hk
		if hk == nil {
			u.HeaderKey = &hookd.HeaderKey{}
		}
	}
	if c.set("allow-ips") {
		ips := listFlag(*o.allowIPs)
		if ips == nil {
			ips = []string{}
		}
		u.AllowIPs = &ips
	}
	if c.set("tolerance") {
		u.ToleranceSeconds = o.tolerance
	}
	api := c.client()
	if o.hmac.scheme(c, nil) != nil {
		// The API replaces the whole scheme: the flags change the
		// current one.
		cur, err := api.GetSource(ctx, *c.tenant, c.arg(0))
		if err != nil {
			return err
		}
		u.HMAC = o.hmac.scheme(c, cur.HMAC)
	}
	src, err := api.UpdateSource(ctx, *c.tenant, c.arg(0), u)
	if err != nil {
		return err
	}
	return c.show(src, func(w io.Writer) { sourceFields(w, src) })
}

func sourceDelete(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	if err := c.client().DeleteSource(ctx, *c.tenant, c.arg(0)); err != nil {
		return err
	}
	return c.show(map[string]any{"id": c.arg(0), "deleted": true}, func(w io.Writer) {
		fmt.Fprintf(w, "deleted source %s\n", c.arg(0))
	})
}

func sourceRotate(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	secret := c.fs.String("secret", "", "the provider's new secret")
	newURL := c.fs.Bool("new-url", false, "also make a new ingest URL")
	grace := secondsFlag(c.fs, "grace", "how long the old secret and URL keep working: seconds or a duration (default 24h)")
	if err := c.parse(); err != nil {
		return err
	}
	r := hookd.SourceRotation{Secret: *secret, Token: *newURL}
	if c.set("grace") {
		s := int64(grace.Seconds())
		r.GraceSeconds = &s
	}
	src, err := c.client().RotateSource(ctx, *c.tenant, c.arg(0), r)
	if err != nil {
		return err
	}
	return c.show(src, func(w io.Writer) { sourceFields(w, src) })
}

func sourceErrors(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	es, err := c.client().SourceErrors(ctx, *c.tenant, c.arg(0))
	if err != nil {
		return err
	}
	if es == nil {
		es = []*hookd.SourceError{}
	}
	return c.show(es, func(w io.Writer) {
		row(w, "AT", "REASON", "BODY")
		for _, e := range es {
			row(w, e.At, e.Reason, e.Body)
		}
	})
}

func sourceRequests(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	c.withLimit()
	if err := c.parse(); err != nil {
		return err
	}
	api := c.client()
	return list(c, "requests", func(o client.ListOptions) iter.Seq2[*hookd.SourceRequest, error] {
		return api.ListSourceRequests(ctx, *c.tenant, c.arg(0), o)
	}, []any{"ID", "RECEIVED", "FROM", "EVENT", "VERDICT", "DUPLICATES", "BYTES"},
		func(r *hookd.SourceRequest) []any {
			return []any{r.ID, r.ReceivedAt, r.RemoteAddr, r.EventID, r.Verdict, r.Duplicates, len(r.Body)}
		})
}

func sourceRequest(ctx context.Context, c *apiCmd) error {
	c.withTenant()
	if err := c.parse(); err != nil {
		return err
	}
	r, err := c.client().GetSourceRequest(ctx, *c.tenant, c.arg(0), c.arg(1))
	if err != nil {
		return err
	}
	err = c.show(r, func(w io.Writer) {
		fields(w, "id", r.ID, "source", r.SourceID, "event", r.EventID, "received", r.ReceivedAt, "from", r.RemoteAddr,
			"verdict", r.Verdict, "invalid", r.Invalid, "duplicates", r.Duplicates)
	})
	if err != nil || *c.json {
		return err
	}
	// The headers and the body as received, past the table's alignment.
	fmt.Fprintln(c.stdout)
	r.Header.Write(c.stdout)
	fmt.Fprintln(c.stdout)
	c.stdout.Write(r.Body)
	fmt.Fprintln(c.stdout)
	return nil
}
