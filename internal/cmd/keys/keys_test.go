package keys_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/cmd/root"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// t0 is "today" of the keys scenario: keys are disabled then.
var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const (
	mgmtAcct   = "111111110000"
	memberAcct = "111111110001"
	ciKey      = "AKIACIBOT00000000001"
	legacyKey  = "AKIALEGACY0000000001"
	breakKey   = "AKIABREAKGLASS000001"
	aliceKey   = "AKIAALICE00000000001"
	keeperKey  = "AKIAKEEPER0000000001"
	opOldKey   = "AKIAOPERATOROLD00001"
	reportKey  = "AKIAREPORTJOB0000001"
	ciIP       = "203.0.113.10"
)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

func keysScenario() awsfake.Scenario {
	sc := awsfake.SampleScenario(t0, 2, 0)
	u := func(acct, name string, tags map[string]string, ks ...snapshot.AccessKey) snapshot.User {
		return snapshot.User{ARN: "arn:aws:iam::" + acct + ":user/" + name, UserName: name, UserID: "AIDA" + strings.ToUpper(name),
			Path: "/", CreateDate: day(-600), Tags: tags, AccessKeys: ks}
	}
	k := func(id string, created int, lastUsed *int) snapshot.AccessKey {
		key := snapshot.AccessKey{AccessKeyID: id, Status: "Active", CreateDate: day(created)}
		if lastUsed != nil {
			key.LastUsed = &snapshot.KeyLastUsed{Date: day(*lastUsed), ServiceName: "s3", Region: "us-east-1"}
		}
		return key
	}
	n := func(v int) *int { return &v }
	sc.Accounts[0].Users = []snapshot.User{
		u(mgmtAcct, awsfake.OperatorUser, nil, k(awsfake.AccessKeyID, -400, n(-100)), k(opOldKey, -300, n(-200))),
		u(mgmtAcct, "ci-bot", nil, k(ciKey, -300, n(-45))),
		u(mgmtAcct, "legacy-app", nil, k(legacyKey, -500, n(-60))),
		u(mgmtAcct, "breakglass", nil, k(breakKey, -300, nil)),
		u(mgmtAcct, "alice", nil, k(aliceKey, -100, n(-1))),
		u(mgmtAcct, "keeper", map[string]string{keys.KeepTag: "vendor integration"}, k(keeperKey, -300, n(-300))),
	}
	sc.Accounts[1].Users = []snapshot.User{u(memberAcct, "report-job", nil, k(reportKey, -400, n(-200)))}
	return sc
}

// keysHarness runs seiri commands against the fake with a movable clock.
type keysHarness struct {
	t    *testing.T
	fake *awsfake.Server
	ws   string
	cfg  string
	now  time.Time
	// stdin and terminal simulate an operator at a terminal.
	stdin    string
	terminal bool
	// noCreds runs without AWS credentials.
	noCreds bool
}

// trailBucket is the organization trail's bucket in the fake's S3.
const trailBucket = "acme-cloudtrail"

func newKeysHarness(t *testing.T) *keysHarness {
	cmdtest.IsolateAWS(t)
	fake := awsfake.New(keysScenario())
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	h := &keysHarness{t: t, fake: fake, ws: filepath.Join(dir, "ws"), cfg: filepath.Join(dir, "seiri.yaml"), now: t0}
	if err := os.WriteFile(h.cfg, []byte("keys:\n  observation_days: 14\n  break_glass_users: [breakglass]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *keysHarness) run(args ...string) (string, string, int) {
	h.t.Helper()
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(h.stdin), Out: &out, ErrOut: &errOut, Terminal: h.terminal})
	f.Context = context.Background()
	f.Globals.NoProgress = true
	now := h.now
	f.Now = func() time.Time { return now }
	if !h.noCreds {
		f.Globals.AWS.Credentials = h.fake.Credentials()
	}
	f.Globals.AWS.RetryMode = aws.RetryModeStandard
	f.Globals.AWS.MaxBackoff = time.Millisecond
	f.Globals.AWS.MaxAttempts = 1
	root := root.NewRootCmd(f)
	root.SetArgs(append(args, "--workspace", h.ws, "--config", h.cfg, "--endpoint-url", h.fake.URL))
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := cmdutil.ExitCode(f.IO, root.Execute())
	return out.String(), errOut.String(), code
}

func (h *keysHarness) mustRun(args ...string) string {
	h.t.Helper()
	out, errOut, code := h.run(args...)
	if code != 0 {
		h.t.Fatalf("seiri %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// event is one CloudTrail record of the test logs.
type event struct {
	at        time.Time
	acct      string
	user      string // "" for an unattributed call
	key       string
	source    string
	name      string
	ip, agent string
	errCode   string
}

// writeLogs writes the events as one CloudTrail log file per event.
func (h *keysHarness) writeLogs(evs ...event) {
	h.t.Helper()
	for i, e := range evs {
		cmdtest.PutTrailLog(h.t, h.fake, trailBucket, i, cmdtest.TrailLog{At: e.at, Acct: e.acct, User: e.user, Key: e.key,
			Source: e.source, Name: e.name, IP: e.ip, Agent: e.agent, ErrCode: e.errCode})
	}
}

func mustContain(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func mustNotContain(t *testing.T, out string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(out, b) {
			t.Errorf("output has %q:\n%s", b, out)
		}
	}
}

func (h *keysHarness) keyStatus(acct, id string) string {
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

func (h *keysHarness) userTags(acct, user string) map[string]string {
	out := map[string]string{}
	h.fake.Update(func(sc *awsfake.Scenario) {
		for _, a := range sc.Accounts {
			for _, u := range a.Users {
				if a.AccountID == acct && u.UserName == user {
					for k, v := range u.Tags {
						out[k] = v
					}
				}
			}
		}
	})
	return out
}

// heartbeat writes an unrelated call in each account a few minutes before
// at: the logs then reach at (a trail in a live account writes files all
// the time), so a scan covers the watch window up to at.
func (h *keysHarness) heartbeat(at time.Time) {
	h.t.Helper()
	// alice works every day: her key is never a candidate.
	h.writeLogs(event{at: at.Add(-5 * time.Minute), acct: mgmtAcct, user: "alice", key: aliceKey, source: "sts.amazonaws.com", name: "GetCallerIdentity", ip: "192.0.2.1", agent: "aws-cli/2"},
		event{at: at.Add(-5 * time.Minute), acct: memberAcct, source: "sts.amazonaws.com", name: "GetCallerIdentity", ip: "192.0.2.250", agent: "monitor/1"})
}

// scanUpTo makes the logs reach at and scans them.
func (h *keysHarness) scanUpTo(at time.Time) {
	h.t.Helper()
	h.heartbeat(at)
	h.mustRun("trail", "scan", "--source", "s3://"+trailBucket+"/AWSLogs")
}

// setup collects and scans the logs from before the disable.
func (h *keysHarness) setup() {
	h.heartbeat(day(-1))
	h.heartbeat(h.now)
	h.writeLogs(
		event{at: day(-45), acct: mgmtAcct, user: "ci-bot", key: ciKey, source: "s3.amazonaws.com", name: "ListBuckets", ip: ciIP, agent: "ci-runner/1.0"},
		event{at: day(-60), acct: mgmtAcct, user: "legacy-app", key: legacyKey, source: "s3.amazonaws.com", name: "ListBuckets", ip: "198.51.100.7", agent: "legacy/2.0"},
		event{at: day(-1), acct: mgmtAcct, user: "alice", key: aliceKey, source: "s3.amazonaws.com", name: "ListBuckets", ip: "192.0.2.1", agent: "aws-cli/2"},
	)
	h.mustRun("collect", "--org")
	h.mustRun("trail", "scan", "--source", "s3://"+trailBucket+"/AWSLogs", "--since", "120d", "--until", "0d")
}

func TestKeysLifecycle(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()

	// plan: candidates with evidence and coverage; lockout refusals; exclusions.
	out := h.mustRun("keys", "plan", "--days", "30", "--include-never-used")
	mustContain(t, out, ciKey, legacyKey, reportKey, breakKey, "GetAccessKeyLastUsed", "credential report", "CloudTrail",
		"excluded: ["+mgmtAcct+"] keeper "+keeperKey)
	mustNotContain(t, out, aliceKey)

	// disable: the plan first (nothing changes), then apply.
	out = h.mustRun("keys", "disable", "--days", "30")
	mustContain(t, out, "disable access key "+ciKey, "Run again with --apply",
		"refused ["+mgmtAcct+"] "+awsfake.OperatorUser+" "+awsfake.AccessKeyID+": this is the access key seiri is running with",
		"refused ["+mgmtAcct+"] "+awsfake.OperatorUser+" "+opOldKey)
	if st := h.keyStatus(mgmtAcct, ciKey); st != "Active" {
		t.Fatalf("plan changed the key: %s", st)
	}
	if _, _, code := h.run("keys", "disable", "--days", "30", "--apply"); code != cmdutil.ExitUsage {
		t.Errorf("--apply without a terminal or --yes: exit %d, want %d", code, cmdutil.ExitUsage)
	}
	out = h.mustRun("keys", "disable", "--days", "30", "--include-never-used", "--apply", "--yes")
	mustContain(t, out, "refused ["+mgmtAcct+"] breakglass "+breakKey+": last active credential of break-glass user breakglass")
	for _, k := range [][2]string{{mgmtAcct, ciKey}, {mgmtAcct, legacyKey}, {memberAcct, reportKey}} {
		if st := h.keyStatus(k[0], k[1]); st != "Inactive" {
			t.Errorf("%s: %s after disable, want Inactive", k[1], st)
		}
	}
	for _, k := range []string{awsfake.AccessKeyID, opOldKey, breakKey, aliceKey, keeperKey} {
		if st := h.keyStatus(mgmtAcct, k); st != "Active" {
			t.Errorf("%s: %s, must stay Active", k, st)
		}
	}
	tags := h.userTags(mgmtAcct, "ci-bot")
	if v := tags[keys.RetireTag(ciKey)]; !strings.HasPrefix(v, "disabled 2026-11-01T12:00:00Z by arn:aws:iam::") {
		t.Errorf("retire tag = %q", v)
	}
	if _, ok := tags[keys.GuardTag]; ok {
		t.Errorf("guard tag left after a clean run: %v", tags)
	}
	backups, _ := filepath.Glob(filepath.Join(h.ws, "backups", "*ci-bot*.json"))
	if len(backups) != 1 {
		t.Fatalf("backups of ci-bot: %v", backups)
	}
	// Running apply again changes nothing.
	before := h.fake.Count("", "UpdateAccessKey")
	out = h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	if n := h.fake.Count("", "UpdateAccessKey") - before; n != 0 {
		t.Errorf("second apply made %d UpdateAccessKey calls:\n%s", n, out)
	}
	mustContain(t, out, "already in effect")

	// Two days later a workload still holding the ci-bot key fails from its IP.
	h.writeLogs(
		event{at: day(2), acct: mgmtAcct, source: "s3.amazonaws.com", name: "ListBuckets", ip: ciIP, agent: "ci-runner/1.0", errCode: "InvalidClientTokenId"},
		event{at: day(2).Add(time.Hour), acct: mgmtAcct, source: "s3.amazonaws.com", name: "ListBuckets", ip: ciIP, agent: "ci-runner/1.0", errCode: "InvalidClientTokenId"},
	)
	h.now = day(3)
	h.scanUpTo(h.now)
	out, errOut, code := h.run("keys", "watch")
	if code != cmdutil.ExitFindings {
		t.Fatalf("watch: exit %d, want %d (a noisy key)\n%s%s", code, cmdutil.ExitFindings, out, errOut)
	}
	mustContain(t, out, ciKey+": NOISY, 11 days left", "InvalidClientTokenId", ciIP, "restore: seiri keys restore "+ciKey,
		legacyKey+": QUIET, 11 days left", "3 watched: 2 quiet, 1 noisy, 0 drifted, 0 not watched")

	// delete before the window is over is refused.
	out = h.mustRun("keys", "delete", "--apply", "--yes")
	mustContain(t, out, "refused ["+mgmtAcct+"] legacy-app "+legacyKey+": observation window not over: 11 days left",
		"refused ["+mgmtAcct+"] ci-bot "+ciKey+": noisy", "No changes")

	// restore the noisy key.
	out = h.mustRun("keys", "restore", ciKey, "--apply", "--yes")
	mustContain(t, out, "reactivate access key "+ciKey)
	if st := h.keyStatus(mgmtAcct, ciKey); st != "Active" {
		t.Errorf("restored key is %s", st)
	}
	if _, ok := h.userTags(mgmtAcct, "ci-bot")[keys.RetireTag(ciKey)]; ok {
		t.Error("restore left the retire tag")
	}

	// Time passes: the window is over for the quiet keys.
	h.now = day(15)
	h.scanUpTo(h.now)
	out = h.mustRun("keys", "delete", "--apply", "--yes")
	mustContain(t, out, "delete access key "+legacyKey, "delete access key "+reportKey, "Applied 4")
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "absent" {
		t.Errorf("deleted key is %s", st)
	}
	var b keys.UserBackup
	backups, _ = filepath.Glob(filepath.Join(h.ws, "backups", "*legacy-app*.json"))
	if len(backups) < 2 {
		t.Fatalf("backups of legacy-app (disable and delete): %v", backups)
	}
	if err := plan.ReadBackup(backups[len(backups)-1], &b); err != nil {
		t.Fatal(err)
	}
	if b.User.UserName != "legacy-app" || len(b.LiveKeys) != 1 || b.LiveKeys[0].AccessKeyID != legacyKey || b.LiveKeys[0].Status != "Inactive" {
		t.Errorf("backup = %+v", b)
	}
	out = h.mustRun("keys", "watch")
	mustContain(t, out, "No key disabled by seiri is being watched.")

	// No secret reached the workspace or the output.
	assertNoSecret(t, h.ws, out)
}

func assertNoSecret(t *testing.T, ws string, outs ...string) {
	t.Helper()
	for _, o := range outs {
		if strings.Contains(o, awsfake.SecretAccessKey) || strings.Contains(o, awsfake.FakeNewSecret) {
			t.Error("a secret key reached the output")
		}
	}
	filepath.Walk(ws, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasSuffix(p, ".db") {
			return nil
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(awsfake.SecretAccessKey)) || bytes.Contains(b, []byte(awsfake.FakeNewSecret)) {
			t.Errorf("a secret key reached %s", p)
		}
		return nil
	})
}
