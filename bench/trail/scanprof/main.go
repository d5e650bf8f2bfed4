// Command scanprof runs the local engine on a directory with a CPU profile:
//
//	go run ./bench/trail/scanprof -dir /tmp/ctbench -cpuprofile /tmp/scan.pprof
//
// -repeat N lists every file N times (as distinct objects), to scan N times
// the data with the same shape: peak RSS must not grow with N.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/seiri-dev/seiri/internal/trail"
)

func main() {
	dir := flag.String("dir", "", "corpus directory")
	prof := flag.String("cpuprofile", "", "write a CPU profile here")
	par := flag.Int("parallel", 0, "workers")
	repeat := flag.Int("repeat", 1, "read every file this many times")
	flag.Parse()
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
