package main

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/hookd/hookd/sqlite"
)

// version is the release, set when building one:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/hookd
var version string

// versionString names this binary: the release (or the module version Go
// recorded), the commit it was built from when known, and the Go version.
func versionString() string {
	v, extra := version, ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version // "(devel)" for a build from a checkout
		}
		var rev, at, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			extra = " commit " + rev[:min(12, len(rev))]
			if modified == "true" {
				extra += "+changes"
			}
			if at != "" {
				extra += " " + at
			}
		}
	}
	if v == "" {
		v = "(unknown)"
	}
	return "hookd " + v + extra + " " + runtime.Version() + " sqlite drivers: " + strings.Join(sqlite.Drivers(), ", ") +
		" (default " + sqlite.Default + ")"
}
