package trail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/seiri-dev/seiri/internal/trail"
)

// Benchmarks run on a generated corpus; for the multi-GB figures in
// docs/bench-trail.md see bench/trail/README.md. Small and quick here:
//
//	go test ./internal/trail -run XXX -bench . -benchtime 5x

func benchCorpus(b *testing.B) (string, int64) {
	b.Helper()
	dir := b.TempDir()
	st := genCorpus(b, dir, 1, 2)
	return dir, st.UncompressedBytes
}

// BenchmarkScanDir measures the whole local engine: list, decompress, scan, aggregate.
func BenchmarkScanDir(b *testing.B) {
	dir, size := benchCorpus(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanLog measures the JSON record scanner alone on decompressed data.
func BenchmarkScanLog(b *testing.B) {
	dir, _ := benchCorpus(b)
	var files [][]byte
	var size int64
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		raw, _ := os.ReadFile(p)
		r, _ := gzip.NewReader(bytes.NewReader(raw))
		data, _ := io.ReadAll(r)
		files = append(files, data)
		size += int64(len(data))
		return nil
	})
	b.SetBytes(size)
	b.ResetTimer()
	var rec trail.Record
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			if _, err := trail.ScanLog(f, &rec, func(*trail.Record) {}, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
