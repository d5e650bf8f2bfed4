package trail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// TestDirSourceOpen: what DirSource.Open hands the scan reads like the file
// itself: the same bytes, a ReaderAt and a Stat with the file's size and
// modification time (the gzip size hint reads them), and Close once.
func TestDirSourceOpen(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte(`{"Records":[]}`), 1000))
	zw.Close()
	files := map[string][]byte{
		"a.json.gz":   gz.Bytes(),
		"b.json":      []byte(`{"Records":[]}`),
		"empty.json":  nil,
		"big.json.gz": bytes.Repeat([]byte{0x1f, 0x8b, 7}, 3<<20/3), // past the pooled buffers' size
		"huge.json":   make([]byte, 33<<20),                         // past what is read whole: streamed
	}
	mtime := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	src := &trail.DirSource{Dir: dir}
	for round := 0; round < 2; round++ { // the second round reuses pooled buffers
		for name, want := range files {
			rc, err := src.Open(context.Background(), trail.Object{Key: name})
			if err != nil {
				t.Fatal(err)
			}
			st, ok := rc.(interface {
				io.ReaderAt
				Stat() (os.FileInfo, error)
			})
			if !ok {
				t.Fatalf("%s: %T is not an io.ReaderAt with Stat", name, rc)
			}
			fi, err := st.Stat()
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != int64(len(want)) || !fi.ModTime().Equal(mtime) || fi.IsDir() || fi.Name() != name {
				t.Errorf("%s: Stat = %s %d %s dir=%v, want size %d, mtime %s", name, fi.Name(), fi.Size(), fi.ModTime(), fi.IsDir(), len(want), mtime)
			}
			if len(want) >= 4 {
				tail := make([]byte, 4)
				if n, err := st.ReadAt(tail, int64(len(want)-4)); n != 4 || (err != nil && err != io.EOF) || !bytes.Equal(tail, want[len(want)-4:]) {
					t.Errorf("%s: ReadAt(tail) = %d %v %x", name, n, err, tail)
				}
				past := make([]byte, 8)
				if n, err := st.ReadAt(past, int64(len(want)-4)); n != 4 || err != io.EOF {
					t.Errorf("%s: ReadAt past the end = %d, %v; want 4, EOF", name, n, err)
				}
			}
			got, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: read %d bytes (%v), want %d", name, len(got), err, len(want))
			}
			if err := rc.Close(); err != nil {
				t.Errorf("%s: Close: %v", name, err)
			}
			if err := rc.Close(); !errors.Is(err, os.ErrClosed) {
				t.Errorf("%s: second Close = %v, want ErrClosed", name, err)
			}
		}
	}
	if _, err := src.Open(context.Background(), trail.Object{Key: "missing.json.gz"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

// TestDirSourceKeysWhateverTheRoot: the keys are the paths relative to the
// folder however it is named (absolute, trailing slash, relative, ".", a
// link to it).
func TestDirSourceKeysWhateverTheRoot(t *testing.T) {
	dir := t.TempDir()
	for _, rel := range []string{"AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/04/111111111111_CloudTrail_us-east-1_20240304T0005Z_a.json.gz", "flat/b.json", "c.json"} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"Records":[]}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(root string) []string {
		l, err := (&trail.DirSource{Dir: root}).List(context.Background(), &trail.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range l.Objects {
			out = append(out, o.Key)
		}
		return out
	}
	want := []string{"AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/04/111111111111_CloudTrail_us-east-1_20240304T0005Z_a.json.gz", "c.json", "flat/b.json"}
	t.Chdir(filepath.Dir(dir))
	for _, root := range []string{dir, dir + "/", filepath.Base(dir), "./" + filepath.Base(dir) + "/"} {
		if got := keys(root); !slices.Equal(got, want) {
			t.Errorf("root %q: keys %q, want %q", root, got, want)
		}
	}
	t.Chdir(dir)
	if got := keys("."); !slices.Equal(got, want) {
		t.Errorf(`root ".": keys %q, want %q`, got, want)
	}
	// A link to the folder (a mounted or linked copy of the logs) is the
	// folder.
	link := filepath.Join(t.TempDir(), "logs")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if got := keys(link); !slices.Equal(got, want) {
		t.Errorf("root %q (a link): keys %q, want %q", link, got, want)
	}
}

// TestDirSourceListLinks: a link to a log file is listed as the file (its
// size), a dangling link is a listing error naming it, and a link to a
// folder is neither followed nor dropped silently: counted as ignored.
func TestDirSourceListLinks(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(filepath.Join(logs, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "elsewhere.json")
	if err := os.WriteFile(target, []byte(`{"Records":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, to := range map[string]string{
		"linked.json":   target,
		"dangling.json": filepath.Join(dir, "missing.json"),
		"folder.json":   filepath.Join(logs, "sub"),
	} {
		if err := os.Symlink(to, filepath.Join(logs, link)); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	l, err := (&trail.DirSource{Dir: logs}).List(context.Background(), &trail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range l.Objects {
		keys = append(keys, o.Key)
		if o.Key == "linked.json" && o.Size != int64(len(`{"Records":[]}`)) {
			t.Errorf("linked.json listed with size %d, want its target's", o.Size)
		}
	}
	if !slices.Equal(keys, []string{"linked.json"}) {
		t.Errorf("objects %v, want [linked.json]", keys)
	}
	if len(l.Errors) != 1 || l.Errors[0].Prefix != "dangling.json" || !errors.Is(l.Errors[0].Err, os.ErrNotExist) {
		t.Errorf("listing errors %+v, want one for dangling.json (not found)", l.Errors)
	}
	if l.Ignored != 1 {
		t.Errorf("ignored %d, want 1 (the link to a folder)", l.Ignored)
	}
}
