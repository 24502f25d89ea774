//go:build !cgo || !linux

package slack

import "time"

// Current returns 0: without cgo on Linux the kernel's default stays.
func Current() time.Duration { return 0 }
