//go:build !windows

package main

import (
	"syscall"
	"time"
)

// cpu is the process's user + system CPU time so far (the steady figure on
// a shared machine, where wall time swings with the load).
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
