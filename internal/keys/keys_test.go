package keys

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func d(n int) time.Time { return now.AddDate(0, 0, n) }

func ct(t time.Time) credreport.Time { return credreport.Time{Time: t, Missing: credreport.Present} }

var multiRegion = []snapshot.Trail{{Name: "org", HomeRegion: "us-east-1", IsMultiRegion: true, IsLogging: true}}

func fullRuns() []usage.Run { return []usage.Run{{Since: d(-120), Until: now}} }

func candidateIDs(r Result) []string {
	var out []string
	for _, c := range r.Candidates {
		out = append(out, c.AccessKeyID)
	}
	return out
}

// The credential report's slots are matched to keys by creation time: with
// two keys after a rotation, slot 1 describes the new key, slot 2 the old
// one. Positional matching would call the new, used key unused.
func TestCandidatesSlotMatchingAfterRotation(t *testing.T) {
	oldKey := snapshot.AccessKey{AccessKeyID: "AKIAOLD0000000000001", Status: "Active", CreateDate: d(-400)}
	newKey := snapshot.AccessKey{AccessKeyID: "AKIANEW0000000000001", Status: "Active", CreateDate: d(-40)}
	tests := []struct {
		name  string
		slots [2]credreport.KeySlot
		want  []string
	}{
		{"slots in rotation order", [2]credreport.KeySlot{
			{Active: true, LastRotated: ct(newKey.CreateDate), LastUsedDate: ct(d(-1))},
			{Active: true, LastRotated: ct(oldKey.CreateDate), LastUsedDate: ct(d(-200))}}, []string{oldKey.AccessKeyID}},
		{"slots in creation order", [2]credreport.KeySlot{
			{Active: true, LastRotated: ct(oldKey.CreateDate), LastUsedDate: ct(d(-200))},
			{Active: true, LastRotated: ct(newKey.CreateDate), LastUsedDate: ct(d(-1))}}, []string{oldKey.AccessKeyID}},
		// A slot one second off matches nothing: its use is not evidence
		// either way, and the new key is never planned.
		{"creation time off by a second", [2]credreport.KeySlot{
			{Active: true, LastRotated: ct(newKey.CreateDate.Add(time.Second)), LastUsedDate: ct(d(-1))},
			{Active: true, LastRotated: ct(oldKey.CreateDate), LastUsedDate: ct(d(-200))}}, []string{oldKey.AccessKeyID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := snapshot.User{UserName: "app", ARN: "arn:aws:iam::111111111111:user/app", AccessKeys: []snapshot.AccessKey{oldKey, newKey}}
			a := &snapshot.Account{AccountID: "111111111111", Users: []snapshot.User{u}, Trails: multiRegion,
				CredentialReport: &credreport.Report{Rows: []credreport.Row{{User: "app", AccessKeys: tc.slots}}}}
			res := Candidates(Input{Snapshot: &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}, Now: now, Runs: fullRuns()},
				Options{UnusedDays: 30, IncludeNeverUsed: true})
			if diff := cmp.Diff(tc.want, candidateIDs(res)); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCandidatesEvidenceAndExclusions(t *testing.T) {
	key := func(id string, created, used int) snapshot.AccessKey {
		k := snapshot.AccessKey{AccessKeyID: id, Status: "Active", CreateDate: d(created)}
		if used != 0 {
			k.LastUsed = &snapshot.KeyLastUsed{Date: d(used)}
		}
		return k
	}
	recent := d(-2)
	users := []snapshot.User{
		{UserName: "old", ARN: "arn:aws:iam::1:user/old", AccessKeys: []snapshot.AccessKey{key("K_OLD", -300, -100)}},
		{UserName: "trail-used", ARN: "arn:aws:iam::1:user/trail-used", AccessKeys: []snapshot.AccessKey{key("K_TRAIL", -300, -100)}},
		{UserName: "never", ARN: "arn:aws:iam::1:user/never", AccessKeys: []snapshot.AccessKey{key("K_NEVER", -300, 0)}},
		{UserName: "young", ARN: "arn:aws:iam::1:user/young", AccessKeys: []snapshot.AccessKey{key("K_YOUNG", -5, 0)}},
		{UserName: "kept", ARN: "arn:aws:iam::1:user/kept", Tags: map[string]string{KeepTag: ""}, AccessKeys: []snapshot.AccessKey{key("K_KEPT", -300, -100)}},
		{UserName: "listed", ARN: "arn:aws:iam::1:user/listed", AccessKeys: []snapshot.AccessKey{key("K_LISTED", -300, -100)}},
		{UserName: "inactive", ARN: "arn:aws:iam::1:user/inactive", AccessKeys: []snapshot.AccessKey{{AccessKeyID: "K_INACTIVE", Status: "Inactive", CreateDate: d(-300)}}},
		// Access Advisor shows the owner active; no password, one key: it was this key.
		{UserName: "advisor", ARN: "arn:aws:iam::1:user/advisor", AccessKeys: []snapshot.AccessKey{key("K_ADVISOR", -300, -100)},
			AccessAdvisor: []snapshot.ServiceAccess{{ServiceNamespace: "s3", LastAuthenticated: &recent}}},
	}
	a := &snapshot.Account{AccountID: "1", Users: users, Trails: multiRegion, AccessAdvisorCollected: true}
	in := Input{Snapshot: &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}, Now: now, Runs: fullRuns(),
		Config:   config.Keys{Allowlist: []string{"listed"}},
		KeyUsage: map[string][]usage.Row{"K_TRAIL": {{FirstSeen: d(-20), LastSeen: d(-3), Count: 4}}}}
	res := Candidates(in, Options{UnusedDays: 30})
	if diff := cmp.Diff([]string{"K_OLD"}, candidateIDs(res)); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	res = Candidates(in, Options{UnusedDays: 30, IncludeNeverUsed: true})
	if diff := cmp.Diff([]string{"K_NEVER", "K_OLD"}, candidateIDs(res)); diff != "" {
		t.Errorf("with never used (-want +got):\n%s", diff)
	}
	var ex []string
	for _, x := range res.Excluded {
		ex = append(ex, x.AccessKeyID+": "+x.Reason)
	}
	if diff := cmp.Diff([]string{"K_KEPT: user tagged seiri:keep", "K_LISTED: allowlisted in seiri.yaml (listed)"}, ex); diff != "" {
		t.Errorf("excluded (-want +got):\n%s", diff)
	}
}

func TestCoverage(t *testing.T) {
	s3all := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	bucket := json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::reports/*"}}`)
	tests := []struct {
		name   string
		trails []snapshot.Trail
		doc    json.RawMessage
		runs   []usage.Run
		gaps   []string
	}{
		{"complete", multiRegion, nil, fullRuns(), nil},
		{"no trail", nil, nil, fullRuns(), []string{"no logging trail in account 1"}},
		{"stopped trail", []snapshot.Trail{{HomeRegion: "us-east-1", IsMultiRegion: true}}, nil, fullRuns(), []string{"no logging trail in account 1"}},
		{"one region", []snapshot.Trail{{HomeRegion: "eu-west-1", IsLogging: true}}, nil, fullRuns(), []string{"trail covers only eu-west-1"}},
		{"few days", multiRegion, nil, []usage.Run{{Since: d(-10), Until: now}}, []string{"only 10 of 30 days of CloudTrail logs scanned"}},
		{"data not logged", multiRegion, s3all, fullRuns(), []string{"data events not logged for 1 granted resource(s): arn:aws:s3:*"}},
		{"bucket not logged", multiRegion, bucket, fullRuns(), []string{"data events not logged for 1 granted resource(s): arn:aws:s3:::reports/*"}},
		{"all S3 data logged", []snapshot.Trail{{HomeRegion: "us-east-1", IsMultiRegion: true, IsLogging: true,
			EventSelectors: json.RawMessage(`[{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]`)}}, s3all, fullRuns(), nil},
		{"bucket logged (advanced)", []snapshot.Trail{{HomeRegion: "us-east-1", IsMultiRegion: true, IsLogging: true,
			AdvancedEventSelectors: json.RawMessage(`[{"FieldSelectors":[{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::reports/"]}]}]`)}}, bucket, fullRuns(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := snapshot.User{UserName: "u", ARN: "arn:aws:iam::1:user/u",
				AccessKeys: []snapshot.AccessKey{{AccessKeyID: "K", Status: "Active", CreateDate: d(-300), LastUsed: &snapshot.KeyLastUsed{Date: d(-100)}}}}
			if tc.doc != nil {
				u.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: "p", Document: tc.doc}}
			}
			a := &snapshot.Account{AccountID: "1", Users: []snapshot.User{u}, Trails: tc.trails}
			res := Candidates(Input{Snapshot: &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}, Now: now, Runs: tc.runs}, Options{UnusedDays: 30})
			if len(res.Candidates) != 1 {
				t.Fatalf("candidates: %+v", res)
			}
			if diff := cmp.Diff(tc.gaps, res.Candidates[0].Coverage.Gaps); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
		})
	}
}

// A key whose silence may be unlogged ranks after keys with full coverage.
func TestCandidatesRanking(t *testing.T) {
	k := func(id string, used int) []snapshot.AccessKey {
		return []snapshot.AccessKey{{AccessKeyID: id, Status: "Active", CreateDate: d(-500), LastUsed: &snapshot.KeyLastUsed{Date: d(used)}}}
	}
	covered := &snapshot.Account{AccountID: "1", Trails: multiRegion, Users: []snapshot.User{
		{UserName: "a", AccessKeys: k("K_RECENT", -40)}, {UserName: "b", AccessKeys: k("K_OLDEST", -300)}}}
	dark := &snapshot.Account{AccountID: "2", Users: []snapshot.User{{UserName: "c", AccessKeys: k("K_DARK", -400)}}}
	res := Candidates(Input{Snapshot: &snapshot.Snapshot{Accounts: []*snapshot.Account{covered, dark}}, Now: now, Runs: fullRuns()}, Options{UnusedDays: 30})
	if diff := cmp.Diff([]string{"K_OLDEST", "K_RECENT", "K_DARK"}, candidateIDs(res)); diff != "" {
		t.Errorf("ranking (-want +got):\n%s", diff)
	}
}

func TestLockout(t *testing.T) {
	cfg := config.Keys{BreakGlassUsers: []string{"bg"}}
	bg := &snapshot.User{UserName: "bg", ARN: "arn:aws:iam::1:user/bg", AccessKeys: []snapshot.AccessKey{{AccessKeyID: "K1", Status: "Active"}}}
	bg2 := &snapshot.User{UserName: "bg", ARN: "arn:aws:iam::1:user/bg", AccessKeys: []snapshot.AccessKey{{AccessKeyID: "K1", Status: "Active"}, {AccessKeyID: "K2", Status: "Active"}}}
	bgPw := &snapshot.User{UserName: "bg", ARN: "arn:aws:iam::1:user/bg", LoginProfile: &snapshot.LoginProfile{}, AccessKeys: bg.AccessKeys}
	me := &snapshot.User{UserName: "me", ARN: "arn:aws:iam::1:user/me"}
	other := &snapshot.User{UserName: "x", ARN: "arn:aws:iam::1:user/x"}
	caller := Caller{ARN: me.ARN, AccessKeyID: "KME"}
	tests := []struct {
		u    *snapshot.User
		key  string
		want string
	}{
		{other, "KME", "this is the access key seiri is running with"},
		{me, "K9", "this key belongs to the user seiri is running as (me)"},
		{bg, "K1", "last active credential of break-glass user bg"},
		{bg2, "K1", ""},
		{bgPw, "K1", ""},
		{other, "K5", ""},
	}
	for _, tc := range tests {
		if got := Lockout(cfg, caller, tc.u, tc.key); got != tc.want {
			t.Errorf("Lockout(%s, %s) = %q, want %q", tc.u.UserName, tc.key, got, tc.want)
		}
	}
}

func TestWatch(t *testing.T) {
	since := d(0)
	key := Tracked{Account: "1", User: "ci", UserARN: "arn:aws:iam::1:user/ci", AccessKeyID: "K", State: Disabled, Since: since}
	before := []usage.Row{{Key: usage.Key{AccessKeyID: "K", Action: "s3:ListAllMyBuckets"}, FirstSeen: d(-50), LastSeen: d(-45), Count: 9,
		SourceIPs: []string{"203.0.113.10"}, UserAgents: []string{"ci-runner/1.0"}}}
	inactive := Live{Found: true, Status: "Inactive"}
	fail := func(ip, ua, code string) usage.Row {
		return usage.Row{Key: usage.Key{Action: "s3:ListAllMyBuckets", ErrorCode: code}, FirstSeen: d(2), LastSeen: d(2), Count: 2,
			SourceIPs: []string{ip}, UserAgents: []string{ua}}
	}
	moved := d(3)
	tests := []struct {
		name     string
		in       WatchInput
		verdict  Verdict
		daysLeft int
	}{
		{"quiet", WatchInput{Live: inactive, KeyRows: before}, Quiet, 11},
		{"quiet, window over", WatchInput{Live: inactive, KeyRows: before, Now: d(14)}, Quiet, 0},
		{"event with the key id", WatchInput{Live: inactive, KeyRows: append(before, usage.Row{Key: usage.Key{AccessKeyID: "K", Action: "s3:GetObject", ErrorCode: "InvalidClientTokenId"}, FirstSeen: d(1), LastSeen: d(1), Count: 1})}, Noisy, 11},
		{"failure from the fingerprint IP", WatchInput{Live: inactive, KeyRows: before, FailedRows: []usage.Row{fail("203.0.113.10", "other", "InvalidClientTokenId")}}, Noisy, 11},
		{"failure sharing only the user agent", WatchInput{Live: inactive, KeyRows: before, FailedRows: []usage.Row{fail("198.51.100.1", "ci-runner/1.0", "AccessDenied")}}, Quiet, 11},
		{"not an auth failure", WatchInput{Live: inactive, KeyRows: before, FailedRows: []usage.Row{fail("203.0.113.10", "ci-runner/1.0", "NoSuchBucket")}}, Quiet, 11},
		{"active again", WatchInput{Live: Live{Found: true, Status: "Active"}, KeyRows: before}, Drifted, 11},
		{"gone", WatchInput{Live: Live{}, KeyRows: before}, Drifted, 11},
		{"last used moved", WatchInput{Live: Live{Found: true, Status: "Inactive", LastUsed: &moved}, KeyRows: before}, Noisy, 11},
		{"live state unreadable", WatchInput{Live: Live{Err: "AccessDenied"}, KeyRows: before}, Noisy, 11},
		{"owner active elsewhere (informational)", WatchInput{Live: inactive, KeyRows: before, OwnerRows: []usage.Row{{Key: usage.Key{AccessKeyID: "K2"}, LastSeen: d(2), Count: 3}}}, Quiet, 11},
		// Evidence that does not cover the time since the disable.
		{"no usage store", WatchInput{Live: inactive, KeyRows: before, Evidence: &WatchEvidence{}}, Unwatched, 11},
		{"logs stop after the disable", WatchInput{Live: inactive, KeyRows: before, Evidence: &WatchEvidence{Store: true,
			Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(-60), Last: d(1)}}}}, Unwatched, 11},
		{"one region's logs stop", WatchInput{Live: inactive, KeyRows: before, Evidence: &WatchEvidence{Store: true,
			Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(-60), Last: d(3)}, {Account: "1", Region: "eu-west-1", First: d(-60), Last: d(2)}}}}, Unwatched, 11},
		{"trail created after the disable", WatchInput{Live: inactive, KeyRows: before, Evidence: &WatchEvidence{Store: true,
			Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(1), Last: d(3)}}}}, Unwatched, 11},
		{"logging started after the disable", WatchInput{Live: inactive, KeyRows: before, Evidence: &WatchEvidence{Store: true, LoggingStart: d(1),
			Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(-60), Last: d(3)}}}}, Unwatched, 11},
		{"no logs of the account", WatchInput{Live: inactive, KeyRows: before, Evidence: &WatchEvidence{Store: true}}, Unwatched, 11},
		{"trail in one region only", WatchInput{Live: inactive, KeyRows: before, Evidence: &WatchEvidence{Store: true, TrailGaps: []string{"trail covers only us-east-1"},
			Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(-60), Last: d(3)}}}}, Unwatched, 11},
		{"noisy stays noisy without logs", WatchInput{Live: Live{Found: true, Status: "Inactive", LastUsed: &moved}, KeyRows: before, Evidence: &WatchEvidence{}}, Noisy, 11},
		{"owner's Access Advisor after the disable, no other credential", WatchInput{Live: inactive, KeyRows: before, Evidence: covered(d(3), &AdvisorWitness{CollectedAt: d(3), LastAuthenticated: &moved, OnlyThisKey: true})}, Noisy, 11},
		{"owner's Access Advisor after the disable, other credentials", WatchInput{Live: inactive, KeyRows: before, Evidence: covered(d(3), &AdvisorWitness{CollectedAt: d(3), LastAuthenticated: &moved})}, Quiet, 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Key, in.Window = key, 14
			if in.Now.IsZero() {
				in.Now = d(3)
			}
			if in.Evidence == nil {
				in.Evidence = covered(in.Now, nil)
			}
			r := Watch(in)
			if r.Verdict != tc.verdict || r.DaysLeft != tc.daysLeft {
				t.Errorf("verdict %s, %d days left; want %s, %d\n%+v", r.Verdict, r.DaysLeft, tc.verdict, tc.daysLeft, r.Signals)
			}
			if len(r.Signals) < 5 {
				t.Errorf("%d signals reported, want all 5", len(r.Signals))
			}
			if r.Verdict == Unwatched && (r.NotWatched == "" || !strings.HasPrefix(r.Recommendation, "not watched: ")) {
				t.Errorf("not watched without saying why: %+v", r)
			}
		})
	}
}

// covered is evidence with logs of account 1 from long before the disable
// up to now.
func covered(now time.Time, aa *AdvisorWitness) *WatchEvidence {
	return &WatchEvidence{Store: true, Advisor: aa, Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(-60), Last: now}}}
}

// Absent witnesses read as absent, never as "no use".
func TestWatchAbsentWitnesses(t *testing.T) {
	key := Tracked{Account: "1", User: "ci", AccessKeyID: "K", State: Disabled, Since: d(0)}
	r := Watch(WatchInput{Key: key, Live: Live{Found: true, Status: "Inactive"}, Now: d(3), Window: 14, Evidence: &WatchEvidence{}})
	got := map[string]string{}
	for _, s := range r.Signals {
		got[s.Name] = s.Found
	}
	want := map[string]string{
		"CloudTrail events with the key id since disable":                   "not collected: no usage store",
		"failed calls from the key's fingerprint (source IPs, user agents)": "no fingerprint: the key has no logged use before the disable time",
		"IAM key status and GetAccessKeyLastUsed":                           "",
		"owner's other activity since disable":                              "not collected: no usage store",
		"owner's Access Advisor since disable":                              "not collected",
		"CloudTrail log coverage since disable":                             "no usage store: no CloudTrail log was scanned (run seiri trail scan)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("signals (-want +got):\n%s", diff)
	}
	if r.Verdict != Unwatched || r.NotWatched != "no usage store (no CloudTrail log scanned)" {
		t.Errorf("verdict %s (%s)", r.Verdict, r.NotWatched)
	}
	// Logs that stop: the silence is only as long as the logs.
	r = Watch(WatchInput{Key: key, Live: Live{Found: true, Status: "Inactive"}, Now: d(3), Window: 14,
		Evidence: &WatchEvidence{Store: true, Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(-9), Last: d(1)}},
			Advisor: &AdvisorWitness{CollectedAt: d(-1)}}})
	if r.Signals[0].Found != "nothing in the logs scanned up to 2026-11-02T12:00:00Z; later calls not seen" ||
		r.Signals[4].Found != "not collected since the disable (last collected 2026-10-31T12:00:00Z)" ||
		r.NotWatched != "no logs after 2026-11-02T12:00:00Z" {
		t.Errorf("%+v\n%s", r.Signals, r.NotWatched)
	}
}

func TestRetireTagRoundTrip(t *testing.T) {
	v := RetireValue(Disabled, d(0), "arn:aws:iam::1:user/op")
	st, at, by, err := ParseRetire(v)
	if err != nil || st != Disabled || !at.Equal(d(0)) || by != "arn:aws:iam::1:user/op" {
		t.Errorf("ParseRetire(%q) = %s %s %s %v", v, st, at, by, err)
	}
	for _, bad := range []string{"", "disabled", "disabled yesterday by me", "enabled 2026-11-01T12:00:00Z by me", strings.Repeat("x", 300)} {
		if _, _, _, err := ParseRetire(bad); err == nil {
			t.Errorf("ParseRetire(%q): no error", bad)
		} else if len(err.Error()) > 200 {
			t.Errorf("error not trimmed: %d chars", len(err.Error()))
		}
	}
	if GuardHeld(GuardValue("p1", d(0), "me"), "p1", d(0)) {
		t.Error("own guard held")
	}
	if !GuardHeld(GuardValue("p2", d(0), "bob"), "p1", d(0).Add(time.Minute)) {
		t.Error("another run's fresh guard not held")
	}
	if GuardHeld(GuardValue("p2", d(0), "bob"), "p1", d(0).Add(GuardTTL)) {
		t.Error("an expired guard held")
	}
}

// Retire tag values come from IAM, which anyone with iam:TagUser can write.
func FuzzParseRetire(f *testing.F) {
	f.Add(RetireValue(Disabled, now, "arn:aws:iam::1:user/op"))
	f.Add("deleted 2026-11-01T12:00:00Z")
	f.Add("disabled 2026-13-01T12:00:00Z by x")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		st, at, _, err := ParseRetire(v)
		if err != nil {
			return
		}
		if st != Disabled && st != Deleted {
			t.Fatalf("state %q accepted", st)
		}
		if at.IsZero() && !strings.Contains(v, "0001-01-01") {
			t.Fatalf("zero time accepted from %q", v)
		}
		GuardHeld(v, "p", now)
		TrackedOf("1", "u", "arn", map[string]string{RetireTag("K"): v})
	})
}

// An organization trail listed by the management account covers members.
func TestCoverageOrganizationTrail(t *testing.T) {
	mgmt := &snapshot.Account{AccountID: "1", Trails: []snapshot.Trail{{HomeRegion: "us-east-1", IsMultiRegion: true, IsLogging: true, IsOrganizationTrail: true}}}
	member := &snapshot.Account{AccountID: "2", Users: []snapshot.User{{UserName: "u",
		AccessKeys: []snapshot.AccessKey{{AccessKeyID: "K", Status: "Active", CreateDate: d(-300), LastUsed: &snapshot.KeyLastUsed{Date: d(-100)}}}}}}
	res := Candidates(Input{Snapshot: &snapshot.Snapshot{Accounts: []*snapshot.Account{mgmt, member}}, Now: now, Runs: fullRuns()}, Options{UnusedDays: 30})
	if len(res.Candidates) != 1 || !res.Candidates[0].Coverage.Complete() {
		t.Errorf("coverage: %+v", res.Candidates)
	}
}

// Backup files are read back from disk by restore-from-backup (an operator
// may hand-edit or truncate them): never a panic, and a plan only for a
// well-formed IAM user backup.
func FuzzRecreatePlan(f *testing.F) {
	good, _ := json.Marshal(UserBackup{Kind: "iam-user", Account: "111111111111", User: snapshot.User{UserName: "u", Path: "/",
		Groups: []string{"g"}, AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "p", PolicyARN: "arn:aws:iam::aws:policy/p"}},
		InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "i", Document: json.RawMessage(`{"Version":"2012-10-17"}`)}},
		Tags:           map[string]string{"team": "x", QuarantineTag: "quarantined 2026-11-01T12:00:00Z by me"}}})
	f.Add(good)
	f.Add([]byte(`{"kind":"iam-user"}`))
	f.Add([]byte(`{"kind":"iam-user","account":"1","user":{"userName":"u","inlinePolicies":[{"policyName":"x","document":null}]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var bk UserBackup
		if json.Unmarshal(b, &bk) != nil {
			return
		}
		p, err := RecreatePlan(&bk, now)
		if err != nil {
			return
		}
		if len(p.Changes) == 0 || p.Changes[0].Kind != KindCreateUser {
			t.Fatalf("plan does not start with CreateUser: %+v", p.Changes)
		}
		for _, c := range p.Changes {
			ch, err := iamplan.Decode(c)
			if err != nil {
				t.Fatal(err)
			}
			cu, ok := ch.(*iamplan.CreateUser)
			if !ok {
				continue
			}
			for k := range cu.Tags {
				if strings.HasPrefix(k, "seiri:") {
					t.Fatalf("seiri state tag %q recreated", k)
				}
			}
		}
	})
}

func TestWatchUser(t *testing.T) {
	q := QuarantinedUser{Account: "1", User: "u", UserARN: "arn:aws:iam::1:user/u", Since: d(0), Keys: []string{"K"}}
	state := func(deny bool, keyStatus string, pw *time.Time) *UserState {
		s := &UserState{Account: "1", User: snapshot.User{UserName: "u", ARN: q.UserARN}, PasswordLastUsed: pw,
			Tags: map[string]string{QuarantineTag: RetireValue(Quarantined, d(0), "op")}}
		if deny {
			s.User.AttachedPolicies = []snapshot.AttachedPolicy{{PolicyName: DenyAllPolicyName, PolicyARN: DenyAllARN("1")}}
		}
		s.AccessKeys = []LiveKeyMeta{{AccessKeyID: "K", Status: keyStatus}}
		return s
	}
	before := usage.Row{Key: usage.Key{Principal: q.UserARN, AccessKeyID: "K"}, FirstSeen: d(-40), LastSeen: d(-30), Count: 2, SourceIPs: []string{"192.0.2.7"}}
	denied := usage.Row{Key: usage.Key{Principal: q.UserARN, Action: "s3:GetObject", ErrorCode: "AccessDenied"}, FirstSeen: d(1), LastSeen: d(1), Count: 5}
	fromIP := usage.Row{Key: usage.Key{Action: "sts:GetCallerIdentity", ErrorCode: "InvalidClientTokenId"}, FirstSeen: d(2), LastSeen: d(2), Count: 1, SourceIPs: []string{"192.0.2.7"}}
	signIn := d(2)
	tests := []struct {
		name string
		in   UserWatchInput
		want Verdict
	}{
		{"quiet", UserWatchInput{State: state(true, "Inactive", nil), Rows: []usage.Row{before}}, Quiet},
		{"denied calls by the user", UserWatchInput{State: state(true, "Inactive", nil), Rows: []usage.Row{before, denied}}, Noisy},
		{"failed calls from its IP", UserWatchInput{State: state(true, "Inactive", nil), Rows: []usage.Row{before}, FailedRows: []usage.Row{fromIP}}, Noisy},
		{"console sign-in", UserWatchInput{State: state(true, "Inactive", &signIn)}, Noisy},
		{"deny-all detached", UserWatchInput{State: state(false, "Inactive", nil)}, Drifted},
		{"key active again", UserWatchInput{State: state(true, "Active", nil)}, Drifted},
		{"user gone", UserWatchInput{}, Drifted},
		{"unreadable", UserWatchInput{Err: "AccessDenied"}, Noisy},
		{"no usage store", UserWatchInput{State: state(true, "Inactive", nil), Rows: []usage.Row{before}, Evidence: &WatchEvidence{}}, Unwatched},
		{"logs stop", UserWatchInput{State: state(true, "Inactive", nil), Rows: []usage.Row{before}, Evidence: &WatchEvidence{Store: true,
			Logs: []usage.LogCoverage{{Account: "1", Region: "us-east-1", First: d(-60), Last: d(1)}}}}, Unwatched},
		{"Access Advisor after the quarantine", UserWatchInput{State: state(true, "Inactive", nil), Rows: []usage.Row{before},
			Evidence: covered(d(3), &AdvisorWitness{CollectedAt: d(3), LastAuthenticated: &signIn})}, Noisy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.User, in.Now, in.Window = q, d(3), 14
			if in.Evidence == nil {
				in.Evidence = covered(in.Now, nil)
			}
			r := WatchUser(in)
			if r.Verdict != tc.want {
				t.Errorf("verdict %s, want %s: %+v", r.Verdict, tc.want, r.Signals)
			}
			if r.DaysLeft != 11 {
				t.Errorf("days left %d, want 11", r.DaysLeft)
			}
		})
	}
}

// IAM refuses DeleteUser while anything is attached (DeleteConflict): the
// plan removes everything first, in the documented order.
func TestUserDeletePlanOrder(t *testing.T) {
	s := &UserState{Account: "1", User: snapshot.User{UserName: "u", ARN: "arn:aws:iam::1:user/u",
		LoginProfile: &snapshot.LoginProfile{}, MFADevices: []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::1:mfa/u"}},
		Groups: []string{"g"}, AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "p", PolicyARN: "arn:aws:iam::1:policy/p"}},
		InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "i"}}, PermissionsBoundary: "arn:aws:iam::1:policy/b"},
		AccessKeys: []LiveKeyMeta{{AccessKeyID: "K"}}, SigningCerts: []string{"C"}, SSHKeys: []string{"S"}, ServiceCreds: []string{"X"}}
	var kinds []string
	for _, c := range UserDeletePlan(s, now, nil).Changes {
		kinds = append(kinds, c.Kind)
	}
	want := []string{KindDeleteLoginProfile, KindDeleteKey, KindDeleteSigningCert, KindDeleteSSHKey, KindDeleteServiceCred,
		KindDeactivateMFA, KindDeleteUserPolicy, KindDetachUserPolicy, KindRemoveFromGroup, KindDeleteBoundary, KindDeleteUser}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// A key whose recent calls all fail is still held by something: not unused.
func TestCandidatesFailedCallsAreUse(t *testing.T) {
	u := snapshot.User{UserName: "u", AccessKeys: []snapshot.AccessKey{{AccessKeyID: "K", Status: "Active", CreateDate: d(-300), LastUsed: &snapshot.KeyLastUsed{Date: d(-200)}}}}
	a := &snapshot.Account{AccountID: "1", Users: []snapshot.User{u}, Trails: multiRegion}
	in := Input{Snapshot: &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}, Now: now, Runs: fullRuns(),
		KeyUsage: map[string][]usage.Row{"K": {{Key: usage.Key{AccessKeyID: "K", ErrorCode: "AccessDenied"}, FirstSeen: d(-2), LastSeen: d(-1), Count: 7}}}}
	if res := Candidates(in, Options{UnusedDays: 30}); len(res.Candidates) != 0 {
		t.Errorf("a key failing yesterday is a candidate: %+v", res.Candidates)
	}
}

// A source that was not collected (no Access Advisor, no CloudTrail log
// scanned, no credential report row) reads "not collected" in every
// report, never "no use".
func TestCandidateEvidenceAbsentIsNotNoUse(t *testing.T) {
	u := snapshot.User{UserName: "old", ARN: "arn:aws:iam::1:user/old",
		AccessKeys: []snapshot.AccessKey{{AccessKeyID: "K_OLD", Status: "Active", CreateDate: d(-300), LastUsed: &snapshot.KeyLastUsed{Date: d(-100)}}}}
	a := &snapshot.Account{AccountID: "1", Users: []snapshot.User{u}, Trails: multiRegion}
	in := Input{Snapshot: &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}, Now: now}
	res := Candidates(in, Options{UnusedDays: 30})
	if len(res.Candidates) != 1 {
		t.Fatalf("candidates: %+v", res.Candidates)
	}
	got := map[string]string{}
	for _, e := range res.Candidates[0].Evidence {
		got[e.Source] = e.Value() + " — " + e.Detail
	}
	want := map[string]string{
		srcLastUsed: d(-100).Format("2006-01-02") + " — ",
		srcReport:   "not collected — no credential report row",
		srcTrail:    "not collected — no CloudTrail log scanned (run seiri trail scan)",
		srcAdvisor:  "not collected — the account's Access Advisor was not collected",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	var b strings.Builder
	RenderCandidates(&b, res, now, "")
	if strings.Contains(b.String(), "no use") {
		t.Errorf("absent evidence shown as no use:\n%s", b.String())
	}
	ur := UserCandidates(in, Options{UnusedDays: 30})
	for _, c := range ur.Candidates {
		for _, e := range c.Evidence {
			if (e.Source == srcAdvisor || e.Source == "CloudTrail (user)") && e.Value() != "not collected" {
				t.Errorf("user evidence %s: %q", e.Source, e.Value())
			}
		}
	}
}
