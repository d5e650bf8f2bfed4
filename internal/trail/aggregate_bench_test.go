package trail

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/seiri-dev/seiri/internal/benchcpu"
	"github.com/seiri-dev/seiri/internal/trail/gen"
)

// benchLogs returns decompressed log files: those under $SEIRI_BENCH_CORPUS
// (a ctgen corpus: realistic diversity) when it is set, else a generated
// corpus of one day.
func benchLogs(b *testing.B) (files [][]byte, accounts []string, size int64) {
	b.Helper()
	dir := os.Getenv("SEIRI_BENCH_CORPUS")
	if dir == "" {
		dir = b.TempDir()
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		if _, err := gen.Generate(gen.Sample(7, []string{"111111111111", "222222222222"}, t0, t0.AddDate(0, 0, 1), 2), gen.DirSink(dir)); err != nil {
			b.Fatal(err)
		}
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		files = append(files, data)
		accounts = append(accounts, ParsePath(filepath.ToSlash(p)).Account)
		size += int64(len(data))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return files, accounts, size
}

// BenchmarkAggregate measures the record scanner and the aggregation of
// one worker on decompressed logs (no decompression, no files):
//
//	SEIRI_BENCH_CORPUS=/path/to/ct-300m go test ./internal/trail -run XXX -bench Aggregate -benchtime 3x
func BenchmarkAggregate(b *testing.B) {
	files, accounts, size := benchLogs(b)
	m := &Mapper{}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := benchcpu.Used()
	rows := 0
	for range b.N {
		agg := newAggregator(m, &Filter{})
		var rec Record
		for i, f := range files {
			if _, err := ScanLog(f, &rec, func(r *Record) { agg.add(r, accounts[i]) }, nil); err != nil {
				b.Fatal(err)
			}
		}
		rows = len(agg.Rows())
	}
	b.ReportMetric(float64(benchcpu.Used()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(rows), "rows")
}
