package workspace_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/workspace"
)

func TestOpenCreatesOpenExistingDoesNot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo-ws")
	_, err := workspace.OpenExisting(dir)
	var we *workspace.Error
	if !errors.As(err, &we) || !errors.Is(err, workspace.ErrNotExist) {
		t.Fatalf("OpenExisting of a missing folder: %v", err)
	}
	want := "no workspace at " + dir + "; run `seiri collect` or `seiri demo` first (or pass --workspace)"
	if err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenExisting created %s", dir)
	}
	w, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if w.ReadOnly {
		t.Error("Open is for writers")
	}
	fi, _ := os.Stat(dir)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("created with mode %04o", fi.Mode().Perm())
	}
	r, err := workspace.OpenExisting(dir)
	if err != nil || !r.ReadOnly {
		t.Fatalf("OpenExisting of an existing folder: %v %+v", err, r)
	}
	if _, err := r.Subdir("cache"); err == nil {
		t.Error("a read-only workspace created a folder")
	}
}

func TestWorkspaceThatIsAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ws")
	os.WriteFile(p, []byte("x"), 0o600)
	for name, open := range map[string]func(string) (*workspace.Workspace, error){"Open": workspace.Open, "OpenExisting": workspace.OpenExisting} {
		_, err := open(p)
		var we *workspace.Error
		if !errors.As(err, &we) || err.Error() != "workspace "+p+": is a file, not a workspace folder; pass a folder with --workspace" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWritableByOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows folders are protected by ACLs, not mode bits")
	}
	dir := filepath.Join(t.TempDir(), "ws")
	os.Mkdir(dir, 0o700)
	os.Chmod(dir, 0o777)
	w, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Notes) != 1 || w.Notes[0] != "workspace "+dir+" was writable by group or others (mode 0777); changed it to 0700" {
		t.Errorf("notes %q", w.Notes)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode now %04o", fi.Mode().Perm())
	}
	os.Chmod(dir, 0o775)
	w, err = workspace.OpenExisting(dir)
	if err != nil || len(w.Notes) != 1 || !strings.Contains(w.Notes[0], "(mode 0775)") {
		t.Errorf("reader: %v %q", err, w.Notes)
	}
	w, _ = workspace.Open(dir)
	if len(w.Notes) != 0 {
		t.Errorf("a private workspace got notes %q", w.Notes)
	}
}

func TestSymlinksRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	tmp := t.TempDir()
	real := filepath.Join(tmp, "real")
	os.Mkdir(real, 0o700)
	link := filepath.Join(tmp, "link")
	os.Symlink(real, link)
	if _, err := workspace.Open(link); err == nil || !strings.Contains(err.Error(), "is a symbolic link (to "+real+")") {
		t.Errorf("workspace link: %v", err)
	}

	// A journal.jsonl planted as a link to a file elsewhere.
	victim := filepath.Join(tmp, "victim")
	os.WriteFile(victim, []byte("precious\n"), 0o600)
	os.Symlink(victim, filepath.Join(real, "journal.jsonl"))
	_, err := workspace.Open(real)
	if err == nil || !strings.Contains(err.Error(), "journal.jsonl is a symbolic link (to "+victim+")") {
		t.Errorf("planted journal link: %v", err)
	}
	f, err := workspace.OpenAppend(filepath.Join(real, "journal.jsonl"))
	if err == nil {
		f.Write([]byte("appended\n"))
		f.Close()
		t.Error("OpenAppend followed a link")
	}
	if _, err := workspace.ReadFile(filepath.Join(real, "journal.jsonl")); err == nil {
		t.Error("ReadFile followed a link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("victim changed: %q", b)
	}
	// WriteFile replaces a link, never writes through it.
	if err := workspace.WriteFile(filepath.Join(real, "journal.jsonl"), []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("victim changed by WriteFile: %q", b)
	}
	if _, err := workspace.OpenLockFile(filepath.Join(real, "journal.jsonl")); err != nil {
		t.Errorf("regular file after WriteFile: %v", err)
	}
}

func TestWriteFileSync(t *testing.T) {
	p := filepath.Join(t.TempDir(), "backups", "b.json")
	if err := workspace.WriteFileSync(p, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	b, err := workspace.ReadFile(p)
	if err != nil || string(b) != "{}\n" {
		t.Fatalf("%q %v", b, err)
	}
	fi, _ := os.Stat(p)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o", fi.Mode().Perm())
	}
}

func TestRemoveStale(t *testing.T) {
	parent := t.TempDir()
	now := time.Now()
	mk := func(name string) string {
		p := filepath.Join(parent, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "data"), []byte("iam data"), 0o600)
		return p
	}
	live := mk(".pending-live")
	c, err := workspace.ClaimDir(live)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	dead := mk(".pending-dead")
	host, _ := os.Hostname()
	// What a writer killed with kill -9 leaves: an owner file, no lock.
	os.WriteFile(filepath.Join(dead, workspace.OwnerFile), []byte("999999 "+host+" 2026-01-01T00:00:00Z\n"), 0o600)
	other := mk(".pending-other")
	os.WriteFile(filepath.Join(other, workspace.OwnerFile), []byte("42 some-other-host 2026-01-01T00:00:00Z\n"), 0o600)
	young := mk(".pending-legacy-young")
	old := mk(".pending-legacy-old")
	os.Chtimes(old, now.Add(-48*time.Hour), now.Add(-48*time.Hour))
	keep := mk("20260101T000000Z")

	got, err := workspace.RemoveStale(parent, ".pending-", now)
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]bool{}
	for _, s := range got {
		removed[filepath.Base(s.Path)] = s.Removed
		if s.Reason == "" {
			t.Errorf("%s: no reason", s.Path)
		}
	}
	want := map[string]bool{".pending-live": false, ".pending-dead": true, ".pending-other": false,
		".pending-legacy-young": false, ".pending-legacy-old": true}
	for k, v := range want {
		r, seen := removed[k]
		if !seen || r != v {
			t.Errorf("%s: removed %v (seen %v), want %v", k, r, seen, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("reported %d folders, want %d", len(got), len(want))
	}
	for p, exists := range map[string]bool{live: true, dead: false, other: true, young: true, old: false, keep: true} {
		if _, err := os.Stat(p); (err == nil) != exists {
			t.Errorf("%s exists=%v, want %v", p, err == nil, exists)
		}
	}
}

// TestClaimAfterKill9 runs a real writer process, kills it with SIGKILL
// while it holds its claim, and checks that only then is its folder stale.
func TestClaimAfterKill9(t *testing.T) {
	if dir := os.Getenv("SEIRI_TEST_CLAIM_CHILD"); dir != "" {
		if _, err := workspace.ClaimDir(dir); err != nil {
			os.Exit(3)
		}
		os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL on Windows")
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, ".pending-child")
	os.Mkdir(dir, 0o700)
	cmd := exec.Command(os.Args[0], "-test.run=^TestClaimAfterKill9$")
	cmd.Env = append(os.Environ(), "SEIRI_TEST_CLAIM_CHILD="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			break
		}
		if i > 1000 {
			cmd.Process.Kill()
			t.Fatal("child never claimed the folder")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := workspace.RemoveStale(parent, ".pending-", time.Now())
	if err != nil || len(got) != 1 || got[0].Removed {
		t.Fatalf("while the writer lives: %+v %v", got, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	got, err = workspace.RemoveStale(parent, ".pending-", time.Now())
	if err != nil || len(got) != 1 || !got[0].Removed || !strings.Contains(got[0].Reason, "is gone") {
		t.Fatalf("after kill -9: %+v %v", got, err)
	}
}
