package usage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A read-only copy of a workspace (folder 0500, store 0400), as shared with
// auditors, answers queries; writes through the read-only store fail.
func TestOpenReadOnly(t *testing.T) {
	// Root ignores permissions: the store is then still opened read-only
	// (query_only), which the failing write below checks.
	enforced := runtime.GOOS != "windows" && os.Getuid() != 0
	ctx := context.Background()
	u := "arn:aws:iam::111111111111:user/u"
	dir, path, want := readOnlyStore(t, []Row{row(u, "s3:GetObject", "", 0, time.Hour, 2)}, nil)
	before, _ := os.ReadDir(dir)

	s, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Usage(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := s.Upsert(ctx, []Row{row(u, "s3:PutObject", "", 0, 0, 1)}); err == nil {
		t.Error("a write through a read-only store succeeded")
	}
	after, _ := os.ReadDir(dir)
	if enforced && len(after) != len(before) {
		t.Errorf("files in the workspace changed: %v → %v", before, after)
	}
}

func TestOpenReadOnlyWritableFolder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	if _, err := OpenReadOnly(ctx, path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing store: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("OpenReadOnly created the store")
	}
	w, _ := Open(ctx, path)
	w.Upsert(ctx, []Row{row("arn:aws:iam::111111111111:user/u", "s3:GetObject", "", 0, 0, 1)})
	s, err := OpenReadOnly(ctx, path) // while the writer is open (WAL)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Usage(ctx, Query{})
	if err != nil || len(rows) != 1 {
		t.Errorf("rows %d %v", len(rows), err)
	}
	s.Close()
	w.Close()

	if runtime.GOOS != "windows" {
		link := filepath.Join(t.TempDir(), "usage.db")
		os.Symlink(path, link)
		if _, err := OpenReadOnly(ctx, link); err == nil {
			t.Error("a symbolic link was followed")
		}
	}
}

// readOnlyStore writes rows into a new store in a workspace folder, lets
// change alter the closed file (nil: nothing), then makes the folder and
// the store read-only, as a copy shared with auditors. It returns the
// folder, the store and the rows it held before change.
func readOnlyStore(t *testing.T, rows []Row, change func(path string)) (dir, path string, want []Row) {
	t.Helper()
	ctx := context.Background()
	dir = filepath.Join(t.TempDir(), "ws")
	os.Mkdir(dir, 0o700)
	path = filepath.Join(dir, "usage.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Upsert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	want, _ = w.Usage(ctx, Query{})
	w.Close()
	if change != nil {
		change(path)
	}
	os.Chmod(path, 0o400)
	os.Chmod(dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700); os.Chmod(path, 0o600) })
	return dir, path, want
}
