package trail_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// listTree writes files (relative, slash-separated) under a new folder,
// each with a size of its own and the modification time when, and returns
// the folder.
func listTree(t *testing.T, files []string, when time.Time) string {
	t.Helper()
	dir := t.TempDir()
	for i, rel := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("x", i+1)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// deliveryTree is two accounts × two regions × two days of the delivery
// layout (two files a day), their digest files, files seiri does not read
// at every level, a flat folder and a deep one.
func deliveryTree() (files []string, logs []string) {
	for _, acct := range []string{"111111111111", "222222222222"} {
		for _, region := range []string{"eu-west-1", "us-east-1"} {
			for _, day := range []string{"04", "05"} {
				for _, hm := range []string{"0005", "1210"} {
					base := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/2024/03/%s/", acct, region, day)
					name := fmt.Sprintf("%s_CloudTrail_%s_202403%sT%sZ_abc.json.gz", acct, region, day, hm)
					logs = append(logs, base+name)
					files = append(files, base+name,
						fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/2024/03/%s/%s_CloudTrail-Digest_%s_x_202403%sT%sZ.json.gz", acct, region, day, acct, region, day, hm))
				}
			}
		}
		files = append(files, "AWSLogs/"+acct+"/notes.txt")
	}
	for _, rel := range []string{"flat/a.json", "flat/sub/b.json.gz", "deep/1/2/3/4/c.json", "z.json"} {
		logs = append(logs, rel)
		files = append(files, rel)
	}
	files = append(files, "README.md", "flat/sub/.DS_Store")
	return files, logs
}

// TestDirSourceListTree: the listing of a tree read by several goroutines
// is the walk of the tree by name (the order filepath.WalkDir gives), with
// every file's size and modification time (to the second, UTC), and the
// digest files and other files counted, not listed.
func TestDirSourceListTree(t *testing.T) {
	files, _ := deliveryTree()
	when := time.Date(2024, 3, 6, 1, 2, 3, 456789000, time.FixedZone("x", 3600))
	dir := listTree(t, files, when)
	// The reference: a walk by name of the regular files the scan reads.
	var want []trail.Object
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.Contains(rel, "CloudTrail-Digest/") || !(strings.HasSuffix(rel, ".json") || strings.HasSuffix(rel, ".json.gz")) {
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		want = append(want, trail.Object{Key: rel, Size: info.Size(), MTime: time.Date(2024, 3, 6, 0, 2, 3, 0, time.UTC), Info: trail.ParsePath(rel)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 { // several goroutines: the same listing every time
		l, err := (&trail.DirSource{Dir: dir}).List(context.Background(), &trail.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(l.Objects, want, func(a, b trail.Object) bool {
			return a.Key == b.Key && a.Size == b.Size && a.MTime.Equal(b.MTime) && a.MTime.Location() == time.UTC && a.Info == b.Info
		}) {
			t.Fatalf("round %d: objects\n%v\nwant\n%v", round, l.Objects, want)
		}
		if l.Digests != 16 || l.Ignored != 4 || l.Pruned != 0 || len(l.Errors) != 0 {
			t.Errorf("round %d: digests %d ignored %d pruned %d errors %v, want 16, 4 (notes.txt ×2, README.md, .DS_Store), 0, none",
				round, l.Digests, l.Ignored, l.Pruned, l.Errors)
		}
	}
}

// TestDirSourceListPrunes: folders of the delivery layout outside the
// filter are counted as pruned and never entered, at every level (account,
// region, day), and so are their digest folders.
func TestDirSourceListPrunes(t *testing.T) {
	files, logs := deliveryTree()
	dir := listTree(t, files, time.Now())
	f := &trail.Filter{Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"}, Since: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)}
	l, err := (&trail.DirSource{Dir: dir}).List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range l.Objects {
		got = append(got, o.Key)
	}
	var want []string
	for _, k := range logs {
		if !strings.HasPrefix(k, "AWSLogs/") || strings.HasPrefix(k, "AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/05/") {
			want = append(want, k)
		}
	}
	slices.Sort(want) // the walk by name: no name here is a prefix of another
	if !slices.Equal(got, want) {
		t.Errorf("objects\n%q\nwant\n%q", got, want)
	}
	// Pruned: account 222222222222; under 111111111111 the region
	// eu-west-1 and the day 03/04 of us-east-1, for the logs and for the
	// digests (1 + 2 + 2). Ignored: the other account's notes.txt is in a
	// folder never entered.
	if l.Pruned != 5 || l.Digests != 2 || l.Ignored != 3 {
		t.Errorf("pruned %d digests %d ignored %d, want 5, 2 (the digests of the day read), 3", l.Pruned, l.Digests, l.Ignored)
	}
}

// TestDirSourceListFolderErrors: a folder that cannot be read is a listing
// error naming it, and the rest of the tree is listed. The folder here is
// one whose path is longer than the system takes (ENAMETOOLONG, whoever
// runs the test: a folder without permissions is readable by root).
func TestDirSourceListFolderErrors(t *testing.T) {
	dir := listTree(t, []string{"a.json", "deep/b.json", "z.json"}, time.Now())
	root, err := os.OpenRoot(filepath.Join(dir, "deep"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	long := strings.Repeat("d", 200)
	rel := ""
	for range 25 { // 25 × 201 bytes: past PATH_MAX (4096)
		rel = filepath.Join(rel, long)
		if err := root.Mkdir(rel, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := root.WriteFile(filepath.Join(rel, "lost.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := (&trail.DirSource{Dir: dir}).List(context.Background(), &trail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range l.Objects {
		keys = append(keys, o.Key)
	}
	if want := []string{"a.json", "deep/b.json", "z.json"}; !slices.Equal(keys, want) {
		t.Errorf("objects %q, want %q", keys, want)
	}
	if len(l.Errors) != 1 || !errors.Is(l.Errors[0].Err, syscall.ENAMETOOLONG) || !strings.HasPrefix(l.Errors[0].Prefix, filepath.Join(dir, "deep", long)) {
		t.Errorf("errors %v, want one: the folder too deep to name", l.Errors)
	}
}

// TestDirSourceListCancelled: a cancelled listing says so; it does not
// return part of the tree as if it were all of it.
func TestDirSourceListCancelled(t *testing.T) {
	files, _ := deliveryTree()
	dir := listTree(t, files, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if l, err := (&trail.DirSource{Dir: dir}).List(ctx, &trail.Filter{}); !errors.Is(err, context.Canceled) || l != nil {
		t.Errorf("cancelled listing: %v, %v; want context.Canceled and no listing", l, err)
	}
}
