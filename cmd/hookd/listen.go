package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookd/hookd/receiver"
)

// runListen is a local receiver: it verifies webhooks of any profile with
// the given secrets and prints each one readably.
func runListen(ctx context.Context, args []string) error {
	fs := newFlagSet("listen", args)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on (loopback by default)")
	secrets := fs.String("secret", "", "endpoint secret(s), comma-separated (default HOOKD_SECRET)")
	publicKeys := fs.String("public-key", os.Getenv("HOOKD_PUBLIC_KEY"), "v1a public key(s) whpk_..., comma-separated (HOOKD_PUBLIC_KEY): standard and linkmoney")
	choices := "auto"
	for i, p := range receiver.Profiles() {
		sep := ", "
		if i == len(receiver.Profiles())-1 {
			sep = " or "
		}
		choices += sep + string(p)
	}
	prof := fs.String("profile", "auto", choices)
	status := fs.Int("status", 0, "answer this status to every request (default: 200 when verified, 401 when not)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *secrets == "" {
		*secrets = os.Getenv("HOOKD_SECRET") // read after parsing, so -h never prints it
	}
	if *prof != "auto" && !slices.Contains(receiver.Profiles(), receiver.Profile(*prof)) {
		return misuse(fs, "listen: --profile %q: want %s", *prof, choices)
	}
	if *status != 0 && (*status < 100 || *status > 599) {
		return misuse(fs, "listen: --status %d: want an HTTP status from 100 to 599", *status)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	l := &listener{out: os.Stdout, profile: *prof, status: *status}
	l.secrets, l.publicKeys = splitComma(*secrets), splitComma(*publicKeys)
	fmt.Fprintf(os.Stderr, "hookd listen: receiving on http://%s (profile %s)\n", ln.Addr(), *prof)
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type listener struct {
	mu      sync.Mutex
	out     io.Writer
	profile string
	secrets []string
	// publicKeys verify v1a signatures (standard, linkmoney).
	publicKeys []string
	status     int
}

// secretsOf returns the secrets of a detected profile among those given
// for every profile (a listener that takes several endpoints' webhooks):
// Standard Webhooks' (standard, linkmoney) are the whsec_ ones, Lean's and
// Weavr's any. When none fits, all are tried, so that the verdict says why
// the secret given does not suit; but with public keys given (v1a), which
// verify on their own, only those that read as a key (base64, the whsec_
// left out), so that another profile's secret does not fail the request.
func secretsOf(p receiver.Profile, secrets []string, publicKeys bool) []string {
	if p != receiver.Standard && p != receiver.LinkMoney {
		return secrets
	}
	var fit []string
	for _, s := range secrets {
		if strings.HasPrefix(s, "whsec_") {
			fit = append(fit, s)
		}
	}
	if len(fit) == 0 && !publicKeys {
		return secrets
	}
	if len(fit) == 0 {
		for _, s := range secrets {
			if _, err := base64.StdEncoding.DecodeString(s); err == nil {
				fit = append(fit, s)
			}
		}
	}
	return fit
}

// splitComma splits a comma-separated flag into its non-empty items.
func splitComma(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, receiver.DefaultMaxBodyBytes))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	p, secrets := receiver.Profile(l.profile), l.secrets
	if l.profile == "auto" || l.profile == "" {
		p = receiver.Detect(r.Header, body)
		secrets = secretsOf(p, secrets, len(l.publicKeys) > 0)
	}
	verdict := "not checked (no --secret or --public-key)"
	code := http.StatusOK
	if len(l.secrets) > 0 || len(l.publicKeys) > 0 {
		v := &receiver.Verifier{Profile: p, Secrets: secrets, PublicKeys: l.publicKeys}
		if err := v.Verify(r.Header, body); err != nil {
			verdict, code = "BAD ("+err.Error()+")", http.StatusUnauthorized
		} else {
			verdict = "ok"
		}
	}
	var typ, id, payload string
	if wh, err := receiver.Parse(p, r.Header, body); err == nil {
		typ, id = wh.Type, wh.ID
		var pretty bytes.Buffer
		if json.Indent(&pretty, wh.Payload, "  ", "  ") == nil {
			payload = pretty.String()
		}
	} else {
		typ = "(unreadable: " + err.Error() + ")"
		payload = string(body)
	}
	l.mu.Lock()
	fmt.Fprintf(l.out, "--- %s %s %s  profile=%s\n  type:      %s\n  id:        %s\n  signature: %s\n  payload:   %s\n",
		time.Now().UTC().Format(time.RFC3339Nano), r.Method, r.URL.Path, p, typ, id, verdict, payload)
	l.mu.Unlock()
	if l.status != 0 {
		code = l.status
	}
	w.WriteHeader(code)
}
