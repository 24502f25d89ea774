package main

import (
	"strings"
	"testing"
)

// TestCLIFlagValueExit2: a flag value refused before any request (out of
// range, a file that cannot be read) is a command-line mistake: exit 2,
// with the verb's usage.
func TestCLIFlagValueExit2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	env := cleanEnv("HOOKD_URL=http://127.0.0.1:1", "HOOKD_TOKEN=t")
	for _, args := range [][]string{
		{"token", "create", "--tenant", "acme", "--expires-in", "9000h"},
		{"token", "create", "--tenant", "acme", "--expires-in", "1500ms"},
		{"tenant", "create", "--name", "x", "--metadata", "@" + t.TempDir() + "/missing.json"},
	} {
		code, _, errOut := cli(t, env, args...)
		if code != 2 || !strings.Contains(errOut, "usage: hookd") {
			t.Errorf("hookd %s: exit %d, want 2 with the usage: %s", strings.Join(args, " "), code, errOut)
		}
	}
}
