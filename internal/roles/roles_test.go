package roles_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

const sampleRanges = `{"syncToken":"1","createDate":"2026-01-01-00-00-00",
"prefixes":[{"ip_prefix":"10.200.0.0/16","region":"eu-west-1","service":"AMAZON","network_border_group":"eu-west-1"},
{"ip_prefix":"10.200.0.0/16","region":"eu-west-1","service":"EC2","network_border_group":"eu-west-1"},
{"ip_prefix":"10.201.0.0/16","region":"us-east-1","service":"S3","network_border_group":"us-east-1"}],
"ipv6_prefixes":[{"ipv6_prefix":"2a05:d018::/36","region":"eu-west-1","service":"EC2","network_border_group":"eu-west-1"}]}`

func TestLookup(t *testing.T) {
	r, err := roles.ParseIPRanges([]byte(sampleRanges), "test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip      string
		ok      bool
		compute bool
		want    []string
	}{
		{"10.200.3.4", true, true, []string{"AMAZON", "EC2"}},
		{"10.201.3.4", true, false, []string{"S3"}},
		{"2a05:d018::1", true, true, []string{"EC2"}},
		{"::ffff:10.200.0.1", true, true, []string{"AMAZON", "EC2"}},
		{"8.8.8.8", false, false, nil},
		{"ec2.amazonaws.com", false, false, nil},
	}
	for _, tt := range tests {
		m, ok := r.Lookup(tt.ip)
		if ok != tt.ok || m.Compute() != tt.compute || !cmp.Equal(tt.want, m.Services) {
			t.Errorf("Lookup(%s) = %v %v compute %v; want %v %v %v", tt.ip, m.Services, ok, m.Compute(), tt.want, tt.ok, tt.compute)
		}
	}
}

func TestParseIPRangesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{`, "not the ip-ranges.json format"},
		{`{}`, "no syncToken and no prefixes"},
		{`{"syncToken":"1","prefixes":[{"ip_prefix":"300.1.1.0/24"}]}`, `prefixes[0].ip_prefix "300.1.1.0/24"`},
		{`{"syncToken":"1","ipv6_prefixes":[{"ipv6_prefix":"10.0.0.0/8"}]}`, `ipv6_prefixes[0].ipv6_prefix "10.0.0.0/8" is not an IPv6 prefix`},
	}
	for _, tt := range tests {
		_, err := roles.ParseIPRanges([]byte(tt.in), "f.json")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "f.json: ") {
			t.Errorf("ParseIPRanges(%s) error %v; want it to name f.json and contain %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseIPRanges(f *testing.F) {
	f.Add([]byte(sampleRanges))
	f.Add([]byte(`{"prefixes":[{"ip_prefix":"1.2.3.4/33"}]}`))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := roles.ParseIPRanges(b, "fuzz")
		if err == nil {
			r.Lookup("10.200.0.1")
		}
	})
}

func TestUpdateRanges(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ip-ranges.json":
			w.Write([]byte(sampleRanges))
		case "/bad.json":
			w.Write([]byte(`<html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	// Without a cache the embedded subset is in force.
	r, err := roles.LoadRanges(dir)
	if err != nil || !r.Embedded {
		t.Fatalf("LoadRanges before update: embedded=%v err=%v", r.Embedded, err)
	}
	for _, bad := range []string{"/bad.json", "/missing"} {
		if _, _, err := roles.UpdateRanges(context.Background(), srv.Client(), srv.URL+bad, dir); err == nil {
			t.Errorf("UpdateRanges(%s): no error", bad)
		}
	}
	_, path, err := roles.UpdateRanges(context.Background(), srv.Client(), srv.URL+"/ip-ranges.json", dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file %s: %v %v", path, fi.Mode(), err)
	}
	r, err = roles.LoadRanges(dir)
	if err != nil || r.Embedded || r.Len() != 4 {
		t.Fatalf("LoadRanges after update: embedded=%v len=%d err=%v", r.Embedded, r.Len(), err)
	}
	// A damaged cache falls back to the embedded subset with an error.
	os.WriteFile(filepath.Join(dir, roles.IPRangesCacheFile), []byte("junk"), 0o600)
	if r, err := roles.LoadRanges(dir); err == nil || !r.Embedded {
		t.Errorf("damaged cache: embedded=%v err=%v", r.Embedded, err)
	}
}

func TestSuggestKinds(t *testing.T) {
	rg, _ := roles.ParseIPRanges([]byte(sampleRanges), "t")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	acct := "123456789012"
	user := func(name string, console bool, tags map[string]string) snapshot.User {
		u := snapshot.User{ARN: "arn:aws:iam::" + acct + ":user/" + name, UserName: name, Tags: tags,
			AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIA" + strings.ToUpper(name), Status: "Active", CreateDate: now}}}
		if console {
			u.LoginProfile = &snapshot.LoginProfile{}
		}
		return u
	}
	row := func(name, action, res, ip, ua, vpce string) usage.Row {
		r := usage.Row{Key: usage.Key{Account: acct, Principal: "arn:aws:iam::" + acct + ":user/" + name, PrincipalType: "IAMUser", Action: action, Resource: res},
			Count: 3, Authz: true, SourceIPs: []string{ip}, UserAgents: []string{ua}}
		if vpce != "" {
			r.VPCEndpoints = []string{vpce}
		}
		return r
	}
	a := &snapshot.Account{AccountID: acct, Users: []snapshot.User{
		user("eks-app", false, nil), user("gitlab-ci", false, map[string]string{"repository": "acme/infra"}),
		user("vpce-app", false, nil), user("alice", true, nil), user("agent", false, nil), user("inactive", false, nil),
	}}
	a.Users[5].AccessKeys[0].Status = "Inactive"
	rows := []usage.Row{
		row("eks-app", "sqs:SendMessage", "arn:aws:sqs:eu-west-1:"+acct+":q", "8.8.8.8", "aws-sdk-go-v2/1.30 exec-env/AWS_EKS md/k8s", ""),
		row("gitlab-ci", "s3:PutObject", "arn:aws:s3:::acme-artifacts/x", "8.8.4.4", "aws-cli/2 gitlab-runner/17.0", ""),
		row("vpce-app", "dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:"+acct+":table/t", "10.0.0.5", "aws-sdk-go-v2/1.30", "vpce-0123"),
		row("alice", "s3:ListBucket", "arn:aws:s3:::b", "203.0.113.9", "aws-cli/2.17 os/macos", ""),
		row("agent", "cloudwatch:PutMetricData", "", "10.200.9.9", "aws-sdk-go-v2/1.30", ""),
	}
	got, err := roles.Suggest(roles.Input{Account: a, Usage: rows, Ranges: rg, Catalog: catalog.Embedded()})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, s := range got {
		kinds[s.User] = s.Kind
	}
	want := map[string]string{"eks-app": roles.KindEKSPodIdentity, "gitlab-ci": roles.KindOIDCGitLab, "vpce-app": roles.KindInstanceProfile,
		"alice": roles.KindIdentityCenter, "agent": roles.KindMonitoringRole}
	if d := cmp.Diff(want, kinds); d != "" {
		t.Errorf("kinds (-want +got):\n%s", d)
	}
	for _, s := range got {
		if s.User == "gitlab-ci" && !strings.Contains(string(s.Trust), "project_path:acme/infra:*") {
			t.Errorf("gitlab trust not scoped to the project: %s", s.Trust)
		}
		if s.User == "agent" && !strings.Contains(string(s.Trust), "ec2.amazonaws.com") {
			t.Errorf("monitoring agent on EC2 should trust ec2.amazonaws.com: %s", s.Trust)
		}
	}
}

// The role's policy is the one `seiri policy generate` proves (leastpriv);
// without a usage analysis no policy is written and a note says why.
func TestPolicyFromTheProvenGenerator(t *testing.T) {
	acct := "123456789012"
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a := &snapshot.Account{AccountID: acct, Users: []snapshot.User{{ARN: "arn:aws:iam::" + acct + ":user/app", UserName: "app", Path: "/",
		AccessKeys:     []snapshot.AccessKey{{AccessKeyID: "AKIAAPP", Status: "Active"}},
		InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "s3", Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}}}}}
	rows := []usage.Row{{Key: usage.Key{Account: acct, Principal: a.Users[0].ARN, PrincipalType: "IAMUser", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
		Authz: true, Count: 1, FirstSeen: now.AddDate(0, 0, -10), LastSeen: now.AddDate(0, 0, -1), UserAgents: []string{"exec-env/AWS_Lambda_go"}}}
	m := leastpriv.NewModel(&snapshot.Snapshot{Accounts: []*snapshot.Account{a}}, catalog.Embedded())
	m.Now = now
	an := leastpriv.NewAnalysis(m, m.Attribute(rowSeq(rows), leastpriv.NewWindow(now, 90, now.AddDate(0, 0, -95), now), true))
	got, err := roles.Suggest(roles.Input{Account: a, Usage: rows, Ranges: roles.EmbeddedRanges(), Analysis: an, Catalog: catalog.Embedded()})
	if err != nil || len(got) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	var doc struct {
		Statement []struct {
			Action, Resource []string
		}
	}
	if err := json.Unmarshal(got[0].Policy, &doc); err != nil {
		t.Fatalf("%v: %s", err, got[0].Policy)
	}
	if len(doc.Statement) != 1 || !slices.Equal(doc.Statement[0].Action, []string{"s3:GetObject"}) || !slices.Equal(doc.Statement[0].Resource, []string{"arn:aws:s3:::b/k"}) {
		t.Errorf("policy: %s", got[0].Policy)
	}
	if !slices.Contains(got[0].Notes, "least-privilege policy from seiri policy generate (90 days to 2026-11-01): covers 1/1 observed calls") {
		t.Errorf("notes: %q", got[0].Notes)
	}
	got, err = roles.Suggest(roles.Input{Account: a, Usage: rows, Ranges: roles.EmbeddedRanges()})
	if err != nil || len(got) != 1 || got[0].Policy != nil ||
		!slices.Contains(got[0].Notes, "no least-privilege policy written: no usage analysis (run seiri trail scan, then seiri policy generate arn:aws:iam::123456789012:user/app)") {
		t.Errorf("without an analysis: %+v %v", got, err)
	}
}

func TestSuggestWithoutUsageForTheAccount(t *testing.T) {
	a := &snapshot.Account{AccountID: "111122223333", Users: []snapshot.User{{ARN: "arn:aws:iam::111122223333:user/x", UserName: "x",
		AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIAX", Status: "Active"}}}}}
	other := []usage.Row{{Key: usage.Key{Account: "999999999999", Principal: "arn:aws:iam::999999999999:user/y", Action: "s3:GetObject"}, Authz: true, Count: 1}}
	got, err := roles.Suggest(roles.Input{Account: a, Usage: other, Ranges: roles.EmbeddedRanges()})
	if err != nil || len(got) != 1 || got[0].Kind != roles.KindNoUsageData {
		t.Fatalf("got %+v %v; want %s", got, err, roles.KindNoUsageData)
	}
}
