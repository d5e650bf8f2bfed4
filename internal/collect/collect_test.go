package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/klauspost/compress/gzip"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// isolate keeps the developer's AWS configuration out of the tests.
func isolate(t testing.TB) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

type env struct {
	fake *awsfake.Server
	sess *awsclient.Session
	ws   string
	sc   awsfake.Scenario
}

func setup(t testing.TB, accounts, users int, configure func(*awsfake.Server)) *env {
	return setupMode(t, accounts, users, configure, aws.RetryModeStandard)
}

// setupMode runs the real session; tests use standard retries because
// adaptive mode throttles the client to 0.5 requests/s after injected
// throttling (TestAdaptiveRetry covers adaptive mode).
func setupMode(t testing.TB, accounts, users int, configure func(*awsfake.Server), mode aws.RetryMode) *env {
	t.Helper()
	isolate(t)
	sc := awsfake.SampleScenario(now, accounts, users)
	f := awsfake.New(sc, awsfake.Options{PageSize: 2})
	t.Cleanup(f.Close)
	if configure != nil {
		configure(f)
	}
	sess, err := awsclient.New(context.Background(), awsclient.Options{
		EndpointURL: f.URL, Credentials: f.Credentials(), MaxAttempts: 4, MaxBackoff: 2 * time.Millisecond,
		RoleName: awsclient.DefaultRoleName, RetryMode: mode,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: f, sess: sess, ws: filepath.Join(t.TempDir(), "snapshots"), sc: sc}
}

// testParser, when set (captureReports), replaces the credential report
// parser of the options fastOpts returns.
var testParser func(csv []byte) (*credreport.Report, error)

func fastOpts(o Options) Options {
	o.ParseCredentialReport = testParser
	o.PollInterval = time.Millisecond
	o.PollMaxInterval = 2 * time.Millisecond
	o.Now = func() time.Time { return now }
	o.SeiriVersion = "test"
	return o
}

// captureReports installs a credential report "parser" that records the raw
// CSV instead of parsing it.
func captureReports(t *testing.T) *sync.Map {
	var got sync.Map
	testParser = func(b []byte) (*credreport.Report, error) {
		rows := bytes.Count(b, []byte("\n")) - 1
		got.Store(string(b[bytes.Index(b, []byte("arn:aws:iam::"))+13:][:12]), rows)
		return &credreport.Report{Rows: make([]credreport.Row, rows)}, nil
	}
	t.Cleanup(func() { testParser = nil })
	return &got
}

func TestCollectOrganizationEndToEnd(t *testing.T) {
	e := setup(t, 3, 5, func(f *awsfake.Server) { f.CredentialReportStarted(3) })
	reports := captureReports(t)
	var last Progress
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true, Parallel: 2, Progress: func(p Progress) { last = p }}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.FailedAccounts()) != 0 || len(res.Manifest.Accounts) != 3 {
		t.Fatalf("manifest accounts %+v", res.Manifest.Accounts)
	}
	if last.Done != 3 || last.Total != 3 || last.APICalls == 0 {
		t.Errorf("last progress %+v", last)
	}
	snap, err := snapshot.Load(e.ws, snapshot.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Manifest.CallerARN != "arn:aws:iam::111111110000:user/seiri-operator" || !snap.Manifest.Complete || snap.Manifest.Source != "collect" {
		t.Errorf("manifest %+v", snap.Manifest)
	}
	for _, st := range snap.Manifest.Accounts {
		if st.Name == "" || st.APICalls == 0 || len(st.Warnings) != 0 {
			t.Errorf("account status %+v", st)
		}
	}
	// Every account equals its seed, field by field (what the APIs cannot
	// return is ignored: the credential report is checked separately).
	opts := cmp.Options{
		cmpopts.IgnoreFields(snapshot.Account{}, "CredentialReport", "Trails"),
		cmpopts.EquateEmpty(),
		jsonSemantic,
	}
	for i, want := range e.sc.Accounts {
		got := snap.Account(want.AccountID)
		if got == nil {
			t.Fatalf("account %s missing", want.AccountID)
		}
		w := *want
		w.AccessAdvisorCollected = true
		w.Name = e.sc.Organization.Accounts[i].Name
		if diff := cmp.Diff(&w, got, opts); diff != "" {
			t.Errorf("account %d (-seed +collected):\n%s", i, diff)
		}
		if got.CredentialReport == nil || len(got.CredentialReport.Rows) != 6 {
			t.Errorf("account %s credential report %+v", want.AccountID, got.CredentialReport)
		}
		if rows, _ := reports.Load(want.AccountID); rows != 6 {
			t.Errorf("account %s: report rows %v", want.AccountID, rows)
		}
		if len(got.Trails) != len(want.Trails) {
			t.Fatalf("trails %+v", got.Trails)
		}
		for j, tr := range got.Trails {
			wt := want.Trails[j]
			if tr.Name != wt.Name || tr.ARN != wt.ARN || tr.IsLogging != wt.IsLogging || tr.IsOrganizationTrail != wt.IsOrganizationTrail || tr.S3BucketName != wt.S3BucketName {
				t.Errorf("trail %+v, want %+v", tr, wt)
			}
			if (len(wt.EventSelectors) > 0) != strings.Contains(string(tr.EventSelectors), `"AWS::S3::Object"`) ||
				(len(wt.AdvancedEventSelectors) > 0) != strings.Contains(string(tr.AdvancedEventSelectors), `"eventCategory"`) {
				t.Errorf("trail %s selectors %s / %s", tr.Name, tr.EventSelectors, tr.AdvancedEventSelectors)
			}
		}
	}
	// Policy documents were URL-decoded.
	a0 := snap.Account("111111110000")
	var d struct {
		Statement []struct {
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal(a0.Policies[0].Document, &d); err != nil || d.Statement[0].Condition["StringLike"]["s3:prefix"][0] != "a b/+&=%" {
		doc := a0.Policies[0].Document
		t.Errorf("decoded document %s", doc)
	}
	// The organization equals its seed (ARNs are the fake's; order sorted).
	want := *e.sc.Organization
	got := *snap.Organization
	sortOrg(&want)
	sortOrg(&got)
	oopts := cmp.Options{cmpopts.IgnoreFields(snapshot.Organization{}, "ARN", "AccessReports"), cmpopts.IgnoreFields(snapshot.Root{}, "ARN"),
		cmpopts.IgnoreFields(snapshot.OU{}, "ARN"), cmpopts.IgnoreFields(snapshot.OrgAccount{}, "ARN"), cmpopts.EquateEmpty()}
	if diff := cmp.Diff(want, got, oopts); diff != "" {
		t.Errorf("organization (-seed +collected):\n%s", diff)
	}
	scp := got.Policies[0]
	for _, p := range got.Policies {
		if p.ID == "p-denyleave01" {
			scp = p
		}
	}
	if !cmp.Equal(scp.Targets, []string{"ou-ab12-workload", "ou-ab12-security"}) {
		t.Errorf("SCP targets %v", scp.Targets)
	}
	// The credential report stayed STARTED for 3 polls: 4 generate calls per account.
	for _, a := range e.sc.Accounts {
		if n := e.fake.Count(a.AccountID, "GenerateCredentialReport"); n != 4 {
			t.Errorf("account %s: %d GenerateCredentialReport calls, want 4", a.AccountID, n)
		}
	}
	assertNoSecrets(t, filepath.Dir(e.ws))
}

// jsonSemantic compares policy documents as JSON values (the snapshot
// store escapes & < > as \u0026...).
var jsonSemantic = cmp.Transformer("json", func(m json.RawMessage) any {
	var v any
	if err := json.Unmarshal(m, &v); err != nil {
		return string(m)
	}
	return v
})

func sortOrg(o *snapshot.Organization) {
	sort.Slice(o.OUs, func(i, j int) bool { return o.OUs[i].ID < o.OUs[j].ID })
	sort.Slice(o.Policies, func(i, j int) bool { return o.Policies[i].ID < o.Policies[j].ID })
	sort.Slice(o.Accounts, func(i, j int) bool { return o.Accounts[i].ID < o.Accounts[j].ID })
	sort.Strings(o.TrustedServices)
	for i := range o.Roots {
		sort.Strings(o.Roots[i].PolicyTypes)
	}
}

// assertNoSecrets reads every file under dir (gunzipping .gz) and fails if a
// secret key or session token of the fake appears.
func assertNoSecrets(t *testing.T, dir string) {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			data, _ = io.ReadAll(zr)
		}
		fi, _ := d.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
		for _, secret := range []string{awsfake.SecretAccessKey, "fakeTempSecret", "FAKE-SESSION-TOKEN"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s contains a secret (%s…)", p, secret[:8])
			}
		}
		n++
		return nil
	})
	if n == 0 {
		t.Error("no files written")
	}
}

func TestCollectPartialFailureAndThrottling(t *testing.T) {
	e := setup(t, 3, 3, func(f *awsfake.Server) {
		f.DenyAssumeRole("111111110002")
		f.Throttle("", "ListAccessKeys", 2)                               // every account: 2 throttles, then success
		f.Throttle("", "ListRoots", 1)                                    // organizations: TooManyRequestsException
		f.Throttle("", "DescribeTrails", 1)                               // cloudtrail: ThrottlingException
		f.Throttle("111111110001", "GetAccountAuthorizationDetails", 100) // exhausted
	})
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true}))
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]string{}
	for _, st := range res.FailedAccounts() {
		failed[st.AccountID] = st.Error
	}
	if len(failed) != 2 ||
		!strings.Contains(failed["111111110002"], "assume role arn:aws:iam::111111110002:role/OrganizationAccountAccessRole: AccessDenied") ||
		!strings.Contains(failed["111111110001"], "GetAccountAuthorizationDetails: Throttling") {
		t.Fatalf("failed accounts %v", failed)
	}
	snap, err := snapshot.Load(e.ws, snapshot.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 1 || snap.Accounts[0].AccountID != "111111110000" {
		t.Fatalf("accounts in snapshot: %d", len(snap.Accounts))
	}
	keys := 0
	for _, u := range snap.Accounts[0].Users {
		keys += len(u.AccessKeys)
	}
	if keys != 3 || len(snap.Accounts[0].Trails) != 2 {
		t.Errorf("keys %d trails %d", keys, len(snap.Accounts[0].Trails))
	}
	// 3 users' first ListAccessKeys calls: 2 throttled attempts + 1 success for the first call only.
	if n := e.fake.Count("111111110000", "ListAccessKeys"); n != 3+2 {
		t.Errorf("ListAccessKeys requests %d, want 5", n)
	}
	if n := e.fake.Count("111111110001", "GetAccountAuthorizationDetails"); n != 4 {
		t.Errorf("exhausted account: %d attempts, want --max-attempts 4", n)
	}
}

func TestAdaptiveRetry(t *testing.T) {
	e := setupMode(t, 2, 2, func(f *awsfake.Server) {
		f.Throttle("111111110001", "GetAccountSummary", 1)
	}, aws.RetryModeAdaptive)
	captureReports(t)
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true, NoAccessAdvisor: true}))
	if err != nil || len(res.FailedAccounts()) != 0 {
		t.Fatalf("%v %+v", err, res)
	}
	for _, st := range res.Manifest.Accounts {
		if len(st.Warnings) != 0 {
			t.Errorf("warnings %v", st.Warnings)
		}
	}
	if n := e.fake.Count("", "GetAccountSummary"); n != 3 {
		t.Errorf("GetAccountSummary requests %d, want 3", n)
	}
}

func TestCollectCallerAccountAndExplicitAccounts(t *testing.T) {
	e := setup(t, 3, 2, nil)
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{NoAccessAdvisor: true}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manifest.Accounts) != 1 || res.Manifest.Accounts[0].AccountID != "111111110000" || res.Manifest.Organization {
		t.Errorf("caller scope: %+v", res.Manifest)
	}
	if e.fake.Count("", "GenerateServiceLastAccessedDetails") != 0 || e.fake.Count("", "AssumeRole") != 0 {
		t.Error("--no-access-advisor or own-account collect made unexpected calls")
	}
	snap, _ := snapshot.Open(res.Dir)
	if snap.Accounts[0].AccessAdvisorCollected {
		t.Error("AccessAdvisorCollected true with --no-access-advisor")
	}
	res, err = Run(context.Background(), e.sess, e.ws, fastOpts(Options{Accounts: []string{"111111110002", "111111110001", "111111110002"}}))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range res.Manifest.Accounts {
		ids = append(ids, a.AccountID)
	}
	if !cmp.Equal(ids, []string{"111111110001", "111111110002"}) || e.fake.Count("", "AssumeRole") != 2 {
		t.Errorf("explicit accounts %v, AssumeRole calls %d", ids, e.fake.Count("", "AssumeRole"))
	}
}

func TestCollectInterruptedLeavesNoSnapshot(t *testing.T) {
	e := setup(t, 3, 4, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	e.fake.OnCall(func(awsfake.Call) {
		if calls.Add(1) == 40 {
			cancel()
		}
	})
	_, err := Run(ctx, e.sess, e.ws, fastOpts(Options{Org: true}))
	if err == nil {
		t.Fatal("interrupted collect returned no error")
	}
	names, _ := snapshot.List(e.ws)
	ents, _ := os.ReadDir(e.ws)
	if len(names) != 0 || len(ents) != 0 {
		t.Fatalf("after interruption: complete %v, entries %d", names, len(ents))
	}
	e.fake.OnCall(nil)
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true}))
	if err != nil || len(res.FailedAccounts()) != 0 {
		t.Fatalf("second run: %v %+v", err, res)
	}
	if names, _ := snapshot.List(e.ws); len(names) != 1 {
		t.Errorf("snapshots after second run: %v", names)
	}
}

func TestCollectOrgFromMemberFails(t *testing.T) {
	isolate(t)
	sc := awsfake.SampleScenario(now, 2, 1)
	sc.Caller = "111111110001"
	f := awsfake.New(sc)
	defer f.Close()
	sess, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials(), MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(t.TempDir(), "snapshots")
	_, err = Run(context.Background(), sess, ws, fastOpts(Options{Org: true}))
	if err == nil || !strings.Contains(err.Error(), "organizations ListRoots: AccessDeniedException") {
		t.Fatalf("err = %v", err)
	}
	if ents, _ := os.ReadDir(ws); len(ents) != 0 {
		t.Errorf("left %d entries", len(ents))
	}
}

func TestPermissionsCoverEveryCall(t *testing.T) {
	e := setup(t, 3, 3, func(f *awsfake.Server) { f.DenyAssumeRole("111111110002") })
	if _, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true})); err != nil {
		t.Fatal(err)
	}
	doc := string(PolicyJSON("OrganizationAccountAccessRole"))
	for _, a := range e.fake.Actions() {
		if !strings.Contains(doc, `"`+a+`"`) {
			t.Errorf("collect called %s, which `seiri permissions collect` does not grant", a)
		}
	}
	for _, a := range Actions {
		if strings.Contains(a, "Create") || strings.Contains(a, "Delete") || strings.Contains(a, "Update") || strings.Contains(a, "Put") || strings.Contains(a, "Tag") && !strings.Contains(a, "List") {
			t.Errorf("write-looking action %s in the read-only policy", a)
		}
	}
}

func TestDecodeDoc(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"%7B%22a%22%3A1%7D", `{"a":1}`, ""},
		{"%7B%22a%22%3A%22x+y%22%7D", `{"a":"x+y"}`, ""},
		{`{"raw":true}`, `{"raw":true}`, ""},
		{"", "", ""},
		{"%7B%22a", "", "not valid JSON"},
		{"%zz", "", "not URL-encoded"},
	}
	for _, tt := range tests {
		got, err := decodeDoc(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("decodeDoc(%q) err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("decodeDoc(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func FuzzDecodeDoc(f *testing.F) {
	for _, s := range []string{"%7B%22a%22%3A1%7D", `{"x":[1,2]}`, "%", "%7B", "{", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := decodeDoc(s)
		if err == nil && d != nil && !jsonValid(d) {
			t.Fatalf("decodeDoc(%q) returned invalid JSON %q", s, d)
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }

func TestCollectSectionFailures(t *testing.T) {
	tests := []struct {
		name        string
		op          string
		wantError   string // account fails
		wantWarning string // account collected with a warning
		check       func(t *testing.T, a *snapshot.Account)
	}{
		{name: "access advisor denied", op: "GenerateServiceLastAccessedDetails",
			wantWarning: "Access Advisor not collected for 8 of 8 principals",
			check: func(t *testing.T, a *snapshot.Account) {
				if a.AccessAdvisorCollected || a.Users[0].AccessAdvisor != nil {
					t.Error("Access Advisor marked collected")
				}
			}},
		{name: "password policy denied", op: "GetAccountPasswordPolicy",
			wantWarning: "password policy not collected (iam GetAccountPasswordPolicy: AccessDenied",
			check: func(t *testing.T, a *snapshot.Account) {
				if a.PasswordPolicy != nil {
					t.Error("password policy set")
				}
			}},
		{name: "trail status denied", op: "GetTrailStatus", wantWarning: "status not collected (cloudtrail GetTrailStatus: AccessDenied"},
		{name: "trails denied", op: "DescribeTrails", wantWarning: "trails not collected"},
		{name: "credential report denied", op: "GenerateCredentialReport", wantWarning: "credential report not collected"},
		{name: "summary denied", op: "GetAccountSummary", wantWarning: "account summary not collected"},
		{name: "alias denied", op: "ListAccountAliases", wantWarning: "account alias not collected"},
		{name: "MFA denied", op: "ListMFADevices", wantError: "iam ListMFADevices "},
		{name: "keys denied", op: "ListAccessKeys", wantError: "iam ListAccessKeys"},
		{name: "login profile denied", op: "GetLoginProfile", wantError: "iam GetLoginProfile"},
		{name: "key last used denied", op: "GetAccessKeyLastUsed", wantError: "iam GetAccessKeyLastUsed"},
		{name: "users denied", op: "ListUsers", wantError: "iam ListUsers: AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, 2, 5, func(f *awsfake.Server) {
				f.FailOp("111111110001", tt.op, awsfake.AccessDenied("iam:"+tt.op), -1)
			})
			captureReports(t)
			res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true}))
			if err != nil {
				t.Fatal(err)
			}
			var st snapshot.AccountStatus
			for _, s := range res.Manifest.Accounts {
				if s.AccountID == "111111110001" {
					st = s
				} else if s.Failed() || len(s.Warnings) > 0 {
					t.Errorf("other account affected: %+v", s)
				}
			}
			if tt.wantError != "" {
				if !strings.Contains(st.Error, tt.wantError) || !strings.Contains(st.Error, "AccessDenied") || st.File != "" {
					t.Errorf("status %+v, want error %q", st, tt.wantError)
				}
				return
			}
			if st.Failed() || len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], tt.wantWarning) {
				t.Fatalf("status %+v, want one warning %q", st, tt.wantWarning)
			}
			snap, err := snapshot.Open(res.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, snap.Account("111111110001"))
			}
		})
	}
}

func TestCollectAccessAdvisorPolling(t *testing.T) {
	e := setup(t, 1, 3, func(f *awsfake.Server) { f.AccessAdvisorInProgress(2) })
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{NoAccessAdvisor: false}))
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := snapshot.Open(res.Dir)
	a := snap.Accounts[0]
	if !a.AccessAdvisorCollected || len(a.Users[1].AccessAdvisor) != 4 || len(a.Roles[0].AccessAdvisor[0].Actions) != 2 {
		t.Errorf("access advisor %+v", a.Users[1].AccessAdvisor)
	}
	// 3 users + 3 roles, 3 polls each (2 IN_PROGRESS, then COMPLETED in 2 pages of 2 services for users).
	if n := e.fake.Count("", "GetServiceLastAccessedDetails"); n < 6*3 {
		t.Errorf("GetServiceLastAccessedDetails calls %d", n)
	}
}
