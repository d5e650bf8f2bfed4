package usage

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// digestInputs are up to 200 decompressed log files spread over the corpus
// at $SEIRI_DIGEST_CORPUS (a ctgen folder), or else synthetic files of
// ~48 KB (the corpus's mean).
func digestInputs(b *testing.B) [][]byte {
	dir := os.Getenv("SEIRI_DIGEST_CORPUS")
	if dir == "" {
		var out [][]byte
		for i := 0; i < 16; i++ {
			var sb strings.Builder
			sb.WriteString(`{"Records":[`)
			for j := 0; sb.Len() < 48<<10; j++ {
				fmt.Fprintf(&sb, `{"eventVersion":"1.08","eventID":"%d-%d","eventSource":"s3.amazonaws.com","eventName":"GetObject"},`, i, j)
			}
			sb.WriteString(`{}]}`)
			out = append(out, []byte(sb.String()))
		}
		return out
	}
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gz") {
			paths = append(paths, p)
		}
		return nil
	})
	var out [][]byte
	for i := 0; i < len(paths); i += max(len(paths)/200, 1) {
		f, err := os.Open(paths[i])
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	if len(out) == 0 {
		b.Fatalf("no .gz files under %s", dir)
	}
	return out
}

func benchDigest(b *testing.B, f func([]byte) string) {
	files := digestInputs(b)
	var n int64
	for _, d := range files {
		n += int64(len(d))
	}
	b.SetBytes(n / int64(len(files)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f(files[i%len(files)])
	}
}

// The digest of every decompressed file (docs/bench-trail.md, "Session 6:
// ledger"): XXH3-128 now, SHA-256 before.
func BenchmarkDigest(b *testing.B)       { benchDigest(b, Digest) }
func BenchmarkLegacyDigest(b *testing.B) { benchDigest(b, LegacyDigest) }
