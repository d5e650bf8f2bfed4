// Command gencorpus writes a generated CloudTrail corpus for benchmarks:
//
//	go run ./bench/trail/gencorpus -out /tmp/ct -accounts 4 -days 7 -scale 40
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/seiri-dev/seiri/internal/trail/gen"
)

func main() {
	out := flag.String("out", "", "output directory (required)")
	accounts := flag.Int("accounts", 2, "number of accounts")
	days := flag.Int("days", 1, "days of logs")
	scale := flag.Float64("scale", 1, "rate multiplier (1 ≈ 50 MB uncompressed per account-day)")
	seed := flag.Uint64("seed", 1, "seed")
	start := flag.String("start", "2026-10-01", "first day (UTC)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gencorpus: -out is required")
		os.Exit(2)
	}
	t0, err := time.Parse("2006-01-02", *start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(2)
	}
	var accts []string
	for i := 0; i < *accounts; i++ {
		accts = append(accts, fmt.Sprintf("%012d", 100000000000+int64(i)*111111111))
	}
	spec := gen.Sample(*seed, accts, t0, t0.AddDate(0, 0, *days), *scale)
	began := time.Now()
	st, err := gen.Generate(spec, gen.DirSink(*out))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	fmt.Printf("files %d  records %d  compressed %d bytes  uncompressed %d bytes  in %s\n",
		st.Files, st.Records, st.Bytes, st.UncompressedBytes, time.Since(began).Round(time.Millisecond))
}
