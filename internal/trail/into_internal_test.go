package trail

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/usage"
)

// listRows is a RowSet over a slice.
type listRows []usage.Row

func (l listRows) Len() int                 { return len(l) }
func (l listRows) Key(i int) usage.Key      { return l[i].Key }
func (l listRows) Fill(i int, r *usage.Row) { r.Count, r.Authz = l[i].Count, l[i].Authz }

// TestRowSetsConcatenate: the groups written as one batch are their rows
// one after the other, each row once.
func TestRowSetsConcatenate(t *testing.T) {
	var want []string
	r := &rowSets{}
	n := 0
	for g, size := range []int{3, 1, 5, 2} {
		var l listRows
		for i := range size {
			row := usage.Row{Key: usage.Key{Account: fmt.Sprint(g), Action: fmt.Sprint("a", i)}, Count: int64(10*g + i)}
			l = append(l, row)
			want = append(want, fmt.Sprintf("%s/%s %d", row.Account, row.Action, row.Count))
		}
		n += size
		r.sets, r.ends = append(r.sets, l), append(r.ends, n)
	}
	var got []string
	for i := range r.Len() {
		k := r.Key(i)
		var row usage.Row
		r.Fill(i, &row)
		got = append(got, fmt.Sprintf("%s/%s %d", k.Account, k.Action, row.Count))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows of the batch (-want +got):\n%s", diff)
	}
	if (&rowSets{}).Len() != 0 {
		t.Error("an empty batch has rows")
	}
}

// TestGroupObjects: a settling scan reads the biggest account and region
// first, each unit's files biggest first, and cuts the units into groups
// of whole units, each at least 1/groupParts of the bytes or 1/tailShare of
// the bytes after it, unless it is the last: a unit never spans two
// groups, small units share one, and the last group holds the smallest
// unit alone (what the store's writer has left after the last file read).
func TestGroupObjects(t *testing.T) {
	var todo []Object
	sizes := map[string]int64{}
	add := func(account, region string, n int, size int64) {
		for i := range n {
			key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/2024/03/04/f%d.json.gz", account, region, i)
			todo = append(todo, Object{Key: key, Size: size + int64(i), Info: PathInfo{Account: account, Region: region}})
			sizes[account+"/"+region] += size + int64(i)
		}
	}
	add("111111111111", "us-east-1", 40, 1000) // big: a group alone
	add("222222222222", "eu-west-1", 3, 900)
	for a := range 200 { // 200 small units: they share groups
		add(fmt.Sprintf("3%011d", a), "us-east-1", 1, 50)
	}
	add("", "", 2, 10) // outside the delivery layout: one more unit
	var total int64
	for _, s := range sizes {
		total += s
	}
	listed := slices.Clone(todo)
	groups, grp, perm := groupObjects(todo)
	if !slices.Equal(todo, listed) {
		t.Fatal("groupObjects moved the listed objects")
	}
	if !isIdentity(slices.Sorted(slices.Values(perm))) {
		t.Fatalf("the order is not a permutation of the %d objects", len(todo))
	}
	ordered := make([]Object, len(todo))
	for i, j := range perm {
		ordered[i] = todo[j]
	}
	todo = ordered
	// Past the groups of 1/groupParts, what is left after each group
	// shrinks by half the group at least: to the smallest unit (21 bytes)
	// in at most log1.5(total/21) more groups.
	smallest := slices.Min(slices.Collect(maps.Values(sizes)))
	if most := groupParts + 1 + int(math.Ceil(math.Log(float64(total)/float64(smallest))/math.Log(1.5))); len(groups) < 3 || len(groups) > most {
		t.Fatalf("%d groups for %d units: want 3 to %d", len(groups), len(sizes), most)
	}
	after := total             // bytes of the groups after this one
	seen := map[string]int32{} // unit → its group
	last := int64(-1)
	for gi, g := range groups {
		var bytes int64
		for i := g.start; i < g.end; i++ {
			o := todo[i]
			u := o.Info.Account + "/" + o.Info.Region
			if grp[i] != int32(gi) {
				t.Fatalf("object %d (%s) is in group %d, its range in %d", i, o.Key, grp[i], gi)
			}
			if was, ok := seen[u]; ok && was != int32(gi) {
				t.Fatalf("unit %s spans groups %d and %d", u, was, gi)
			}
			seen[u] = int32(gi)
			if i > g.start && todo[i-1].Info == o.Info && todo[i-1].Size < o.Size {
				t.Fatalf("%s before the bigger %s", todo[i-1].Key, o.Key)
			}
			bytes += o.Size
		}
		after -= bytes
		if gi < len(groups)-1 && bytes*groupParts < total && bytes*tailShare < after {
			t.Errorf("group %d holds %d of %d bytes: under 1/%d, and under 1/%d of the %d bytes after it, yet not the last", gi, bytes, total, groupParts, tailShare, after)
		}
		if gi > 0 && g.start != groups[gi-1].end {
			t.Errorf("group %d starts at %d, the one before ends at %d", gi, g.start, groups[gi-1].end)
		}
		if us := sizes[todo[g.start].Info.Account+"/"+todo[g.start].Info.Region]; last >= 0 && us > last {
			t.Errorf("group %d starts with a unit of %d bytes after one of %d", gi, us, last)
		} else {
			last = sizes[todo[g.end-1].Info.Account+"/"+todo[g.end-1].Info.Region]
		}
	}
	if len(seen) != len(sizes) || groups[len(groups)-1].end != len(todo) {
		t.Errorf("%d of %d units grouped, the last group ends at %d of %d objects", len(seen), len(sizes), groups[len(groups)-1].end, len(todo))
	}
	if lg := groups[len(groups)-1]; lg.end-lg.start != 2 || todo[lg.start].Info != (PathInfo{}) {
		t.Errorf("the last group holds %d objects from %s; want the smallest unit's 2 alone", lg.end-lg.start, todo[lg.start].Key)
	}
	if g := seen["111111111111/us-east-1"]; g != 0 || groups[0].end-groups[0].start != 40 {
		t.Errorf("the biggest unit is in group %d, which holds %d objects; want alone in group 0", g, groups[0].end-groups[0].start)
	}
}

func isIdentity(p []int32) bool {
	for i, v := range p {
		if v != int32(i) {
			return false
		}
	}
	return true
}

// BenchmarkGroupObjects orders a listing shaped like the 300 MB corpus's
// (9,900 files in 300 accounts and regions, keys ~110 bytes with a long
// common prefix, listed folder by folder): the scan's serial step between
// its listing and its first file read (docs/bench-trail.md, session 10).
func BenchmarkGroupObjects(b *testing.B) {
	var listed []Object
	for u := range 300 {
		account, region := fmt.Sprintf("%012d", 100000000000+u*7919), []string{"us-east-1", "eu-west-1", "ap-south-1"}[u%3]
		for f := range 33 {
			key := fmt.Sprintf("AWSLogs/o-abcdefghij/%s/CloudTrail/%s/2024/03/04/%s_CloudTrail_%s_20240304T%02d%02dZ_%016d.json.gz",
				account, region, account, region, f/12, f%12*5, u*100+f)
			listed = append(listed, Object{Key: key, Size: int64(1000 + (u*37+f*101)%9000), Info: ParsePath(key)})
		}
	}
	todo := make([]Object, len(listed))
	for b.Loop() {
		copy(todo, listed)
		groupObjects(todo)
	}
}

// overlapSource counts the files open at once: until two were, each Open
// waits up to wait for another file to be open beside it.
type overlapSource struct {
	DirSource
	wait time.Duration
	mu   sync.Mutex
	cond *sync.Cond
	open int
	most int
}

func (s *overlapSource) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	s.mu.Lock()
	s.open++
	s.most = max(s.most, s.open)
	s.cond.Broadcast()
	for end := time.Now().Add(s.wait); s.most < 2 && time.Now().Before(end); {
		t := time.AfterFunc(time.Until(end), s.cond.Broadcast)
		s.cond.Wait()
		t.Stop()
	}
	s.mu.Unlock()
	rc, err := s.DirSource.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return closeFunc{rc, func() { s.mu.Lock(); s.open--; s.mu.Unlock() }}, nil
}

type closeFunc struct {
	io.ReadCloser
	done func()
}

func (c closeFunc) Close() error { c.done(); return c.ReadCloser.Close() }

// TestCores: a worker reads a file only while it holds one of the scan's
// cores. With one of two cores held (the store's writer saving groups),
// the two workers read one file at a time; with none held, both at once.
// The cores exist only where the writer competes with the workers.
func TestCores(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		p := filepath.Join(dir, fmt.Sprintf("AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/04/111111111111_CloudTrail_us-east-1_20240304T0%d00Z_f%d.json", i, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"Records":[]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, held := range []int{0, 1} {
		// Unheld, a file waits (5 s at most) for the other worker's; held,
		// it waits 50 ms in vain.
		src := &overlapSource{DirSource: DirSource{Dir: dir}, wait: map[int]time.Duration{0: 5 * time.Second, 1: 50 * time.Millisecond}[held]}
		src.cond = sync.NewCond(&src.mu)
		c := make(cores, 2)
		for range held {
			c.take()
		}
		res, err := Scan(context.Background(), src, Options{Parallel: 2, cores: c})
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.FilesRead != 4 || src.most != 2-held {
			t.Errorf("%d of 2 cores held: %d files read, at most %d at once; want 4, at most %d", held, res.Summary.FilesRead, src.most, 2-held)
		}
	}

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for workers, want := range map[int]int{1: 0, 2: 0, 3: 0, 4: 4, 8: 8} {
		if got := cap(newCores(workers)); got != want || (want == 0) != (newCores(workers) == nil) {
			t.Errorf("%d workers on 4 CPUs: %d cores, want %d", workers, got, want)
		}
	}
}
