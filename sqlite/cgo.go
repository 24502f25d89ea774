//go:build cgo

package sqlite

import (
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"
)

const defaultDriver = CGo

func init() {
	drivers[CGo] = &sqlite3.SQLiteDriver{}
	// Each connection keeps its last 32 statements prepared, so the
	// queries sqlstore does not prepare itself (claims, reads) are parsed
	// once, not per call: a claim of 100 deliveries costs 12-18 % less
	// CPU (go test ./sqlite -bench Claim/cgo).
	options[CGo] = "_stmt_cache_size=32"
	// Before anything initializes the library (registerVFS does): its
	// allocations then take no process-wide mutex (vfs.go).
	memstatusOff()
	// The "hookd" VFS (vfs.go) writes a commit's frames to the log in one
	// write rather than two per page.
	if registerVFS() {
		options[CGo] += "&vfs=hookd"
	}
}

// cgoResultCode reads SQLite's primary result code from mattn/go-sqlite3's
// Error, which has it as a field, not a method.
func cgoResultCode(err error) (int, bool) {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return int(e.Code), true
	}
	return 0, false
}
