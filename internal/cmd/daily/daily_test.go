package daily_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/cmd/root"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	cmdtest.Golden(t, name, "", string(got), *update)
}

var t0 = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

const (
	mgmtAcct    = "111111110000"
	memberAcct  = "111111110001"
	ciKey       = "AKIACIBOT00000000001"
	legacyKey   = "AKIALEGACY0000000001"
	aliceKey    = "AKIAALICE00000000001"
	reportKey   = "AKIAREPORTJOB0000001"
	breakKey    = "AKIABREAKGLASS000001"
	trailBucket = "acme-cloudtrail"
	stateBucket = "seiri-state"
	hookSecret  = "/hooks/T0SECRET/B0SECRET/tokenXYZ"
)

func scenario() awsfake.Scenario {
	sc := awsfake.SampleScenario(day(0), 2, 0)
	u := func(acct, name string, ks ...snapshot.AccessKey) snapshot.User {
		return snapshot.User{ARN: "arn:aws:iam::" + acct + ":user/" + name, UserName: name, UserID: "AIDA" + strings.ToUpper(name),
			Path: "/", CreateDate: day(-600), AccessKeys: ks}
	}
	k := func(id string, lastUsed int) snapshot.AccessKey {
		return snapshot.AccessKey{AccessKeyID: id, Status: "Active", CreateDate: day(-400),
			LastUsed: &snapshot.KeyLastUsed{Date: day(lastUsed), ServiceName: "s3", Region: "us-east-1"}}
	}
	sc.Accounts[0].Users = []snapshot.User{
		u(mgmtAcct, awsfake.OperatorUser, k(awsfake.AccessKeyID, -1)),
		u(mgmtAcct, "ci-bot", k(ciKey, -45)),
		u(mgmtAcct, "legacy-app", k(legacyKey, -60)),
		u(mgmtAcct, "breakglass", k(breakKey, -300)),
		u(mgmtAcct, "alice", k(aliceKey, -1)),
	}
	sc.Accounts[1].Users = []snapshot.User{u(memberAcct, "report-job", k(reportKey, -200))}
	return sc
}

// harness runs seiri against the fake with a movable clock, a workspace in
// the fake's S3 and a local webhook receiver.
type harness struct {
	t    *testing.T
	fake *awsfake.Server
	cfg  string
	now  time.Time
	hook *httptest.Server
	// ws is a local workspace folder; "" keeps the workspace in the fake's S3.
	ws string

	mu       sync.Mutex
	payloads []string
}

func newHarness(t *testing.T) *harness {
	cmdtest.IsolateAWS(t)
	h := &harness{t: t, fake: awsfake.New(scenario()), now: day(0)}
	t.Cleanup(h.fake.Close)
	h.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.payloads = append(h.payloads, string(b))
		h.mu.Unlock()
	}))
	t.Cleanup(h.hook.Close)
	// The webhook URL comes from the environment (a secret: never in output).
	t.Setenv("SEIRI_TEST_HOOK", h.hook.URL+hookSecret)
	for _, b := range []string{trailBucket, stateBucket} {
		if err := h.fake.S3Backend().CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	h.cfg = filepath.Join(t.TempDir(), "seiri.yaml")
	cfg := `keys:
  observation_days: 3
  break_glass_users: [breakglass]
daily:
  steps: [collect, scan, audit, detect, watch, disable-keys, delete-keys]
  apply: true
  org: true
  unused_days: 30
  fail_on: high
  sources: [s3://` + trailBucket + `/AWSLogs]
notify:
  on: change
  webhook: {url_env: SEIRI_TEST_HOOK}
`
	if err := os.WriteFile(h.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// run runs seiri daily (or args) with the workspace in S3.
func (h *harness) run(args ...string) (string, string, int) {
	h.t.Helper()
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Context = context.Background()
	f.Globals.NoProgress = true
	now := h.now
	f.Now = func() time.Time { return now }
	f.Globals.AWS.Credentials = h.fake.Credentials()
	f.Globals.AWS.RetryMode = aws.RetryModeStandard
	f.Globals.AWS.MaxBackoff = time.Millisecond
	f.Globals.AWS.MaxAttempts = 1
	r := root.NewRootCmd(f)
	ws := "s3://" + stateBucket + "/prod"
	if h.ws != "" {
		ws = h.ws
	}
	r.SetArgs(append(args, "--workspace", ws, "--config", h.cfg, "--endpoint-url", h.fake.URL))
	r.SetOut(&out)
	r.SetErr(&errOut)
	code := cmdutil.ExitCode(f.IO, r.Execute())
	return out.String(), errOut.String(), code
}

type event struct {
	at              time.Time
	acct, user, key string
	source, name    string
	ip, agent, err  string
}

// writeLogs puts one CloudTrail log file per event in the trail bucket.
func (h *harness) writeLogs(evs ...event) {
	h.t.Helper()
	for i, e := range evs {
		cmdtest.PutTrailLog(h.t, h.fake, trailBucket, i, cmdtest.TrailLog{At: e.at, Acct: e.acct, User: e.user, Key: e.key,
			Source: e.source, Name: e.name, IP: e.ip, Agent: e.agent, ErrCode: e.err})
	}
}

// heartbeat makes the logs of both accounts reach at.
func (h *harness) heartbeat(at time.Time) {
	h.writeLogs(event{at: at.Add(-5 * time.Minute), acct: mgmtAcct, user: "alice", key: aliceKey, source: "sts.amazonaws.com", name: "GetCallerIdentity", ip: "192.0.2.1", agent: "aws-cli/2"},
		event{at: at.Add(-5 * time.Minute), acct: memberAcct, source: "sts.amazonaws.com", name: "GetCallerIdentity", ip: "192.0.2.250", agent: "monitor/1"})
}

func (h *harness) keyStatus(acct, id string) string {
	st := "absent"
	h.fake.Update(func(sc *awsfake.Scenario) {
		for _, a := range sc.Accounts {
			if a.AccountID != acct {
				continue
			}
			for _, u := range a.Users {
				for _, k := range u.AccessKeys {
					if k.AccessKeyID == id {
						st = k.Status
					}
				}
			}
		}
	})
	return st
}

func (h *harness) takePayloads() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.payloads
	h.payloads = nil
	return p
}

// A week of days: keys unused for 30 days are disabled on day 0, a
// forgotten job fails with the legacy key on day 2 (the watch turns noisy
// and the key is kept), the quiet keys become safe and are deleted when
// their 3-day window ends (day 3), a trail is stopped on day 5 (a new
// detection). Each day's summary and notification are golden; quiet days
// send nothing (notify.on: change). The workspace lives in the fake's S3
// from the first day to the last.
func TestDailyWeek(t *testing.T) {
	h := newHarness(t)
	h.writeLogs(
		event{at: day(-45), acct: mgmtAcct, user: "ci-bot", key: ciKey, source: "s3.amazonaws.com", name: "ListBuckets", ip: "203.0.113.10", agent: "ci-runner/1.0"},
		event{at: day(-60), acct: mgmtAcct, user: "legacy-app", key: legacyKey, source: "s3.amazonaws.com", name: "ListBuckets", ip: "198.51.100.7", agent: "legacy/2.0"},
	)
	wantStatus := map[int]map[string]string{
		0: {ciKey: "Inactive", legacyKey: "Inactive", reportKey: "Inactive", aliceKey: "Active", breakKey: "Active"},
		2: {legacyKey: "Inactive", ciKey: "Inactive"},
		3: {ciKey: "absent", reportKey: "absent", legacyKey: "Inactive", aliceKey: "Active"},
		6: {ciKey: "absent", reportKey: "absent", legacyKey: "Inactive", aliceKey: "Active", breakKey: "Active"},
	}
	wantCode := map[int]int{5: 1} // the detection is high: daily.fail_on
	for d := 0; d <= 6; d++ {
		h.now = day(d)
		h.heartbeat(h.now)
		switch d {
		case 2:
			h.writeLogs(event{at: day(2).Add(-2 * time.Hour), acct: mgmtAcct, source: "s3.amazonaws.com", name: "ListBuckets", ip: "198.51.100.7", agent: "legacy/2.0", err: "InvalidClientTokenId"})
		case 5:
			h.writeLogs(event{at: day(5).Add(-time.Hour), acct: mgmtAcct, user: "alice", key: aliceKey, source: "cloudtrail.amazonaws.com", name: "StopLogging", ip: "192.0.2.1", agent: "aws-cli/2"})
		}
		out, errOut, code := h.run("daily")
		if want := wantCode[d]; code != want {
			t.Errorf("day %d: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", d, code, want, out, errOut)
		}
		golden(t, fmt.Sprintf("week/day%d.txt", d), []byte(out))
		ps := h.takePayloads()
		msg := "(no notification)\n"
		if len(ps) == 1 {
			var v map[string]any
			if err := json.Unmarshal([]byte(ps[0]), &v); err != nil {
				t.Fatal(err)
			}
			msg = v["text"].(string) + "\n"
		} else if len(ps) > 1 {
			t.Errorf("day %d: %d notifications", d, len(ps))
		}
		golden(t, fmt.Sprintf("week/notify-day%d.txt", d), []byte(msg))
		for k, want := range wantStatus[d] {
			acct := mgmtAcct
			if k == reportKey {
				acct = memberAcct
			}
			if got := h.keyStatus(acct, k); got != want {
				t.Errorf("day %d: %s is %s, want %s", d, k, got, want)
			}
		}
		for _, s := range []string{out, errOut} {
			if strings.Contains(s, "SECRET") || strings.Contains(s, awsfake.SecretAccessKey) {
				t.Fatalf("day %d: a secret in the output:\n%s", d, s)
			}
		}
	}
	// The workspace in S3 holds the state, the journal and the usage store,
	// and no secret; the lock is released.
	names := h.stateObjects(func(key string, b []byte) {
		if bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte(awsfake.SecretAccessKey)) {
			t.Errorf("%s holds a secret", key)
		}
	})
	for _, n := range names {
		if strings.HasSuffix(n, "-wal") || strings.HasSuffix(n, ".lock") || strings.HasSuffix(n, "/lock") {
			t.Errorf("uploaded %s: the store is checkpointed and local locks stay local", n)
		}
	}
	for _, want := range []string{"prod/daily/state.json", "prod/journal.jsonl", "prod/usage.db"} {
		if !contains(names, want) {
			t.Errorf("the S3 workspace lacks %s: %v", want, names)
		}
	}
	if contains(names, "prod/.seiri-lock.json") {
		t.Error("the lock was not released")
	}
}

// stateObjects lists the S3 workspace's objects through the SDK, calling
// fn with each one's content.
func (h *harness) stateObjects(fn func(key string, b []byte)) []string {
	h.t.Helper()
	ctx := context.Background()
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: h.fake.Credentials()}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(h.fake.URL)
		o.UsePathStyle = true
	})
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(stateBucket)})
	if err != nil {
		h.t.Fatal(err)
	}
	var names []string
	for _, o := range out.Contents {
		names = append(names, *o.Key)
		if fn == nil {
			continue
		}
		obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(stateBucket), Key: o.Key})
		if err != nil {
			h.t.Fatal(err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		fn(*o.Key, b)
	}
	return names
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Two runners on one S3 workspace: while the first holds the lock (held
// inside its first AWS call), the second exits 3 naming the holder and
// changes nothing; the next run reads only what the first did not, so
// every log file is counted once.
func TestDailyTwoRunners(t *testing.T) {
	h := newHarness(t)
	h.heartbeat(h.now)
	blocked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h.fake.OnCall(func(awsfake.Call) {
		once.Do(func() {
			close(blocked)
			<-release
		})
	})
	type result struct {
		out, errOut string
		code        int
	}
	first := make(chan result)
	go func() {
		out, errOut, code := h.run("daily")
		first <- result{out, errOut, code}
	}()
	<-blocked
	before := h.stateObjects(nil)
	out, errOut, code := h.run("daily", "--lock-wait", "0")
	if code != cmdutil.ExitPartial || out != "" {
		t.Errorf("second runner: exit %d\n%s", code, out)
	}
	if !strings.Contains(errOut, "workspace s3://seiri-state/prod is locked by ") || !strings.Contains(errOut, "/pid-") ||
		!strings.Contains(errOut, "since 2026-11-02T06:00:00Z") {
		t.Errorf("the refusal does not name the holder:\n%s", errOut)
	}
	if after := h.stateObjects(nil); !cmp.Equal(before, after) {
		t.Errorf("the refused runner changed the workspace: %v → %v", before, after)
	}
	close(release)
	r := <-first
	if r.code != 0 {
		t.Fatalf("first runner: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.out, "2 new log files read (0 already scanned)") {
		t.Errorf("first runner:\n%s", r.out)
	}
	// The next run (an hour later) reads nothing again.
	h.now = h.now.Add(time.Hour)
	out, errOut, code = h.run("daily")
	if code != 0 || !strings.Contains(out, "0 new log files read (2 already scanned), 0 records") {
		t.Errorf("next run: exit %d\n%s\n%s", code, out, errOut)
	}
}

// Bad configuration and flags exit 2 before any step runs, naming the
// value; --import uses a snapshot made elsewhere.
func TestDailyInputs(t *testing.T) {
	h := newHarness(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("daily:\n  steps: [collect, sweep]\n"), 0o600)
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	r := root.NewRootCmd(f)
	r.SetArgs([]string{"daily", "--config", bad, "--workspace", t.TempDir()})
	r.SetOut(&out)
	r.SetErr(&errOut)
	if code := cmdutil.ExitCode(f.IO, r.Execute()); code != cmdutil.ExitUsage || !strings.Contains(errOut.String(), `daily.steps: unknown step "sweep"`) {
		t.Errorf("bad step: exit %d: %s", code, errOut.String())
	}
	_, errS, code := h.run("daily", "--fail-on", "severe")
	if code != cmdutil.ExitUsage || !strings.Contains(errS, `--fail-on: unknown severity "severe"`) {
		t.Errorf("bad --fail-on: exit %d: %s", code, errS)
	}
	// --import: a snapshot collected elsewhere (here: by seiri collect in
	// another workspace) replaces collect.
	other := t.TempDir()
	var o2, e2 bytes.Buffer
	f2 := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &o2, ErrOut: &e2})
	now := h.now
	f2.Now = func() time.Time { return now }
	f2.Globals.AWS.Credentials = h.fake.Credentials()
	r2 := root.NewRootCmd(f2)
	r2.SetArgs([]string{"collect", "--org", "--workspace", other, "--endpoint-url", h.fake.URL})
	r2.SetOut(&o2)
	r2.SetErr(&e2)
	if code := cmdutil.ExitCode(f2.IO, r2.Execute()); code != 0 {
		t.Fatalf("collect: %d %s", code, e2.String())
	}
	snaps, _ := filepath.Glob(filepath.Join(other, "snapshots", "*"))
	if len(snaps) != 1 {
		t.Fatalf("snapshots: %v", snaps)
	}
	h.heartbeat(h.now)
	out2, errOut2, code := h.run("daily", "--import", snaps[0], "-o", "json", "--dry-run")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out2, errOut2)
	}
	var sum struct {
		Steps []struct {
			Step   string   `json:"step"`
			Status string   `json:"status"`
			Used   []string `json:"used"`
		} `json:"steps"`
		Changes []struct {
			Status string `json:"status"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out2), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out2)
	}
	if sum.Steps[0].Step != "collect" || !strings.HasSuffix(sum.Steps[0].Used[0], "imported from "+snaps[0]) {
		t.Errorf("collect step: %+v", sum.Steps[0])
	}
	if len(sum.Changes) != 3 {
		t.Errorf("changes: %+v", sum.Changes)
	}
	for _, c := range sum.Changes {
		if c.Status != "planned" {
			t.Errorf("--dry-run applied: %+v", sum.Changes)
		}
	}
	if h.keyStatus(mgmtAcct, ciKey) != "Active" {
		t.Error("--dry-run disabled a key")
	}
}

// Quarantined users are watched beside disabled keys, in a local workspace,
// with the read-only default steps (no retirement step configured).
func TestDailyWatchesQuarantinedUsers(t *testing.T) {
	h := newHarness(t)
	h.ws = filepath.Join(t.TempDir(), "ws")
	os.WriteFile(h.cfg, []byte("keys:\n  observation_days: 3\n  break_glass_users: [breakglass]\ndaily:\n  sources: [s3://"+trailBucket+"/AWSLogs]\n"), 0o600)
	h.heartbeat(h.now)
	for _, args := range [][]string{{"collect", "--org"}, {"trail", "scan", "--source", "s3://" + trailBucket + "/AWSLogs"},
		{"users", "retire", "quarantine", "--days", "30", "--apply", "--yes"}} {
		if out, errOut, code := h.run(args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	for d := 1; d <= 3; d++ {
		h.now = day(d)
		h.heartbeat(h.now)
		out, errOut, code := h.run("daily")
		if code != 0 {
			t.Errorf("day %d: exit %d\n%s\n%s", d, code, out, errOut)
		}
		golden(t, fmt.Sprintf("users/day%d.txt", d), []byte(out))
	}
}

// The routine's audit step is seiri audit's: on the same workspace the
// same count (the rules, the usage witness, and the open detection raised
// the day before), of which the detection findings are listed by the
// detect step, not twice.
func TestDailyAuditIsSeiriAudit(t *testing.T) {
	h := newHarness(t)
	h.ws = filepath.Join(t.TempDir(), "ws") // seiri audit reads a local workspace
	for d := 0; d <= 1; d++ {
		h.now = day(d)
		h.heartbeat(h.now)
		if d == 0 {
			h.writeLogs(event{at: day(0).Add(-time.Hour), acct: mgmtAcct, user: "alice", key: aliceKey, source: "cloudtrail.amazonaws.com", name: "StopLogging", ip: "192.0.2.1", agent: "aws-cli/2"})
		}
		out, errOut, code := h.run("daily")
		if code > 1 {
			t.Fatalf("day %d: exit %d\n%s\n%s", d, code, out, errOut)
		}
		if d < 1 {
			continue
		}
		auditOut, auditErr, _ := h.run("audit", "-o", "json")
		var rep struct {
			Findings []struct {
				RuleID string `json:"ruleId"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(auditOut), &rep); err != nil {
			t.Fatalf("seiri audit: %v\n%s\n%s", err, auditOut, auditErr)
		}
		m := regexp.MustCompile(`audit +ok\n +used: [^\n]*: (\d+) findings \(as seiri audit; (\d+) of them open detection`).FindStringSubmatch(out)
		det := 0
		for _, f := range rep.Findings {
			if strings.HasPrefix(f.RuleID, "SEIRI-DETECT-") {
				det++
			}
		}
		if m == nil || m[1] != strconv.Itoa(len(rep.Findings)) || m[2] != strconv.Itoa(det) || det == 0 {
			t.Errorf("daily's audit line %q; seiri audit has %d findings, %d of them detections\n%s", m, len(rep.Findings), det, out)
		}
	}
}
