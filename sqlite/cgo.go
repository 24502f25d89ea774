//go:build cgo

package sqlite

import (
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"
)

const defaultDriver = CGo

func init() { drivers[CGo] = &sqlite3.SQLiteDriver{} }

// cgoResultCode reads SQLite's primary result code from mattn/go-sqlite3's
// Error, which has it as a field, not a method.
func cgoResultCode(err error) (int, bool) {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return int(e.Code), true
	}
	return 0, false
}
