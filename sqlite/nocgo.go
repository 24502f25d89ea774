//go:build !cgo

package sqlite

// Without cgo, SQLite's C library cannot be linked: PureGo is the only driver.
const defaultDriver = PureGo

func cgoResultCode(error) (int, bool) { return 0, false }
