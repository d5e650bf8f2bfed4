// Command mergeprof measures what a rescan with new logs costs the usage
// store alone: it scans only the files listed in -files (e.g. the last
// hour of a corpus; paths as the scan of -dir lists them, or absolute),
// keeping the groups the scan settles, then, -rounds times, copies -base
// (a store scanned without those files) and writes the groups into the
// copy as trail.ScanInto would (rows, session keys and uses, objects; up
// to -batch groups per Add), with wall and CPU time of the writes and an
// optional CPU profile of them:
//
//	go run ./bench/trail/mergeprof -dir LOGS -files HOUR -base usage.db [-rounds 5] [-cpuprofile merge.pprof]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/benchcpu"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

func main() {
	dir := flag.String("dir", "", "corpus directory")
	files := flag.String("files", "", "file listing the paths to scan, one a line")
	base := flag.String("base", "", "a store scanned without those files (copied, never written)")
	rounds := flag.Int("rounds", 3, "rounds")
	batch := flag.Int("batch", 7, "groups written per Add (trail.ScanInto writes those waiting, up to 9)")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the writes here")
	keep := flag.String("keep", "", "keep the last round's store here")
	flag.Parse()
	if err := run(*dir, *files, *base, *rounds, *batch, *prof, *keep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// only lists the objects of src whose paths are in keep.
type only struct {
	trail.DirSource
	keep map[string]bool
}

func (o *only) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	l, err := o.DirSource.List(ctx, f)
	if err != nil {
		return nil, err
	}
	objs := l.Objects[:0]
	for _, x := range l.Objects {
		if o.keep[x.Key] || o.keep[filepath.Join(o.Dir, filepath.FromSlash(x.Key))] {
			objs = append(objs, x)
		}
	}
	l.Objects = objs
	return l, nil
}

func run(dir, files, base string, rounds, batch int, prof, keep string) error {
	ctx := context.Background()
	f, err := os.Open(files)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			want[l] = true
		}
	}
	f.Close()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	src := &only{DirSource: trail.DirSource{Dir: abs}, keep: want}
	var groups []trail.Settled
	res, err := trail.Scan(ctx, src, trail.Options{Settle: func(g trail.Settled) error {
		groups = append(groups, g)
		return nil
	}})
	if err != nil {
		return err
	}
	rows := 0
	for _, g := range groups {
		if g.Rows != nil {
			rows += g.Rows.Len()
		}
	}
	fmt.Printf("scanned %d files, %d records: %d groups, %d rows\n", res.Summary.FilesRead, res.Summary.Records, len(groups), rows)
	tmp, err := os.MkdirTemp("", "mergeprof")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if prof != "" {
		pf, err := os.Create(prof)
		if err != nil {
			return err
		}
		defer pf.Close()
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	stored, err := os.ReadFile(base) // read once, written afresh each round
	if err != nil {
		return err
	}
	path := filepath.Join(tmp, "usage.db")
	for r := 0; r < rounds; r++ {
		if err := os.WriteFile(path, stored, 0o600); err != nil {
			return err
		}
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
		st, err := usage.Open(ctx, path)
		if err != nil {
			return err
		}
		t, c := time.Now(), benchcpu.Used()
		n, err := write(ctx, st, groups, batch)
		wall, used := time.Since(t), benchcpu.Used()-c
		st.Close()
		if err != nil {
			return err
		}
		fmt.Printf("round %d: %d rows added or updated: wall %s, CPU %s\n", r+1, n, wall.Round(time.Millisecond), used.Round(time.Millisecond))
	}
	if keep != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(keep, b, 0o600)
	}
	return nil
}

// write does what trail.ScanInto does with the groups once the marks and
// ledger are read: the groups in batches (trail.SaveGroups), then Finish.
func write(ctx context.Context, st *usage.Store, groups []trail.Settled, batch int) (int64, error) {
	w, err := st.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer w.Rollback()
	for i := 0; i < len(groups); i += batch {
		if err := trail.SaveGroups(ctx, w, groups[i:min(i+batch, len(groups))]); err != nil {
			return 0, err
		}
	}
	return w.Finish(ctx, usage.Batch{})
}
