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
	dir := filepath.Join(t.TempDir(), "ws")
	os.Mkdir(dir, 0o700)
	path := filepath.Join(dir, "usage.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u := "arn:aws:iam::111111111111:user/u"
	if err := w.Upsert(ctx, []Row{row(u, "s3:GetObject", "", 0, time.Hour, 2)}); err != nil {
		t.Fatal(err)
	}
	want, _ := w.Usage(ctx, Query{})
	w.Close()
	os.Chmod(path, 0o400)
	os.Chmod(dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700); os.Chmod(path, 0o600) })
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
