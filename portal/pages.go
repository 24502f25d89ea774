package portal

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// pageSize is the length of a list page: a page reads a bounded range of
// an index whatever the tenant holds.
const pageSize = 50

// pageOf is the page after a cursor with one item more than a page shows:
// nextOf trims it, and names the next page's cursor only when more follow.
func pageOf(after string) hookd.Page { return hookd.Page{After: after, Limit: pageSize + 1} }

// nextOf is a page's items trimmed to pageSize and the cursor of the next
// page: the last shown item's id, or "" when none follow.
func nextOf[T any](items []T, id func(T) string) ([]T, string) {
	if len(items) <= pageSize {
		return items, ""
	}
	items = items[:pageSize]
	return items, id(items[pageSize-1])
}

// recentWindow is how many of an endpoint's latest deliveries its
// success rate on the list is computed over.
const recentWindow = 100

type endpointRow struct {
	E        *hookd.Endpoint
	OK, Done int
	Last     *time.Time
}

func (s *Server) endpointsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	eps, err := s.Endpoints.Endpoints(ctx, v.TenantID, pageOf(r.URL.Query().Get("after")))
	if err != nil {
		return err
	}
	eps, next := nextOf(eps, func(e *hookd.Endpoint) string { return e.ID })
	rows := make([]endpointRow, 0, len(eps))
	for _, e := range eps {
		row := endpointRow{E: e}
		ds, err := s.Deliveries.Deliveries(ctx, v.TenantID, hookd.DeliveryFilter{EndpointID: e.ID, Page: hookd.Page{Limit: recentWindow}})
		if err != nil {
			return err
		}
		for _, d := range ds {
			switch d.State {
			case hookd.StateSucceeded:
				row.OK++
				row.Done++
			case hookd.StateFailed:
				row.Done++
			}
			if d.Attempts > 0 && (row.Last == nil || d.UpdatedAt.After(*row.Last)) {
				t := d.UpdatedAt
				row.Last = &t
			}
		}
		rows = append(rows, row)
	}
	v.Title, v.Nav = "Endpoints", "endpoints"
	s.render(w, http.StatusOK, "endpoints", v, map[string]any{"Rows": rows, "Next": next, "Window": recentWindow,
		"Done": r.URL.Query().Get("done")})
	return nil
}

// endpointForm is the create and edit form's values and its errors, by
// field.
type endpointForm struct {
	ID          string
	URL         string
	Description string
	Profile     string
	Types       []string // checked catalog types
	Patterns    string   // other patterns, comma separated (wildcards)
	RateLimit   string
	Ordering    string
	Headers     string // "Name: value" per line
	TimeoutMS   string
	// TimeoutSet: the endpoint has a timeout of its own, which no update
	// can give back to the profile (an update leaving it out keeps it).
	TimeoutSet bool
	Errors     map[string]string
	Problem    string // an error no field names
	Catalog    []*hookd.EventType
	Profiles   []string
}

func (s *Server) formOf(r *http.Request, f *endpointForm) error {
	types, err := s.EventTypes.EventTypes(r.Context())
	if err != nil {
		return err
	}
	f.Catalog = types
	for name := range s.Profiles {
		f.Profiles = append(f.Profiles, name)
	}
	slices.Sort(f.Profiles)
	return nil
}

func (s *Server) newEndpointPage(w http.ResponseWriter, r *http.Request, v *view) error {
	f := &endpointForm{Profile: "standard", Ordering: hookd.OrderingNone}
	if err := s.formOf(r, f); err != nil {
		return err
	}
	v.Title, v.Nav = "New endpoint", "endpoints"
	s.render(w, http.StatusOK, "endpoint_form", v, f)
	return nil
}

func (s *Server) editEndpointPage(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := s.Endpoints.Endpoint(r.Context(), v.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := &endpointForm{ID: e.ID, URL: e.URL, Description: e.Description, Profile: e.Profile, Ordering: e.Ordering}
	if err := s.formOf(r, f); err != nil {
		return err
	}
	var other []string
	for _, t := range e.EventTypes {
		if slices.ContainsFunc(f.Catalog, func(c *hookd.EventType) bool { return c.Name == t }) {
			f.Types = append(f.Types, t)
		} else {
			other = append(other, t)
		}
	}
	f.Patterns = strings.Join(other, ", ")
	if e.RateLimit > 0 {
		f.RateLimit = strconv.Itoa(e.RateLimit)
	}
	if e.TimeoutMS > 0 {
		f.TimeoutMS, f.TimeoutSet = strconv.Itoa(e.TimeoutMS), true
	}
	var hs []string
	for k, val := range e.Headers {
		hs = append(hs, k+": "+val)
	}
	slices.Sort(hs)
	f.Headers = strings.Join(hs, "\n")
	v.Title, v.Nav = "Edit endpoint", "endpoints"
	s.render(w, http.StatusOK, "endpoint_form", v, f)
	return nil
}

// update reads the form into an endpoint update and the form's values,
// with the errors of fields that are not even numbers or headers.
func readForm(r *http.Request) (*endpointForm, *hookd.EndpointUpdate) {
	pf := r.PostForm
	f := &endpointForm{URL: strings.TrimSpace(pf.Get("url")), Description: pf.Get("description"), Profile: pf.Get("profile"),
		Types: pf["event_types"], Patterns: pf.Get("patterns"), RateLimit: strings.TrimSpace(pf.Get("rate_limit_per_s")),
		Ordering: pf.Get("ordering"), Headers: pf.Get("headers"), TimeoutMS: strings.TrimSpace(pf.Get("timeout_ms")),
		Errors: map[string]string{}}
	types := slices.Clone(f.Types)
	for _, p := range strings.Split(f.Patterns, ",") {
		if p = strings.TrimSpace(p); p != "" {
			types = append(types, p)
		}
	}
	if types == nil {
		types = []string{}
	}
	u := &hookd.EndpointUpdate{URL: &f.URL, Description: &f.Description, Profile: &f.Profile, EventTypes: &types, Ordering: &f.Ordering}
	rate := 0
	if f.RateLimit != "" {
		n, err := strconv.Atoi(f.RateLimit)
		if err != nil {
			f.Errors["rate_limit_per_s"] = "rate_limit_per_s must be a whole number"
		}
		rate = n
	}
	u.RateLimit = &rate
	if f.TimeoutMS != "" {
		n, err := strconv.Atoi(f.TimeoutMS)
		if err != nil {
			f.Errors["timeout_ms"] = "timeout_ms must be a whole number of milliseconds"
		}
		u.TimeoutMS = &n
	}
	hs := map[string]string{}
	for _, line := range strings.Split(f.Headers, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		k, val, ok := strings.Cut(line, ":")
		if !ok {
			f.Errors["headers"] = "write one header per line, as Name: value"
			continue
		}
		hs[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	u.Headers = &hs
	return f, u
}

// fieldErrors places a service's refusal beside the fields it names: by
// the details' paths, else by the field its message begins with.
func fieldErrors(f *endpointForm, err error) {
	fields := []string{"url", "profile", "event_types", "description", "rate_limit_per_s", "ordering", "headers", "timeout_ms", "secret"}
	var he *hookd.Error
	placed := false
	if errors.As(err, &he) {
		for _, d := range he.Details {
			name := d.Path
			if i := strings.IndexAny(name, "[./"); i >= 0 {
				name = name[:i]
			}
			name = strings.TrimPrefix(name, "$")
			if slices.Contains(fields, name) {
				f.Errors[name] = cmp.Or(d.Message, hookd.ErrorMessage(err))
				placed = true
			}
		}
	}
	msg := hookd.ErrorMessage(err)
	if !placed {
		for _, name := range fields {
			if strings.HasPrefix(msg, name) || strings.Contains(msg, " "+name+" ") {
				f.Errors[name] = msg
				placed = true
				break
			}
		}
	}
	if !placed {
		f.Problem = msg
	}
}

func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request, v *view) error {
	f, u := readForm(r)
	if len(f.Errors) == 0 {
		e, err := s.Endpoints.CreateEndpoint(r.Context(), v.TenantID, u, "")
		if err == nil {
			// The new endpoint's page, with its secret shown once, as the
			// API answers a create (a v1a endpoint's public key: hookd
			// keeps its private key).
			return s.showEndpoint(w, r, v, e.ID, http.StatusOK, func(p *endpointPage) {
				p.Message = "Endpoint created."
				p.Secret = e.Secrets[0].Value
				p.SecretNote = "The secret that signs what this endpoint receives: copy it to the receiver now and keep it private."
				if hookd.IsSigningKey(p.Secret) {
					p.Secret = e.PublicKey
					p.SecretNote = "The public key (Standard Webhooks v1a) that verifies what this endpoint receives."
				}
			})
		}
		if !invalid(err) {
			return err
		}
		fieldErrors(f, err)
	}
	if err := s.formOf(r, f); err != nil {
		return err
	}
	v.Title, v.Nav = "New endpoint", "endpoints"
	s.render(w, http.StatusBadRequest, "endpoint_form", v, f)
	return nil
}

func (s *Server) updateEndpoint(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	f, u := readForm(r)
	f.ID = id
	e, err := s.Endpoints.Endpoint(r.Context(), v.TenantID, id)
	if err != nil {
		return err
	}
	if f.TimeoutSet = e.TimeoutMS > 0; f.TimeoutSet && f.TimeoutMS == "" {
		// Left out, the timeout would be kept: say so rather than save
		// the rest as if it had gone.
		f.Errors["timeout_ms"] = "timeout_ms cannot go back to the profile's once set: enter 100 to 60000 ms (it is " + strconv.Itoa(e.TimeoutMS) + ")"
	}
	if len(f.Errors) == 0 {
		_, err := s.Endpoints.UpdateEndpoint(r.Context(), v.TenantID, id, u)
		if err == nil {
			http.Redirect(w, r, s.endpointURL(v, id)+"?done=saved", http.StatusSeeOther)
			return nil
		}
		if !invalid(err) {
			return err
		}
		fieldErrors(f, err)
	}
	if err := s.formOf(r, f); err != nil {
		return err
	}
	v.Title, v.Nav = "Edit endpoint", "endpoints"
	s.render(w, http.StatusBadRequest, "endpoint_form", v, f)
	return nil
}

func (s *Server) endpointURL(v *view, id string) string {
	return "/portal/t/" + url.PathEscape(v.TenantID) + "/endpoints/" + url.PathEscape(id)
}

// ranges are the charts' windows.
var ranges = []struct {
	Key   string
	Label string
	D     time.Duration
}{{"1h", "1 hour", time.Hour}, {"24h", "24 hours", 24 * time.Hour}, {"7d", "7 days", 7 * 24 * time.Hour}, {"30d", "30 days", 30 * 24 * time.Hour}}

func rangeOf(key string) (string, time.Duration) {
	for _, rg := range ranges {
		if rg.Key == key {
			return rg.Key, rg.D
		}
	}
	return "24h", 24 * time.Hour
}

// done are the messages a redirect after a change shows.
var done = map[string]string{
	"saved": "Endpoint saved.", "enabled": "Endpoint enabled.",
	"disabled": "Endpoint disabled.", "retried": "Delivery queued for another attempt.", "deleted": "Endpoint deleted.",
}

type endpointPage struct {
	E          *hookd.Endpoint
	Base       string // the page's address, without a query
	Deliveries []*hookd.Delivery
	Next       string
	State      string
	Type       string
	Since      string
	Until      string
	Range      string
	Ranges     any
	States     []string
	TestTypes  []string
	TestType   string // the type the test form selects: the last one sent
	Message    string
	Problem    string
	Secret     string // new, revealed or the first, shown once in this answer
	SecretNote string
	// RecoverSince and RecoverUntil are the recover form's values: the
	// last ones sent, else the last 24 hours.
	RecoverSince string
	RecoverUntil string
}

// Link is the page's address with its filters and chart range, and after
// (the cursor of older deliveries) when set: links and forms name the page
// itself, so they work on a page drawn in answer to a form posted to
// another address.
func (p *endpointPage) Link(rangeKey, after string) string {
	q := url.Values{}
	for _, kv := range [][2]string{{"state", p.State}, {"type", p.Type}, {"since", p.Since}, {"until", p.Until},
		{"range", rangeKey}, {"after", after}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if len(q) == 0 {
		return p.Base
	}
	return p.Base + "?" + q.Encode()
}

const formTime = "2006-01-02T15:04"

// parseFormTime reads a datetime-local value, in UTC.
func parseFormTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(formTime, v, time.UTC)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			return t, hookd.Errorf(hookd.EINVALID, "%s must be a date and time like 2025-03-01T12:00", name)
		}
	}
	return t, nil
}

func (s *Server) endpointPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.showEndpoint(w, r, v, r.PathValue("id"), http.StatusOK, func(*endpointPage) {})
}

// showEndpoint renders an endpoint's page; mod adds what an action shows.
// Drawn in answer to a form (a secret shown once, a refusal beside the
// values sent), the page names its own address for portal.js to put in
// the address bar: a reload then asks for the page, not the form again.
func (s *Server) showEndpoint(w http.ResponseWriter, r *http.Request, v *view, id string, st int, mod func(*endpointPage)) error {
	ctx := r.Context()
	e, err := s.Endpoints.Endpoint(ctx, v.TenantID, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := &endpointPage{E: e, Base: s.endpointURL(v, e.ID), State: q.Get("state"), Type: q.Get("type"), Since: q.Get("since"), Until: q.Get("until"),
		States:       []string{hookd.StatePending, hookd.StateParked, hookd.StateSucceeded, hookd.StateFailed, hookd.StateCanceled},
		Message:      doneMessage(q),
		TestType:     q.Get("test_type"),
		RecoverSince: cmp.Or(q.Get("recover_since"), s.now().Add(-24*time.Hour).UTC().Format(formTime)),
		RecoverUntil: q.Get("recover_until")}
	p.Range, _ = rangeOf(q.Get("range"))
	p.Ranges = ranges
	// The filters as the service reads them (a type as the events list's
	// ?type=: payment.created selects lean:payment.created too); a
	// refused filter is shown above the page, which lists nothing.
	f := hookd.DeliveryFilter{EndpointID: e.ID, State: p.State, EventType: p.Type, Page: pageOf(q.Get("after"))}
	f.Since, err = parseFormTime("since", p.Since)
	if err == nil {
		f.Until, err = parseFormTime("until", p.Until)
	}
	if err == nil {
		p.Deliveries, err = s.Deliveries.Deliveries(ctx, v.TenantID, f)
	}
	if err != nil {
		if hookd.ErrorCode(err) != hookd.EINVALID {
			return err
		}
		p.Problem, st = hookd.ErrorMessage(err), max(st, http.StatusBadRequest)
	}
	p.Deliveries, p.Next = nextOf(p.Deliveries, func(d *hookd.Delivery) string { return d.ID })
	types, err := s.EventTypes.EventTypes(ctx)
	if err != nil {
		return err
	}
	for _, t := range types {
		if e.Wants(t.Name) && len(p.TestTypes) < 200 {
			p.TestTypes = append(p.TestTypes, t.Name)
		}
	}
	mod(p)
	if r.Method == http.MethodPost {
		v.Location = p.Base
	}
	v.Title, v.Nav = "Endpoint "+e.URL, "endpoints"
	s.render(w, st, "endpoint", v, p)
	return nil
}

// doneMessage is what an endpoint's page says after a change redirected
// to it: a fixed sentence, or a recovery's count or a test event's id.
func doneMessage(q url.Values) string {
	switch q.Get("done") {
	case "recovered":
		n, _ := strconv.Atoi(q.Get("recovered"))
		msg := "Recovered " + strconv.Itoa(n) + " failed deliveries"
		if since, err := parseFormTime("since", q.Get("recover_since")); err == nil && !since.IsZero() {
			msg += " created since " + since.Format(time.RFC3339)
			if until, err := parseFormTime("until", q.Get("recover_until")); err == nil && !until.IsZero() {
				msg += " until " + until.Format(time.RFC3339)
			}
		}
		return msg + "."
	case "tested":
		if id := q.Get("test_event"); id != "" {
			return "Test event " + id + " sent."
		}
		return "Test event sent."
	}
	return done[q.Get("done")]
}

func (s *Server) chart(w http.ResponseWriter, r *http.Request, v *view) error {
	key, d := rangeOf(r.URL.Query().Get("range"))
	now := s.now()
	st, err := s.Stats.EndpointStats(r.Context(), v.TenantID, r.PathValue("id"), hookd.StatsQuery{Since: now.Add(-d), Until: now})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(drawCharts(st, key))
	return nil
}

func (s *Server) enable(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := s.Endpoints.EnableEndpoint(r.Context(), v.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, s.endpointURL(v, r.PathValue("id"))+"?done=enabled", http.StatusSeeOther)
	return nil
}

func (s *Server) disable(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := s.Endpoints.DisableEndpoint(r.Context(), v.TenantID, r.PathValue("id"), strings.TrimSpace(r.PostForm.Get("reason"))); err != nil {
		return err
	}
	http.Redirect(w, r, s.endpointURL(v, r.PathValue("id"))+"?done=disabled", http.StatusSeeOther)
	return nil
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := s.Endpoints.DeleteEndpoint(r.Context(), v.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/t/"+url.PathEscape(v.TenantID)+"/?done=deleted", http.StatusSeeOther)
	return nil
}

// rotate gives the endpoint a new secret and shows it in this answer
// only (never in a URL).
func (s *Server) rotate(w http.ResponseWriter, r *http.Request, v *view) error {
	rot, err := s.Endpoints.RotateSecret(r.Context(), v.TenantID, r.PathValue("id"), hookd.Rotation{})
	if err != nil {
		return err
	}
	return s.showEndpoint(w, r, v, r.PathValue("id"), http.StatusOK, func(p *endpointPage) {
		p.Message = "Secret rotated."
		p.Secret = rot.Secret
		if rot.Secret == "" { // v1a: the private key never leaves hookd
			p.Secret = rot.PublicKey
		}
		p.SecretNote = "The new secret signs from " + rot.ActiveFrom.UTC().Format(time.RFC3339) +
			"; the previous one is accepted until " + rot.PreviousExpiresAt.UTC().Format(time.RFC3339) + "."
	})
}

// reveal shows the endpoint's newest active secret in this answer only.
func (s *Server) reveal(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := s.Endpoints.Endpoint(r.Context(), v.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	secrets := e.ActiveSecrets(s.now())
	if len(secrets) == 0 {
		return hookd.Errorf(hookd.ENOTFOUND, "This endpoint has no active secret.")
	}
	return s.showEndpoint(w, r, v, e.ID, http.StatusOK, func(p *endpointPage) {
		p.Secret = secrets[0]
		p.SecretNote = "The secret that signs now. Keep it private."
		if hookd.IsSigningKey(secrets[0]) { // v1a: the private key never leaves hookd
			p.Secret = e.PublicKey
			p.SecretNote = "The public key (Standard Webhooks v1a) that verifies what this endpoint receives."
		}
	})
}

// recover sends again the failed deliveries of a window, then shows the
// page with the count and the window kept in the form; a refusal is shown
// beside the values sent.
func (s *Server) recover(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	sinceIn, untilIn := strings.TrimSpace(r.PostForm.Get("since")), strings.TrimSpace(r.PostForm.Get("until"))
	refuse := func(err error) error {
		return s.showEndpoint(w, r, v, id, http.StatusBadRequest, func(p *endpointPage) {
			p.Problem, p.RecoverSince, p.RecoverUntil = hookd.ErrorMessage(err), sinceIn, untilIn
		})
	}
	since, err := parseFormTime("since", sinceIn)
	if err == nil && since.IsZero() {
		err = hookd.Errorf(hookd.EINVALID, "since is required: the time from which failed deliveries are sent again")
	}
	if err != nil {
		return refuse(err)
	}
	win := hookd.Recovery{Since: &since}
	until, err := parseFormTime("until", untilIn)
	if err != nil {
		return refuse(err)
	}
	if !until.IsZero() {
		win.Until = &until
	}
	n, err := s.Endpoints.RecoverEndpoint(r.Context(), v.TenantID, id, win)
	if err != nil {
		if !invalid(err) {
			return err
		}
		return refuse(err)
	}
	q := url.Values{"done": {"recovered"}, "recovered": {strconv.Itoa(n)}, "recover_since": {sinceIn}}
	if untilIn != "" {
		q.Set("recover_until", untilIn)
	}
	http.Redirect(w, r, s.endpointURL(v, id)+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// testSend sends a test event of the chosen type, then shows the page with
// its id and the type still chosen.
func (s *Server) testSend(w http.ResponseWriter, r *http.Request, v *view) error {
	id, typ := r.PathValue("id"), r.PostForm.Get("type")
	res, err := s.Endpoints.TestEndpoint(r.Context(), v.TenantID, id, typ)
	if err != nil {
		if !invalid(err) {
			return err
		}
		return s.showEndpoint(w, r, v, id, http.StatusBadRequest, func(p *endpointPage) {
			p.Problem, p.TestType = hookd.ErrorMessage(err), typ
		})
	}
	q := url.Values{"done": {"tested"}, "test_event": {res.ID}, "test_type": {typ}}
	http.Redirect(w, r, s.endpointURL(v, id)+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	if _, err := s.Deliveries.RetryDelivery(r.Context(), v.TenantID, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/t/"+url.PathEscape(v.TenantID)+"/deliveries/"+url.PathEscape(id)+"?done=retried", http.StatusSeeOther)
	return nil
}

type attemptView struct {
	A       *hookd.Attempt
	Headers []header
	// Changed: the endpoint was changed after the attempt, so its URL and
	// custom headers, shown as they are now, may not be those it was sent
	// with (the body and the profile's headers are the attempt's).
	Changed bool
}

type header struct{ Name, Value string }

func (s *Server) deliveryPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	d, attempts, err := s.Deliveries.Delivery(ctx, v.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	ev, _, err := s.Events.Event(ctx, v.TenantID, d.EventID)
	if err != nil {
		return err
	}
	e, err := s.Endpoints.Endpoint(ctx, v.TenantID, d.EndpointID)
	if err != nil && hookd.ErrorCode(err) != hookd.ENOTFOUND {
		return err
	}
	data := map[string]any{"D": d, "Event": ev, "E": e, "Message": done[r.URL.Query().Get("done")]}
	var views []attemptView
	if e != nil {
		body, hs := s.request(e, ev, d, attempts, v.Can(hookd.CapManageEndpoints) || v.Can(hookd.CapManageSecrets))
		data["Body"] = string(body)
		for i, a := range attempts {
			views = append(views, attemptView{A: a, Headers: hs[i], Changed: e.UpdatedAt.After(a.At)})
		}
	} else {
		for _, a := range attempts {
			views = append(views, attemptView{A: a})
		}
	}
	data["Attempts"] = views
	v.Title, v.Nav = "Delivery "+d.ID, "endpoints"
	s.render(w, http.StatusOK, "delivery", v, data)
	return nil
}

func (s *Server) catalogPage(w http.ResponseWriter, r *http.Request, v *view) error {
	types, err := s.EventTypes.EventTypes(r.Context())
	if err != nil {
		return err
	}
	v.Title, v.Nav = "Event catalog", "catalog"
	s.render(w, http.StatusOK, "catalog", v, map[string]any{"Types": types})
	return nil
}

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Q": q}
	if q != "" {
		ev, ds, err := s.Events.Event(ctx, v.TenantID, q)
		if hookd.ErrorCode(err) == hookd.ENOTFOUND {
			ev, ds, err = s.Finder.EventByIdempotencyKey(ctx, v.TenantID, q)
		}
		switch {
		case hookd.ErrorCode(err) == hookd.ENOTFOUND:
			data["Missing"] = true
		case err != nil:
			return err
		default:
			data["Event"], data["Deliveries"] = ev, ds
			urls := map[string]string{}
			for _, d := range ds {
				if _, ok := urls[d.EndpointID]; ok {
					continue
				}
				e, err := s.Endpoints.Endpoint(ctx, v.TenantID, d.EndpointID)
				switch {
				case err == nil:
					urls[d.EndpointID] = e.URL
				case hookd.ErrorCode(err) == hookd.ENOTFOUND: // deleted: shown without a link
				default:
					return err
				}
			}
			data["URLs"] = urls
		}
	} else {
		evs, err := s.Events.Events(ctx, v.TenantID, hookd.EventQuery{Page: pageOf(r.URL.Query().Get("after"))})
		if err != nil {
			return err
		}
		evs, next := nextOf(evs, func(e *hookd.Event) string { return e.ID })
		data["Recent"] = evs
		if next != "" {
			data["Next"] = next
		}
	}
	v.Title, v.Nav = "Events", "events"
	s.render(w, http.StatusOK, "events", v, data)
	return nil
}

type tenantRow struct {
	T                          *hookd.Tenant
	Endpoints, Disabled, Fails int
}

type problemRow struct {
	TenantID string
	E        *hookd.Endpoint
}

func (s *Server) opsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	now := s.now()
	b, err := s.Finder.Backlog(ctx)
	if err != nil {
		return err
	}
	hour, err := s.Finder.SystemStats(ctx, hookd.StatsQuery{Since: now.Add(-time.Hour), Until: now, Interval: time.Hour})
	if err != nil {
		return err
	}
	ts, err := s.Tenants.Tenants(ctx, pageOf(r.URL.Query().Get("after")))
	if err != nil {
		return err
	}
	ts, next := nextOf(ts, func(t *hookd.Tenant) string { return t.ID })
	var rows []tenantRow
	var problems []problemRow
	for _, t := range ts {
		row := tenantRow{T: t}
		eps, err := s.Endpoints.Endpoints(ctx, t.ID, hookd.Page{Limit: 1000})
		if err != nil {
			return err
		}
		for _, e := range eps {
			row.Endpoints++
			switch {
			case e.Disabled:
				row.Disabled++
				problems = append(problems, problemRow{TenantID: t.ID, E: e})
			case e.FailingSince != nil:
				row.Fails++
				problems = append(problems, problemRow{TenantID: t.ID, E: e})
			}
		}
		rows = append(rows, row)
	}
	var oldest string
	if !b.OldestDue.IsZero() {
		oldest = now.Sub(b.OldestDue).Round(time.Second).String()
	}
	v.Title, v.Nav = "Operator", "ops"
	s.render(w, http.StatusOK, "ops", v, map[string]any{"Backlog": b, "Hour": hour.Totals, "Tenants": rows,
		"Problems": problems, "Next": next, "OldestAge": oldest,
		"FailureRate": rate(hour.Totals.Failed, hour.Totals.Succeeded+hour.Totals.Failed)})
	return nil
}

func rate(part, all int64) string {
	if all == 0 {
		return "—"
	}
	return strconv.FormatFloat(100*float64(part)/float64(all), 'f', 1, 64) + " %"
}
