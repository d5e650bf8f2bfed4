//go:build !unix

// Package benchcpu reads the process's CPU time for benchmarks.
package benchcpu

import "time"

// Used is not measured on this system: it is always 0.
func Used() time.Duration { return 0 }

// Children is not measured on this system: it is always 0.
func Children() time.Duration { return 0 }
