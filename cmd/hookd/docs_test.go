package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestDocsNameEveryFlag keeps docs/configuration.md honest: every flag of
// every command it documents (at least these), and every environment
// variable a flag's help names, appears in it.
func TestDocsNameEveryFlag(t *testing.T) {
	documented := map[string]bool{"serve": true, "migrate": true, "listen": true, "trigger": true, "bench": true, "version": true, "simulate": true,
		"tenant": true, "token": true, "endpoint": true, "event": true, "delivery": true, "event-type": true, "source": true}
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	bin := binary(t)
	usage, _ := exec.Command(bin, "-h").CombinedOutput()
	commands := regexp.MustCompile(`(?m)^\s+hookd (\w[\w-]*)`).FindAllStringSubmatch(string(usage), -1)
	if len(commands) < 5 {
		t.Fatalf("hookd -h lists %d commands: %s", len(commands), usage)
	}
	flagLine := regexp.MustCompile(`(?m)^\s+--?(\w[\w-]*)`)
	envName := regexp.MustCompile(`HOOKD_[A-Z_]+`)
	flags := 0
	for _, c := range commands {
		help, _ := exec.Command(bin, c[1], "-h").CombinedOutput()
		if !strings.Contains(string(doc), "`hookd "+c[1]) {
			// A command of the service's own (serve and its tools) must
			// be documented; a new one gets its section when it lands.
			if documented[c[1]] {
				t.Errorf("docs/configuration.md has no section on hookd %s", c[1])
			} else {
				t.Logf("docs/configuration.md has no section on hookd %s yet", c[1])
			}
			continue
		}
		for _, f := range flagLine.FindAllStringSubmatch(string(help), -1) {
			flags++
			if !strings.Contains(string(doc), "`--"+f[1]+"`") {
				t.Errorf("docs/configuration.md does not name hookd %s --%s", c[1], f[1])
			}
		}
		for _, e := range envName.FindAllString(string(help), -1) {
			if !strings.Contains(string(doc), e) {
				t.Errorf("docs/configuration.md does not name %s (hookd %s)", e, c[1])
			}
		}
	}
	if flags < 40 {
		t.Fatalf("found %d flags in the commands' help: the pattern no longer matches how flags are listed", flags)
	}
}

// TestDocsNameEveryRoute keeps docs/api.md honest: every route the API
// registers appears in it as `METHOD /path`.
func TestDocsNameEveryRoute(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir("../../httpapi")
	if err != nil {
		t.Fatal(err)
	}
	route := regexp.MustCompile(`"((?:GET|POST|PUT|PATCH|DELETE) /[^"\s]*)"`)
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile("../../httpapi/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range route.FindAllStringSubmatch(string(src), -1) {
			n++
			if !strings.Contains(string(doc), "`"+m[1]+"`") {
				t.Errorf("docs/api.md does not name the route %s (httpapi/%s)", m[1], f.Name())
			}
		}
	}
	if n < 20 {
		t.Fatalf("found %d routes in httpapi: the pattern no longer matches how routes are registered", n)
	}
}
