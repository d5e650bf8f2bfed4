// Command scanprof runs the local engine on a directory with a CPU profile:
//
//	go run ./bench/trail/scanprof -dir /tmp/ctbench -cpuprofile /tmp/scan.pprof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/seiri-dev/seiri/internal/trail"
)

func main() {
	dir := flag.String("dir", "", "corpus directory")
	prof := flag.String("cpuprofile", "", "write a CPU profile here")
	par := flag.Int("parallel", 0, "workers")
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
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: *dir}, trail.Options{Parallel: *par})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := res.Summary
	fmt.Printf("files %d records %d decompressed %d rows %d in %s (%.0f MB/s)\n", s.FilesRead, s.Records, s.BytesDecompressed, s.Rows,
		s.Duration, float64(s.BytesDecompressed)/1e6/s.Duration.Seconds())
}
