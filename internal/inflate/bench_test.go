package inflate

import (
	"bufio"
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kpgzip "github.com/klauspost/compress/gzip"

	"github.com/seiri-dev/seiri/internal/benchcpu"
)

// loop runs one decode of all files per iteration and reports, beside the
// wall time, the process's CPU time per operation and the output bytes per
// CPU second (cpu-MB/s): on a shared machine the wall time says more about
// the load than about the code.
func loop(b *testing.B, size int64, one func()) {
	b.SetBytes(size)
	b.ReportAllocs()
	c0 := benchcpu.Used()
	n := 0
	for b.Loop() {
		one()
		n++
	}
	cpu := benchcpu.Used() - c0
	if n > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/op")
		b.ReportMetric(float64(size)*float64(n)/cpu.Seconds()/1e6, "cpu-MB/s")
	}
}

// benchFiles reads every 4th .json.gz file of $SEIRI_BENCH_CORPUS (a ctgen
// corpus: ct-300m gives ~2,500 files), up to 64 MiB compressed.
func benchFiles(b *testing.B) (files [][]byte, size int64) {
	dir := os.Getenv("SEIRI_BENCH_CORPUS")
	if dir == "" {
		b.Skip("SEIRI_BENCH_CORPUS is not set (a folder of CloudTrail .json.gz files)")
	}
	var total int64
	i := 0
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		i++
		if i%4 != 0 || total > 64<<20 {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var d Decoder
		out, err := d.Gunzip(nil, src)
		if err != nil {
			return err
		}
		files = append(files, src)
		total += int64(len(src))
		size += int64(len(out))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(files) == 0 {
		b.Skipf("no .json.gz files under %s", dir)
	}
	return files, size
}

// BenchmarkInflate decodes a sample of real log files whole, as the trail
// scan does (one reused output buffer per worker); SetBytes is the
// decompressed size, so MB/s is output bytes.
func BenchmarkInflate(b *testing.B) {
	files, size := benchFiles(b)
	b.Logf("%d files, %d bytes decompressed", len(files), size)
	buf := make([]byte, 0, 1<<20)
	readAll := func(b *testing.B, r io.Reader) {
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				return
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("inflate", func(b *testing.B) {
		var d Decoder
		loop(b, size, func() {
			for _, src := range files {
				out, err := d.Gunzip(buf[:0], src)
				if err != nil {
					b.Fatal(err)
				}
				if cap(out) > cap(buf) {
					buf = out
				}
			}
		})
	})
	b.Run("klauspost-bytes.Reader", func(b *testing.B) {
		var zr *kpgzip.Reader
		var br bytes.Reader
		loop(b, size, func() {
			for _, src := range files {
				br.Reset(src)
				var err error
				if zr == nil {
					zr, err = kpgzip.NewReader(&br)
				} else {
					err = zr.Reset(&br)
				}
				if err != nil {
					b.Fatal(err)
				}
				readAll(b, zr)
			}
		})
	})
	b.Run("klauspost-bufio", func(b *testing.B) {
		// What the scan did before: the in-memory file through a bufio.Reader.
		var zr *kpgzip.Reader
		var br bytes.Reader
		bf := bufio.NewReaderSize(nil, 256<<10)
		loop(b, size, func() {
			for _, src := range files {
				br.Reset(src)
				bf.Reset(struct{ io.Reader }{&br})
				var err error
				if zr == nil {
					zr, err = kpgzip.NewReader(bf)
				} else {
					err = zr.Reset(bf)
				}
				if err != nil {
					b.Fatal(err)
				}
				readAll(b, zr)
			}
		})
	})
	b.Run("stdlib", func(b *testing.B) {
		var zr *stdgzip.Reader
		var br bytes.Reader
		loop(b, size, func() {
			for _, src := range files {
				br.Reset(src)
				var err error
				if zr == nil {
					zr, err = stdgzip.NewReader(&br)
				} else {
					err = zr.Reset(&br)
				}
				if err != nil {
					b.Fatal(err)
				}
				readAll(b, zr)
			}
		})
	})
}
