package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd/client"
)

// The lifecycles hookd simulate publishes, by name; a provider's name
// selects all of its lifecycles.
var lifecycles = map[string]func(g *gen, fail bool) []simEvent{
	"linkmoney.payment":    linkMoneyPayment,
	"linkmoney.customer":   linkMoneyCustomer,
	"lean.entity":          leanEntity,
	"lean.payment":         leanPayment,
	"weavr.linked_account": weavrLinkedAccount,
}

// failurePaths are the lifecycles that have a failure path: --fail-share
// counts among them only.
var failurePaths = map[string]bool{"linkmoney.payment": true, "lean.payment": true, "weavr.linked_account": true}

// simEvent is one event of a simulated lifecycle.
type simEvent struct {
	typ     string
	key     string // the resource id: the ordering key
	payload map[string]any
}

// gen makes the ids and values of simulated resources from one seeded
// source, so a seed reproduces a run.
type gen struct{ r *rand.Rand }

func (g *gen) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// newRand is the source of a seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// linkMoneyPayment: created, pending, authorized, scheduled, initiated,
// succeeded, disbursed; or, failing, declined at pending (failed without
// an ACH return code), returned after initiation (failed with one), or
// canceled.
func linkMoneyPayment(g *gen, fail bool) []simEvent {
	id := g.uuid()
	base := map[string]any{"resourceId": id, "resourceType": "payment",
		"clientReferenceId": "order-" + g.digits(6), "transactionType": g.pick("DEBIT", "CREDIT")}
	step := func(typ string, extra ...any) simEvent {
		p := map[string]any{}
		for k, v := range base {
			p[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			p[extra[i].(string)] = extra[i+1]
		}
		return simEvent{typ: "linkmoney:" + typ, key: id, payload: p}
	}
	happy := []string{"payment.created", "payment.pending", "payment.authorized", "payment.scheduled", "payment.initiated", "payment.succeeded", "payment.disbursed"}
	var out []simEvent
	if !fail {
		for _, t := range happy {
			out = append(out, step(t))
		}
		return out
	}
	switch g.r.IntN(3) {
	case 0: // declined by Link Money at pending: no ACH code
		return []simEvent{step(happy[0]), step(happy[1]), step("payment.failed")}
	case 1: // returned by the bank after initiation
		for _, t := range happy[:5] {
			out = append(out, step(t))
		}
		return append(out, step("payment.failed", "achReturnCode", g.pick("R01", "R02", "R03", "R08", "R10")))
	default:
		return []simEvent{step(happy[0]), step(happy[1]), step("payment.canceled")}
	}
}

// linkMoneyCustomer: created, account linked, activated, later deactivated.
func linkMoneyCustomer(g *gen, _ bool) []simEvent {
	id := g.uuid()
	var out []simEvent
	for _, t := range []string{"customer.created", "customer.account.linked", "customer.activated", "customer.deactivated"} {
		out = append(out, simEvent{typ: "linkmoney:" + t, key: id, payload: map[string]any{"resourceId": id, "resourceType": "customer"}})
	}
	return out
}

var leanBanks = []string{"LEANMB1", "ENBD_UAE", "ADCB_UAE", "RAJHI_SAU"}

// leanEntity: an entity is created, an asynchronous data request's
// results are ready, and its bank's availability goes down and back up.
func leanEntity(g *gen, _ bool) []simEvent {
	id, customer, bank := g.uuid(), g.uuid(), g.pick(leanBanks...)
	entity := leanEntityPayload(g, id, customer, bank)
	avail := func(up bool) map[string]any {
		return map[string]any{"identifier": bank, "availability": map[string]any{
			"active": map[string]any{"payments": up, "data": up}, "enabled": map[string]any{"payments": true, "data": true}}}
	}
	return []simEvent{
		{typ: "lean:entity.created", key: id, payload: entity},
		{typ: "lean:results.ready", key: id, payload: map[string]any{"id": g.uuid()}},
		{typ: "lean:bank.availability.updated", key: id, payload: avail(false)},
		{typ: "lean:bank.availability.updated", key: id, payload: avail(true)},
	}
}

// leanEntityPayload is entity.created's payload: the customer's bank
// connection.
func leanEntityPayload(g *gen, id, customer, bank string) map[string]any {
	return map[string]any{"id": id, "app_user_id": "user_" + g.digits(10), "customer_id": customer,
		"permissions": []string{"transactions", "identity", "accounts", "balance"},
		"bank_details": map[string]any{"name": "Lean Mock Bank", "identifier": bank, "account_type": "PERSONAL",
			"logo": "https://cdn.leantech.me/img/banks/white-lean.png", "main_color": "#1beb75", "background_color": "#ffffff"}}
}

// leanPayment: the customer's entity is created (the bank connected), a
// payment source on it waits for the beneficiary cool-off, its beneficiary
// is created and becomes ACTIVE, then a payment is created and updated:
// ACCEPTED_BY_BANK, or FAILED when it fails. One key, the payment
// source's, orders the whole chain.
func leanPayment(g *gen, fail bool) []simEvent {
	src, customer, dest, benef, pay, intent := g.uuid(), g.uuid(), g.uuid(), g.uuid(), g.uuid(), g.uuid()
	amount := float64(g.r.IntN(100000)) / 100
	bank := g.pick(leanBanks...)
	beneficiary := func(status string) map[string]any {
		return map[string]any{"id": benef, "customer_id": customer, "payment_source_id": src, "payment_destination_id": dest, "status": status}
	}
	payment := func(status string) map[string]any {
		p := map[string]any{"id": pay, "customer_id": customer, "intent_id": intent, "status": status, "amount": amount,
			"currency": "AED", "payment_destination_id": dest}
		if status == "FAILED" {
			p["reason"] = "Insufficient funds"
		} else {
			p["bank_transaction_reference"] = strings.ToUpper(g.hex(12))
		}
		return p
	}
	final := "ACCEPTED_BY_BANK"
	if fail {
		final = "FAILED"
	}
	return []simEvent{
		{typ: "lean:entity.created", key: src, payload: leanEntityPayload(g, g.uuid(), customer, bank)},
		{typ: "lean:payment_source.created", key: src, payload: map[string]any{"id": src, "customer_id": customer,
			"status": "AWAITING_BENEFICIARY_COOL_OFF", "bank_identifier": bank, "bank_name": "Lean Mock Bank"}},
		{typ: "lean:payment_source.beneficiary.created", key: src, payload: beneficiary("AWAITING_BENEFICIARY_COOL_OFF")},
		{typ: "lean:payment_source.beneficiary.updated", key: src, payload: beneficiary("ACTIVE")},
		{typ: "lean:payment.created", key: src, payload: payment("PENDING_WITH_BANK")},
		{typ: "lean:payment.updated", key: src, payload: payment(final)},
	}
}

// weavrLinkedAccount: linkedAccountWatch PENDING_VERIFICATION, LINKED,
// then linkedAccountExpiringSoonWatch and the consent EXPIRED; failing,
// the account is rejected or is a duplicate of one already linked.
func weavrLinkedAccount(g *gen, fail bool) []simEvent {
	id, buyer, user := g.hex(24), g.digits(18), g.digits(18)
	bank := map[string]any{"accountNumber": g.digits(8), "sortCode": g.digits(6)}
	institution := map[string]any{"displayName": "Mock Bank", "countries": []string{"GB"}}
	expires := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(g.r.IntN(90*24)) * time.Hour)
	account := func(status, consent string, expiresIn int) map[string]any {
		return map[string]any{"id": id, "accountIdentification": bank, "currency": "GBP", "institution": institution,
			"consent": map[string]any{"expiresAt": expires.Format(time.RFC3339), "expiresIn": expiresIn, "status": consent},
			"status":  status, "buyerId": buyer, "userId": user}
	}
	first := simEvent{typ: "weavr:linkedAccountWatch", key: id, payload: account("PENDING_VERIFICATION", "ACTIVE", 7776000)}
	if fail {
		if g.r.IntN(2) == 0 {
			return []simEvent{first, {typ: "weavr:linkedAccountWatch", key: id,
				payload: map[string]any{"status": "REJECTED", "consent": map[string]any{"status": "REJECTED"}}}}
		}
		return []simEvent{first, {typ: "weavr:linkedAccountWatch", key: id, payload: map[string]any{
			"accountIdentification": bank, "currency": "GBP", "institution": institution, "status": "ERROR_DUPLICATED_ACCOUNT"}}}
	}
	return []simEvent{
		first,
		{typ: "weavr:linkedAccountWatch", key: id, payload: account("LINKED", "ACTIVE", 7776000)},
		{typ: "weavr:linkedAccountExpiringSoonWatch", key: id, payload: account("LINKED", "ACTIVE", 604800)},
		{typ: "weavr:linkedAccountWatch", key: id, payload: account("LINKED", "EXPIRED", 0)},
	}
}

// expandLifecycles turns the command line's names (a lifecycle, or a
// provider for all of its own) into lifecycle names, sorted, each once.
func expandLifecycles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		n := len(out)
		for name := range lifecycles {
			if name == a || strings.HasPrefix(name, a+".") {
				out = append(out, name)
			}
		}
		if len(out) == n {
			names := make([]string, 0, len(lifecycles))
			for name := range lifecycles {
				names = append(names, name)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("simulate: unknown lifecycle %q: want one of %s, or a provider (linkmoney, lean, weavr)", a, strings.Join(names, ", "))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// simulation is one run: the lifecycles made, then published round by
// round (step i of every lifecycle in round i), so each resource's events
// go out in order while the lifecycles interleave as real traffic does.
type simulation struct {
	api       *client.Client
	tenant    string
	rate      float64       // events per second; 0: as fast as the API takes them
	stepDelay time.Duration // pause between rounds; 0: compressed
	progress  io.Writer     // nil: none
}

type simRun struct {
	name   string
	failed bool
	events []simEvent
}

func (s *simulation) run(ctx context.Context, runs []*simRun) (int, error) {
	total := 0
	for _, r := range runs {
		total += len(r.events)
	}
	start, sent := time.Now(), 0
	for round := 0; ; round++ {
		var batch []client.EventCreate
		for _, r := range runs {
			if round < len(r.events) {
				e := r.events[round]
				b, err := json.Marshal(e.payload)
				if err != nil {
					return sent, err
				}
				batch = append(batch, client.EventCreate{Type: e.typ, Payload: b, OrderingKey: e.key})
			}
		}
		if len(batch) == 0 {
			break
		}
		if round > 0 && s.stepDelay > 0 {
			select {
			case <-time.After(s.stepDelay):
			case <-ctx.Done():
				return sent, ctx.Err()
			}
		}
		for len(batch) > 0 {
			n := min(len(batch), 200) // under the API's body limit
			if s.rate > 0 {
				n = min(n, max(1, int(s.rate)))
			}
			res, err := s.api.PublishBatch(ctx, s.tenant, batch[:n])
			if err != nil {
				return sent, err
			}
			for _, r := range res {
				if r.Err != nil {
					return sent, fmt.Errorf("publish refused: %v", r.Err)
				}
			}
			sent += n
			batch = batch[n:]
			if s.progress != nil {
				fmt.Fprintf(s.progress, "\rsimulate: %d/%d events published", sent, total)
			}
			if s.rate > 0 { // pace: the next batch waits until its time
				wait := time.Until(start.Add(time.Duration(float64(sent) / s.rate * float64(time.Second))))
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return sent, ctx.Err()
				}
			}
		}
	}
	if s.progress != nil {
		fmt.Fprintln(s.progress)
	}
	return sent, nil
}

// runSimulate publishes the providers' lifecycles into a tenant.
func runSimulate(ctx context.Context, args []string) error {
	fs := newFlagSet("simulate", args)
	base, token := apiFlags(fs)
	tenant := tenantFlag(fs)
	count := fs.Int("count", 1, "lifecycles of each kind")
	rate := fs.Float64("rate", 50, "events per second at most (0: as fast as the API takes them)")
	failShare := fs.Float64("fail-share", 0.1, "share of lifecycles that take a failure path, 0 to 1")
	seed := fs.Uint64("seed", 0, "seed of the ids and choices, for a reproducible run (0: a random one, printed)")
	stepDelay := fs.Duration("step-delay", 0, "pause between a lifecycle's steps (default 0: delays compressed)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hookd simulate --tenant T [--count N] [--rate R] [--fail-share F] [--seed S] LIFECYCLE...")
		fmt.Fprintln(fs.Output(), "LIFECYCLE: linkmoney.payment, linkmoney.customer, lean.entity, lean.payment, weavr.linked_account, or a provider")
		fs.PrintDefaults()
	}
	// Flags may come before or after the lifecycles.
	var names []string
	for {
		if err := parse(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		names, args = append(names, fs.Arg(0)), fs.Args()[1:]
	}
	if *token == "" {
		*token = envToken()
	}
	switch {
	case len(names) == 0:
		return misuse(fs, "simulate: name at least one lifecycle")
	case *tenant == "" || *token == "":
		return misuse(fs, "simulate: --tenant and --token are required")
	case *count < 1 || *count > 100000:
		return misuse(fs, "simulate: --count must be from 1 to 100000")
	case *rate < 0:
		return misuse(fs, "simulate: --rate must be 0 (no limit) or more")
	case *failShare < 0 || *failShare > 1:
		return misuse(fs, "simulate: --fail-share must be from 0 to 1")
	case *stepDelay < 0:
		return misuse(fs, "simulate: --step-delay must not be negative")
	}
	kinds, err := expandLifecycles(names)
	if err != nil {
		return misuse(fs, "%v", err)
	}
	if *seed == 0 {
		*seed = rand.Uint64()
	}
	g := &gen{r: newRand(*seed)}
	var runs []*simRun
	for i := 0; i < *count; i++ {
		for _, k := range kinds {
			fail := g.r.Float64() < *failShare && failurePaths[k]
			runs = append(runs, &simRun{name: k, failed: fail, events: lifecycles[k](g, fail)})
		}
	}
	sim := &simulation{api: client.New(*base, *token, client.WithUserAgent("hookd-simulate")), tenant: *tenant,
		rate: *rate, stepDelay: *stepDelay}
	if isTerminal(os.Stderr) {
		sim.progress = os.Stderr
	}
	start := time.Now()
	sent, err := sim.run(ctx, runs)
	printSimSummary(os.Stdout, runs, kinds, sent, *seed, time.Since(start))
	if err != nil {
		return describe("simulate", err)
	}
	return nil
}

// printSimSummary writes, per lifecycle, how many ran, how many took a
// failure path and how many events they made, then the totals.
func printSimSummary(w io.Writer, runs []*simRun, kinds []string, sent int, seed uint64, took time.Duration) {
	fmt.Fprintf(w, "%-22s %10s %8s %8s\n", "LIFECYCLE", "LIFECYCLES", "FAILING", "EVENTS")
	total := 0
	for _, k := range kinds {
		n, failed, events := 0, 0, 0
		for _, r := range runs {
			if r.name == k {
				n++
				events += len(r.events)
				if r.failed {
					failed++
				}
			}
		}
		total += events
		fmt.Fprintf(w, "%-22s %10d %8d %8d\n", k, n, failed, events)
	}
	fmt.Fprintf(w, "published %d of %d events in %s (seed %d)\n", sent, total, took.Round(time.Millisecond), seed)
}
