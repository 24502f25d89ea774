package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/sqlite"
)

// cleanEnv is the test's environment without hookd's own variables, so a
// developer's HOOKD_ADMIN_TOKEN or HOOKD_DB does not leak into the binary.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKD_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runBinary runs the real hookd to its end and returns its exit code and
// everything it printed.
func runBinary(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("hookd %v: %v: %s", args, err, out)
	return 0, ""
}

// startBinary starts the real hookd serve and returns its URL once it
// listens, and its output so far and from then on.
func startBinary(t *testing.T, env []string, args ...string) (string, *syncBuffer, *exec.Cmd) {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out.stdout(), out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var addr []string
	eventually(t, 30*time.Second, "hookd listening", func() bool {
		addr = addrLine.FindStringSubmatch(out.String())
		return addr != nil
	})
	checkAPI(t, addr[1])
	return "http://" + addr[1], out, cmd
}

var adminLine = regexp.MustCompile(`\n\s+(hka_\S+)\n`)

// TestAdminTokenFirstStart: the admin token generated at first start is
// kept only once the server listens, so a start that fails (port in use)
// does not spend the token shown once; the log says which token is in
// force; a HOOKD_ADMIN_TOKEN shorter than 16 characters is refused.
func TestAdminTokenFirstStart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "hookd.db")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	code, out := runBinary(t, cleanEnv(), "serve", "--db", db, "--addr", busy.Addr().String())
	if code == 0 || !strings.Contains(out, "address already in use") {
		t.Fatalf("start on a busy port: exit %d: %s", code, out)
	}
	if strings.Contains(out, "hka_") {
		t.Fatalf("a start that failed showed an admin token: %s", out)
	}

	// The next start generates the token, keeps it and shows it.
	url, out2, cmd := startBinary(t, cleanEnv(), "--db", db)
	m := adminLine.FindStringSubmatch(out2.Stdout())
	if m == nil {
		t.Fatalf("first successful start showed no admin token on its standard output: %s", out2)
	}
	if !strings.Contains(out2.String(), `admin_token="generated now"`) {
		t.Errorf("the log does not say the token was generated now: %s", out2)
	}
	if got := call(t, "GET", url+"/v1/tenants", m[1], nil, nil); got != 200 {
		t.Fatalf("the shown admin token: %d", got)
	}
	cmd.Process.Kill()
	cmd.Wait()

	// A restart uses the stored hash and shows nothing.
	url, out3, _ := startBinary(t, cleanEnv(), "--db", db)
	if strings.Contains(out3.String(), "hka_") || !strings.Contains(out3.String(), `admin_token="stored hash"`) {
		t.Errorf("restart: %s", out3)
	}
	if got := call(t, "GET", url+"/v1/tenants", m[1], nil, nil); got != 200 {
		t.Fatalf("the token after a restart: %d", got)
	}

	// From the environment: said so; too short: refused before anything.
	dir := t.TempDir()
	_, out4, _ := startBinary(t, cleanEnv("HOOKD_ADMIN_TOKEN="+testAdmin), "--db", "sqlite:"+filepath.Join(dir, "env.db"))
	if !strings.Contains(out4.String(), "admin_token=environment") {
		t.Errorf("the log does not say the token comes from the environment: %s", out4)
	}
	short := filepath.Join(dir, "short.db")
	code, out = runBinary(t, cleanEnv("HOOKD_ADMIN_TOKEN=secret"), "serve", "--db", "sqlite:"+short, "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(out, "HOOKD_ADMIN_TOKEN") || !strings.Contains(out, "at least 16") {
		t.Fatalf("a 6-character HOOKD_ADMIN_TOKEN: exit %d: %s", code, out)
	}
	if _, err := os.Stat(short); err == nil {
		t.Errorf("a refused start created the database")
	}
}

// TestCLIArguments: a stray argument is an error (not the silent end of the
// flags after it), values of --log-level and listen --profile are checked,
// -h prints the command's own flags and exits 0, and version says which
// build this is.
func TestCLIArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	env := cleanEnv("HOOKD_ADMIN_TOKEN=" + testAdmin)
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "foo", "--addr", "127.0.0.1:0"}, `unexpected argument "foo"`},
		{[]string{"serve", "--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"migrate", "--db", "sqlite:x.db", "now"}, `unexpected argument "now"`},
		{[]string{"listen", "--profile", "stripe"}, `--profile "stripe"`},
		{[]string{"listen", "--addr", "127.0.0.1:0", "extra"}, `unexpected argument "extra"`},
		{[]string{"trigger", "--tenant", "t", "a.b", "c.d"}, `unexpected argument "c.d"`},
		{[]string{"bench", "fast"}, `unexpected argument "fast"`},
	}
	for _, c := range bad {
		code, out := runBinary(t, env, c.args...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("hookd %v: exit %d, want an error saying %s: %s", c.args, code, c.want, out)
		}
	}
	// -h is the command's output, on standard output, and never shows
	// a token or a secret from the environment.
	secrets := cleanEnv("HOOKD_ADMIN_TOKEN="+testAdmin, "HOOKD_TOKEN=tenant-token-value", "HOOKD_SECRET=listen-secret-value",
		"HOOKD_DATA_KEY=data-key-value", "HOOKD_DB=postgres://u:db-password-value@127.0.0.1/x")
	help := []struct {
		cmd       string
		want, not []string
	}{
		{"serve", []string{"-addr", "-db", "-log-level"}, []string{"hookd: ", "help requested", "data-key-value", "db-password-value"}},
		{"migrate", []string{"-db", "-data-key"}, []string{"-addr", "-publish-rate", "help requested", "data-key-value", "db-password-value"}},
		{"listen", []string{"-profile", "-secret"}, []string{"-db", "help requested", "listen-secret-value"}},
		{"trigger", []string{"-tenant", "TYPE"}, []string{"-db", "help requested", testAdmin, "tenant-token-value"}},
		{"simulate", []string{"-tenant", "-fail-share", "LIFECYCLE"}, []string{testAdmin, "tenant-token-value"}},
		{"bench", []string{"-external", "-suite"}, []string{testAdmin}},
	}
	for _, c := range help {
		code, out, _ := cli(t, secrets, c.cmd, "-h")
		if code != 0 {
			t.Errorf("hookd %s -h: exit %d: %s", c.cmd, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("hookd %s -h does not show %s: %s", c.cmd, w, out)
			}
		}
		for _, n := range c.not {
			if strings.Contains(out, n) {
				t.Errorf("hookd %s -h shows %q: %s", c.cmd, n, out)
			}
		}
	}
	code, out := runBinary(t, env, "version")
	if code != 0 || !strings.HasPrefix(out, "hookd ") || !strings.Contains(out, runtime.Version()) || !strings.Contains(out, "(default "+sqlite.Default+")") {
		t.Errorf("hookd version: exit %d: %q", code, out)
	}
}

// TestAttemptIDsOpaque: the API shows attempt ids derived from the delivery
// and the attempt's number, not a sequence shared by every tenant.
func TestAttemptIDsOpaque(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	a.endpoint(t, "t", tok, map[string]any{"url": rc.URL})
	var ids []string
	for i := range 2 {
		var pub struct{ Deliveries []struct{ ID string } }
		a.must(t, 202, "POST", "/v1/tenants/t/events", tok, map[string]any{"type": "a.b", "payload": map[string]any{"i": i}}, &pub)
		d := pub.Deliveries[0].ID
		var got struct {
			Attempts []struct {
				ID any `json:"id"`
				N  int `json:"n"`
			} `json:"attempts"`
		}
		eventually(t, 10*time.Second, "an attempt recorded", func() bool {
			a.must(t, 200, "GET", "/v1/tenants/t/deliveries/"+d, tok, nil, &got)
			return len(got.Attempts) == 1
		})
		id, ok := got.Attempts[0].ID.(string)
		if !ok || id != hookd.AttemptID(d, 1, 0) {
			t.Fatalf("attempt id %v (%T), want %q", got.Attempts[0].ID, got.Attempts[0].ID, hookd.AttemptID(d, 1, 0))
		}
		ids = append(ids, id)
	}
	if ids[0] == ids[1] {
		t.Fatalf("two deliveries' first attempts share the id %s", ids[0])
	}
}

// TestDataKeyFileMissing: a SQLite database that holds data but has no key
// file (made with --data-key, or restored without its key) is refused
// with an error naming the key file, and no new key is made beside it; a
// new database gets its key file.
func TestDataKeyFileMissing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "hookd.db")
	if code, out := runBinary(t, cleanEnv(), "migrate", "--db", "sqlite:"+db, "--data-key", randomKey()); code != 0 {
		t.Fatalf("migrate with --data-key: exit %d: %s", code, out)
	}
	code, out := runBinary(t, cleanEnv(), "migrate", "--db", "sqlite:"+db)
	if code == 0 || !strings.Contains(out, db+".key does not") {
		t.Fatalf("migrate without the key: exit %d: %s", code, out)
	}
	if _, err := os.Stat(db + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file was made for a database that has data: %v", err)
	}
	fresh := filepath.Join(dir, "new.db")
	if code, out := runBinary(t, cleanEnv(), "migrate", "--db", "sqlite:"+fresh); code != 0 {
		t.Fatalf("a new database: exit %d: %s", code, out)
	}
	if st, err := os.Stat(fresh + ".key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("a new database's key file: %v", err)
	}
}
