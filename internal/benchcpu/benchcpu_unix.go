//go:build unix

// Package benchcpu reads the process's CPU time for benchmarks: on a
// shared machine the wall time of a benchmark says more about the load
// than about the code, so benchmarks report CPU time per operation too.
package benchcpu

import (
	"syscall"
	"time"
)

// Used is the user and system CPU time this process has used (0 when it
// cannot be read).
func Used() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// Children is the user and system CPU time of the process's finished
// child processes (an evaluator run beside a benchmark).
func Children() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
