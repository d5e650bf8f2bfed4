package root

import (
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/usage"
)

var roNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// roCommands only read the usage store: they must work on a read-only copy
// of a workspace (one shared with auditors).
var roCommands = [][]string{
	{"keys", "plan"},
	{"trail", "usage"},
	{"trail", "stats"},
	{"unused", "--all"},
}

// TestReadOnlyWorkspace runs the read commands on a workspace nobody may
// write. Root ignores file modes, so as root the commands run in a child
// process of this test binary under uid/gid 65534 (nobody), where the modes
// apply.
func TestReadOnlyWorkspace(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, roNow)
	ctx := context.Background()
	st, err := usage.Open(ctx, filepath.Join(ws, "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	seen := roNow.AddDate(0, 0, -3)
	err = st.Commit(ctx, usage.Batch{
		Rows: []usage.Row{{Key: usage.Key{Account: "111111111111", Principal: "arn:aws:iam::111111111111:user/ci", PrincipalType: "IAMUser",
			Action: "s3:ListBuckets", Region: "us-east-1"}, FirstSeen: seen, LastSeen: seen, Count: 1, Authz: true}},
		Run: &usage.Run{Engine: "local", StartedAt: roNow, FinishedAt: roNow, Since: roNow.AddDate(0, 0, -30), Until: roNow, Sources: []string{"test"}},
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "seiri.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Read-only for everybody: files 0444, folders 0555.
	if err := filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o555)
		}
		return os.Chmod(p, 0o444)
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
			if err == nil {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	if os.Geteuid() != 0 {
		runReadOnly(t, ws)
		return
	}
	// The child needs to reach the workspace and run a copy of this binary.
	for d := filepath.Dir(ws); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "root.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(bin), 0o755)
	cmd := exec.Command(bin, "-test.run", "^TestReadOnlyWorkspaceChild$", "-test.v")
	cmd.Env = append(os.Environ(), "SEIRI_RO_WORKSPACE="+ws, "HOME="+ws)
	cmd.Dir = ws
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestReadOnlyWorkspaceChild") {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
}

// TestReadOnlyWorkspaceChild is TestReadOnlyWorkspace's child process.
func TestReadOnlyWorkspaceChild(t *testing.T) {
	ws := os.Getenv("SEIRI_RO_WORKSPACE")
	if ws == "" {
		t.Skip("run by TestReadOnlyWorkspace only")
	}
	if os.Geteuid() == 0 {
		t.Fatal("the child must not run as root")
	}
	runReadOnly(t, ws)
}

func runReadOnly(t *testing.T, ws string) {
	// The workspace really is read-only for this process.
	if f, err := os.Create(filepath.Join(ws, "probe")); err == nil {
		f.Close()
		t.Fatal("the workspace is writable: the test proves nothing")
	}
	for _, args := range roCommands {
		args = append(args, "--config", filepath.Join(ws, "seiri.yaml"))
		out, errOut, code := cmdtest.RunWS(t, NewRootCmd, roNow, nil, ws, args...)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s%s", strings.Join(args[:2], " "), code, out, errOut)
		}
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
