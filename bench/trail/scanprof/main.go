// Command scanprof runs the local engine on a directory with a CPU profile:
//
//	go run ./bench/trail/scanprof -dir /tmp/ctbench -cpuprofile /tmp/scan.pprof
//
// -repeat N lists every file N times (as distinct objects), to scan N times
// the data with the same shape: peak RSS must not grow with N.
//
// -store FILE scans into a usage store (trail.ScanInto: lock, ledger, scan,
// set-based commit) and prints the commit's share and the store's size:
//
//	go run ./bench/trail/scanprof -dir /tmp/ct-300m -store /tmp/usage.db
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

func main() {
	dir := flag.String("dir", "", "corpus directory")
	prof := flag.String("cpuprofile", "", "write a CPU profile here")
	par := flag.Int("parallel", 0, "workers")
	repeat := flag.Int("repeat", 1, "read every file this many times")
	storePath := flag.String("store", "", "scan into this usage store (created if missing)")
	memprof := flag.String("memprofile", "", "write a heap profile taken when the live heap peaked here")
	flag.Parse()
	if *memprof != "" {
		stop := peakHeap(*memprof)
		defer stop()
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var src trail.Source = &trail.DirSource{Dir: *dir}
	if *repeat > 1 {
		src = &repeated{DirSource: trail.DirSource{Dir: *dir}, n: *repeat}
	}
	if *storePath != "" {
		if err := into(*storePath, src, *par); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	res, err := trail.Scan(context.Background(), src, trail.Options{Parallel: *par})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := res.Summary
	fmt.Printf("files %d records %d decompressed %d rows %d in %s (%.0f MB/s)\n", s.FilesRead, s.Records, s.BytesDecompressed, s.Rows,
		s.Duration, float64(s.BytesDecompressed)/1e6/s.Duration.Seconds())
}

// repeated lists each file n times under distinct keys.
type repeated struct {
	trail.DirSource
	n int
}

func (r *repeated) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	l, err := r.DirSource.List(ctx, f)
	if err != nil {
		return nil, err
	}
	objs := l.Objects
	l.Objects = nil
	for i := 0; i < r.n; i++ {
		for _, o := range objs {
			o.Key = fmt.Sprintf("%s#%d", o.Key, i)
			l.Objects = append(l.Objects, o)
		}
	}
	return l, nil
}

func (r *repeated) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	o.Key = o.Key[:strings.LastIndexByte(o.Key, '#')]
	return r.DirSource.Open(ctx, o)
}

func into(path string, src trail.Source, par int) error {
	ctx := context.Background()
	start := time.Now()
	st, err := usage.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := trail.ScanInto(ctx, st, src, trail.Options{Parallel: par}, start)
	if err != nil {
		return err
	}
	total := time.Since(start)
	s := res.Summary
	left := len(res.Rows)
	commit := total - s.Duration
	tot, err := st.Totals(ctx)
	if err != nil {
		return err
	}
	st.Close()
	var size int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			size += fi.Size()
		}
	}
	fmt.Printf("files %d (already scanned %d, already counted %d) records %d rows %d; scan %s, open+ledger+commit %s (%.1f%% of %s)\n",
		s.FilesRead, s.FilesAlreadyScanned, s.FilesAlreadyCounted, s.Records, s.Rows, s.Duration.Round(time.Millisecond),
		commit.Round(time.Millisecond), 100*commit.Seconds()/total.Seconds(), total.Round(time.Millisecond))
	// The commit overlaps the scan (settled groups go in while files are
	// read): what follows the last file is the tail.
	fmt.Printf("commit after the last file read (tail): %s (%.1f%% of the whole); %d groups settled during the scan, rows left for the end %d\n",
		res.CommitTail.Round(time.Millisecond), 100*res.CommitTail.Seconds()/total.Seconds(), res.Groups, left)
	fmt.Printf("store %d bytes: %d usage rows (%.0f B/row), %d events (%.0f B/event)\n", size, tot.Rows, float64(size)/float64(max(tot.Rows, 1)),
		tot.Events, float64(size)/float64(max(tot.Events, 1)))
	return nil
}

// peakHeap polls the live heap every 10 ms and keeps a heap profile
// taken each time it grows past its last peak; stop writes the last one
// to path (what was live at the peak, within the sampling).
func peakHeap(path string) (stop func()) {
	runtime.MemProfileRate = 64 << 10
	done := make(chan struct{})
	finished := make(chan []byte)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		var prof []byte
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				finished <- prof
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak+peak/20 {
				peak = v
				var b strings.Builder
				pprof.Lookup("heap").WriteTo(&b, 0)
				prof = []byte(b.String())
			}
		}
	}()
	return func() {
		close(done)
		prof := <-finished
		if err := os.WriteFile(path, prof, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}
