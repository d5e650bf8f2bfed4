package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/workspace"
)

func writeSnapshot(t *testing.T, dir string, start time.Time, accounts ...string) string {
	t.Helper()
	w, err := Create(dir, start)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Source: "test", StartedAt: start, FinishedAt: start.Add(time.Minute)}
	for _, id := range accounts {
		rel, err := w.WriteAccount(&Account{AccountID: id, Users: []User{{UserName: "u-" + id}}})
		if err != nil {
			t.Fatal(err)
		}
		m.Accounts = append(m.Accounts, AccountStatus{AccountID: id, File: rel})
	}
	m.Accounts = append(m.Accounts, AccountStatus{AccountID: "999999999999", Error: "AssumeRole: AccessDenied"})
	if err := w.WriteOrganization(&Organization{ID: "o-test", Roots: []Root{{ID: "r-1", Name: "Root"}}}); err != nil {
		t.Fatal(err)
	}
	p, err := w.Commit(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteOpenLatest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeSnapshot(t, dir, t0, "111111111111")
	p2 := writeSnapshot(t, dir, t0.Add(time.Hour), "222222222222", "111111111111")

	// An interrupted write leaves only a pending folder, which is ignored.
	w, err := Create(dir, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAccount(&Account{AccountID: "333333333333"}); err != nil {
		t.Fatal(err)
	}

	s, err := Load(dir, Latest)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != p2 {
		t.Errorf("latest = %s, want %s", s.Dir, p2)
	}
	var ids []string
	for _, a := range s.Accounts {
		ids = append(ids, a.AccountID)
	}
	if diff := cmp.Diff([]string{"111111111111", "222222222222"}, ids); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	if s.Organization == nil || s.Organization.ID != "o-test" {
		t.Errorf("organization not loaded: %+v", s.Organization)
	}
	if !s.Manifest.Complete || s.Manifest.SchemaVersion != SchemaVersion {
		t.Errorf("manifest = %+v", s.Manifest)
	}
	if s.Account("222222222222") == nil || s.Account("000000000000") != nil {
		t.Error("Account lookup wrong")
	}
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("after abort: %d entries, want 2", len(ents))
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	p := writeSnapshot(t, dir, time.Now(), "111111111111")
	err := filepath.Walk(p, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	p := writeSnapshot(t, dir, time.Now(), "111111111111")
	manifest := filepath.Join(p, "manifest.json")

	cases := []struct {
		name     string
		manifest string
		wantErr  []string
	}{
		{"truncated", `{"schemaVersion": 1, "complete": `, []string{"manifest.json", "unexpected end of JSON input"}},
		{"syntax", "{\n  \"schemaVersion\": 1,\n  x\n}", []string{"manifest.json", "line 3"}},
		{"future schema", `{"schemaVersion": 99, "complete": true}`, []string{"schemaVersion 99 is not supported"}},
		{"incomplete", `{"schemaVersion": 1, "complete": false}`, []string{"incomplete"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(manifest, []byte(c.manifest), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(p)
			if err == nil {
				t.Fatal("Open succeeded on a bad manifest")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestOpenCorruptAccount(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	p := writeSnapshot(t, dir, time.Now(), "111111111111")
	f := filepath.Join(p, "accounts", "111111111111.json.gz")
	if err := os.WriteFile(f, []byte("not gzip"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(p)
	if err == nil || !strings.Contains(err.Error(), "111111111111.json.gz") {
		t.Fatalf("error %v does not name the corrupt file", err)
	}
}

func TestResolve(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	if _, err := Resolve(dir, Latest); err == nil || !strings.Contains(err.Error(), "no complete snapshot") {
		t.Errorf("Resolve on empty dir: %v", err)
	}
	p := writeSnapshot(t, dir, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "111111111111")
	for _, ref := range []string{"", Latest, p, "20260102T030405Z"} {
		got, err := Resolve(dir, ref)
		if err != nil || got != p {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, p)
		}
	}
	if _, err := Resolve(dir, "nope"); err == nil {
		t.Error("Resolve(nope) succeeded")
	}
}

func TestSameSecondSnapshots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := writeSnapshot(t, dir, t0, "111111111111")
	b := writeSnapshot(t, dir, t0, "111111111111")
	if a == b {
		t.Fatal("two snapshots in one second share a folder")
	}
}

func TestAWSManagedARN(t *testing.T) {
	for arn, want := range map[string]bool{
		"arn:aws:iam::aws:policy/AdministratorAccess":          true,
		"arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess":        true,
		"arn:aws:iam::aws:policy/service-role/AWSLambdaRole":   true,
		"arn:aws:iam::111122223333:policy/aws":                 false,
		"arn:aws:iam::111122223333:policy/AdministratorAccess": false,
		"":                        false,
		"arn:aws:iam::aws:role/x": false,
	} {
		if got := (ManagedPolicy{ARN: arn}).AWSManaged(); got != want {
			t.Errorf("AWSManaged(%q) = %v, want %v", arn, got, want)
		}
	}
}

func TestRemoveStalePending(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	done := writeSnapshot(t, dir, t0, "111111111111")
	if _, err := os.Stat(filepath.Join(done, workspace.OwnerFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a committed snapshot keeps its owner file: %v", err)
	}
	live, err := Create(dir, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	dead, err := Create(dir, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dead.claim.Release() // what kill -9 does to the lock; the folder stays
	got, err := RemoveStalePending(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	for _, st := range got {
		want := st.Path == dead.pending
		if st.Removed != want {
			t.Errorf("%s removed=%v (%s)", st.Path, st.Removed, st.Reason)
		}
	}
	if _, err := os.Stat(live.pending); err != nil {
		t.Errorf("live pending folder removed: %v", err)
	}
	if _, err := os.Stat(dead.pending); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dead pending folder kept: %v", err)
	}
	if _, err := live.Commit(&Manifest{}); err != nil {
		t.Errorf("commit after a sweep: %v", err)
	}
}

// A damaged manifest in the newest snapshot is an error naming it and the
// way out (--snapshot), never a silent fall back to the previous snapshot.
func TestLatestDamagedIsAnError(t *testing.T) {
	dir := t.TempDir()
	old := writeSnapshot(t, dir, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "111111111111")
	newest := writeSnapshot(t, dir, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "111111111111")
	if err := os.WriteFile(filepath.Join(newest, manifestFile), []byte("{\"schemaVersion\": 1,"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(dir, Latest)
	if err == nil {
		t.Fatal("latest resolved over a damaged newest snapshot")
	}
	for _, want := range []string{"newest snapshot " + filepath.Base(newest) + " is damaged", manifestFile, "--snapshot", "newest readable one is " + filepath.Base(old)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// Naming the older one still works.
	if got, err := Resolve(dir, filepath.Base(old)); err != nil || got != old {
		t.Errorf("Resolve(old) = %q, %v", got, err)
	}
	names, damaged, err := ListChecked(dir)
	if err != nil || len(names) != 1 || len(damaged) != 1 || damaged[0].Name != filepath.Base(newest) {
		t.Errorf("ListChecked = %v, %v, %v", names, damaged, err)
	}
	// A damaged snapshot older than a good one does not hide the good one.
	third := writeSnapshot(t, dir, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "111111111111")
	if got, err := Resolve(dir, Latest); err != nil || got != third {
		t.Errorf("Resolve(latest) = %q, %v; want %q", got, err, third)
	}
}
