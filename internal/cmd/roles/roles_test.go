package roles

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/roles"
)

func TestRolesSuggestCommand(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	out, errOut, code := groupsRun(t, nil, ws, "roles", "suggest")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The short form: the summary first, one line per user, the next command last.
	if !strings.HasPrefix(out, "66 users with active keys: 1 ec2-instance-profile") || !strings.Contains(out, "\nACCOUNT       USER") ||
		!strings.Contains(out, "\n\nNext: seiri roles suggest --user ") || strings.Count(out, "\n") > 80 {
		t.Errorf("short form:\n%s", out)
	}
	out, errOut, code = groupsRun(t, nil, ws, "roles", "suggest", "--long")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"[555555555555] backup-agent (", "→ ec2-instance-profile",
		"payments-batch", "→ ecs-task-role", "→ lambda-execution-role", "→ monitoring-role", "→ oidc-github-actions",
		"1 ec2-instance-profile, 1 ecs-task-role, 1 lambda-execution-role, 1 monitoring-role, 3 oidc-github-actions",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(errOut, "embedded sample of AWS IP ranges") {
		t.Errorf("no note about the embedded ranges: %s", errOut)
	}
	out, _, code = groupsRun(t, nil, ws, "roles", "suggest", "--user", "ci-deployer", "--repo", "ci-deployer=acme/payments-api", "--output", "json")
	var doc struct {
		Snapshot    string
		Usage       *struct{ Store string }
		Suggestions []roles.Suggestion
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Suggestions) != 1 {
		t.Fatalf("json: exit %d %s", code, out)
	}
	if doc.Snapshot != "20261129T000000Z" || doc.Usage == nil || doc.Usage.Store != filepath.Join(ws, "usage.db") {
		t.Errorf("json does not name its snapshot and usage: %q %+v", doc.Snapshot, doc.Usage)
	}
	ss := doc.Suggestions
	if !strings.Contains(string(ss[0].Trust), "repo:acme/payments-api:*") {
		t.Errorf("trust policy not scoped to the repository: %s", ss[0].Trust)
	}
}

func TestRolesUpdateIPRangesCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"syncToken":"42","createDate":"2026-11-28-00-00-00","prefixes":[{"ip_prefix":"20.42.73.0/24","region":"eu-west-1","service":"EC2"}],"ipv6_prefixes":[]}`))
	}))
	defer srv.Close()
	ws, _ := groupsDemoWorkspace(t)
	out, errOut, code := groupsRun(t, nil, ws, "roles", "update-ip-ranges", "--url", srv.URL)
	if code != 0 || !strings.Contains(out, "AWS IP ranges 42") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	// The refreshed list makes the "CI" address 20.42.73.9 an EC2 one.
	out, errOut, _ = groupsRun(t, nil, ws, "roles", "suggest", "--user", "ci-dev")
	if strings.Contains(errOut, "embedded sample") || !strings.Contains(out, "20.42.73.9 (EC2 eu-west-1)") {
		t.Errorf("suggest after update:\n%s\n%s", out, errOut)
	}
}

// TestRolesBadInput: bad flags are bad input (exit 2) naming the value.
func TestRolesBadInput(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"roles", "suggest", "--repo", "nouser"}, `--repo "nouser": want USER=OWNER/REPO`},
		{[]string{"roles", "suggest", "--user", "nobody"}, "--user nobody: no such user with an active access key"},
		{[]string{"roles", "suggest", "--output", "csv"}, "--output csv: roles suggest writes table or json"},
	} {
		_, errOut, code := groupsRun(t, nil, ws, c.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errOut, c.want)
		}
	}
}
