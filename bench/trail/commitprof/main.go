// Command commitprof measures the usage store's commit alone: it scans a
// corpus once (no store), then commits the rows into a fresh store, and
// commits again the rows of the last hour of the corpus as an incremental
// scan would (a rescan with one new hour), with an optional CPU profile of
// the commits only:
//
//	go run ./bench/trail/commitprof -dir /tmp/ct-300m [-cpuprofile /tmp/commit.pprof]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/seiri-dev/seiri/internal/benchcpu"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

func main() {
	dir := flag.String("dir", "", "corpus directory")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the commits here")
	par := flag.Int("parallel", 0, "workers")
	flag.Parse()
	if err := run(*dir, *prof, *par); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir, prof string, par int) error {
	ctx := context.Background()
	src := &trail.DirSource{Dir: dir}
	c0 := benchcpu.Used()
	res, err := trail.Scan(ctx, src, trail.Options{Parallel: par})
	scanCPU := benchcpu.Used() - c0
	if err != nil {
		return err
	}
	// The last hour: rows whose last event falls in it, as a scan of that
	// hour's files alone would give (approximately: same shape, same keys).
	var last time.Time
	for _, r := range res.Rows {
		if r.LastSeen.After(last) {
			last = r.LastSeen
		}
	}
	var hour []usage.Row
	for _, r := range res.Rows {
		if r.FirstSeen.After(last.Add(-time.Hour)) {
			hour = append(hour, r)
		}
	}
	tmp, err := os.MkdirTemp("", "commitprof")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	st, err := usage.Open(ctx, filepath.Join(tmp, "usage.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	t, c0 := time.Now(), benchcpu.Used()
	if err := st.Commit(ctx, usage.Batch{Rows: res.Rows, SessionKeys: res.SessionKeys, SessionUses: res.SessionUses, Unmapped: res.Unmapped}); err != nil {
		return err
	}
	full, fullCPU := time.Since(t), benchcpu.Used()-c0
	t, c0 = time.Now(), benchcpu.Used()
	if err := st.Commit(ctx, usage.Batch{Rows: hour}); err != nil {
		return err
	}
	inc, incCPU := time.Since(t), benchcpu.Used()-c0
	fmt.Printf("scan: wall %s, CPU %s: %d rows, %d session keys\n", res.Summary.Duration.Round(time.Millisecond), scanCPU.Round(time.Millisecond), len(res.Rows), len(res.SessionKeys))
	fmt.Printf("commit into a fresh store: wall %s, CPU %s (%.1f%% of the scan's CPU)\n", full.Round(time.Millisecond), fullCPU.Round(time.Millisecond), 100*fullCPU.Seconds()/scanCPU.Seconds())
	fmt.Printf("commit of the last hour's %d rows into it: wall %s, CPU %s\n", len(hour), inc.Round(time.Millisecond), incCPU.Round(time.Millisecond))
	return nil
}
