package leastpriv

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/usage"
)

const hardAcct = "123456789012"

func broadSnapshot(trails ...snapshot.Trail) *snapshot.Snapshot {
	doc := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","kms:*","dynamodb:*","cloudfront:*","lambda:*","iam:PassRole","ec2:RunInstances"],"Resource":"*"}]}`)
	return &snapshot.Snapshot{Accounts: []*snapshot.Account{{
		AccountID: hardAcct, Trails: trails,
		Users: []snapshot.User{{ARN: "arn:aws:iam::" + hardAcct + ":user/app", UserName: "app", InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "broad", Document: doc}}},
			{ARN: "arn:aws:iam::" + hardAcct + ":user/yearly", UserName: "yearly", InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "broad", Document: doc}}}},
	}}}
}

// scanSpec generates a corpus and scans it with the trail engine's mapping.
func scanSpec(t *testing.T, spec gen.Spec) []usage.Row {
	t.Helper()
	var logs = t.TempDir()
	if _, err := gen.Generate(spec, gen.DirSink(logs)); err != nil {
		t.Fatal(err)
	}
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: logs}, trail.Options{Parallel: 2, Mapper: &trail.Mapper{Catalog: catalog.Default()}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows
}

// TestEventNamesMapThroughTheTrailMapping: CloudTrail names that are not
// IAM actions, calls needing several actions and request-dependent actions
// all come from the trail engine's one mapping, and the generated policy
// still covers every call.
func TestEventNamesMapThroughTheTrailMapping(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	act := func(src, name string, res ...string) gen.Activity {
		return gen.Activity{EventSource: src, EventName: name, Region: "eu-west-1", Resources: res, PerHour: 0.05}
	}
	spec := gen.Spec{Seed: 1, Start: end.AddDate(0, 0, -40), End: end, Parallel: 2, Principals: []gen.Principal{{
		Type: gen.IAMUser, Account: hardAcct, Name: "app",
		Activities: []gen.Activity{
			act("s3.amazonaws.com", "ListObjectsV2", "bucket-a"),
			act("s3.amazonaws.com", "HeadObject", "bucket-a/data/x.csv"),
			act("s3.amazonaws.com", "CopyObject", "bucket-b/out/y.csv"),
			act("kms.amazonaws.com", "ReEncrypt", "arn:aws:kms:eu-west-1:"+hardAcct+":key/k1"),
			act("dynamodb.amazonaws.com", "ExecuteStatement", "orders"),
			act("cloudfront.amazonaws.com", "CreateDistribution2020_05_31"),
			act("lambda.amazonaws.com", "AddPermission20150331v2", "fn"),
			act("ec2.amazonaws.com", "RunInstances"),
		}}}}
	rows := scanSpec(t, spec)
	snap := broadSnapshot()
	// Key k1 has the default key policy (AWS KMS Developer Guide, "Default
	// key policy"): IAM policies decide, so its ReEncrypt call is proven.
	snap.Accounts[0].ResourcePolicies = &snapshot.ResourcePolicies{Regions: []string{"eu-west-1"},
		Scopes: []snapshot.CollectScope{{Service: snapshot.ResourceKMSKey, Region: "eu-west-1"}},
		Items: []snapshot.ResourcePolicy{{Type: snapshot.ResourceKMSKey, ARN: "arn:aws:kms:eu-west-1:" + hardAcct + ":key/k1", Region: "eu-west-1",
			Policy: []byte(strings.ReplaceAll(defaultKeyPolicy, kmsAcct, hardAcct))}}}
	m := NewModel(snap, catalog.Default())
	m.Now = end
	an := NewAnalysis(m, m.Attribute(Slice(rows), NewWindow(end, 90, end.AddDate(0, 0, -40), end), true))
	p := m.Lookup("arn:aws:iam::" + hardAcct + ":user/app")
	r := an.Unused(p, true)
	for _, want := range []string{"s3:ListBucket", "s3:GetObject", "s3:PutObject", "kms:ReEncryptFrom", "kms:ReEncryptTo",
		"dynamodb:PartiQLSelect", "cloudfront:CreateDistribution", "lambda:AddPermission", "ec2:RunInstances"} {
		if !slices.Contains(r.UsedActions, want) {
			t.Errorf("%s not used; used: %v", want, r.UsedActions)
		}
	}
	g, err := an.Generate(p, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Proof.Covered != g.Proof.Total || g.Proof.Total == 0 {
		t.Errorf("%s; uncovered %v", g.Proof, g.Proof.Uncovered)
	}
	// ec2:RunInstances passes a role: iam:PassRole kept, for review.
	found := false
	for _, st := range g.Policies[0].Statement {
		if slices.Contains(st.Action, "iam:PassRole") {
			found = true
			if d := cmp.Diff([]string{"arn:aws:iam::" + hardAcct + ":role/*"}, st.Resource); d != "" {
				t.Errorf("PassRole resources: %s", d)
			}
		}
	}
	if !found {
		t.Errorf("iam:PassRole not kept")
	}
}

// TestOnceAYearPrincipal: the verdict names the window and its end; a
// window reaching the yearly call sees it.
func TestOnceAYearPrincipal(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	once := end.AddDate(0, 0, -200)
	rows := []usage.Row{{Key: usage.Key{Account: hardAcct, Principal: "arn:aws:iam::" + hardAcct + ":user/yearly", PrincipalType: "IAMUser",
		Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket-a/reports/*"}, FirstSeen: once, LastSeen: once, Count: 1, Authz: true}}
	logsFrom := end.AddDate(0, 0, -400)
	tests := []struct {
		days        int
		used        int
		verdictHas  string
		windowShown string
	}{
		{90, 0, "no use seen of 609", "90 days to 2026-11-01"},
		{365, 1, "uses 1 of", "365 days to 2026-11-01"},
		{500, 1, "uses 1 of", "500 days to 2026-11-01 (logs cover 400)"},
	}
	trail := snapshot.Trail{Name: "org", ARN: "arn:aws:cloudtrail:us-east-1:" + hardAcct + ":trail/org", HomeRegion: "us-east-1", IsMultiRegion: true, IsLogging: true}
	for _, tc := range tests {
		m := NewModel(broadSnapshot(trail), catalog.Default())
		m.Now = end
		an := NewAnalysis(m, m.Attribute(Slice(rows), NewWindow(end, tc.days, logsFrom, end), false))
		r := an.Unused(m.Lookup("arn:aws:iam::"+hardAcct+":user/yearly"), true)
		if r.Used != tc.used || !strings.Contains(r.Verdict, tc.verdictHas) || !strings.Contains(r.Verdict, tc.windowShown) || r.Window != tc.windowShown {
			t.Errorf("days %d: used %d, window %q, verdict %q", tc.days, r.Used, r.Window, r.Verdict)
		}
	}
}

func TestConfidenceFollowsTheTrails(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := []usage.Row{{Key: usage.Key{Account: hardAcct, Principal: "arn:aws:iam::" + hardAcct + ":user/app", PrincipalType: "IAMUser",
		Action: "s3:ListAllMyBuckets"}, FirstSeen: end.AddDate(0, 0, -3), LastSeen: end.AddDate(0, 0, -1), Count: 4, Authz: true}}
	mgmt := snapshot.Trail{Name: "mgmt", ARN: "arn:aws:cloudtrail:us-east-1:" + hardAcct + ":trail/mgmt", HomeRegion: "us-east-1", IsMultiRegion: true, IsLogging: true}
	data := mgmt
	data.EventSelectors = json.RawMessage(`[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]`)
	single := mgmt
	single.IsMultiRegion = false
	stopped := mgmt
	stopped.IsLogging = false
	tests := []struct {
		name   string
		trails []snapshot.Trail
		days   int
		want   map[string]string // action → why substring ("" = unused)
	}{
		{"management trail", []snapshot.Trail{mgmt}, 90, map[string]string{"s3:CreateBucket": "", "s3:GetObject": "data events", "iam:PassRole": "never logged"}},
		{"data events logged", []snapshot.Trail{data}, 90, map[string]string{"s3:GetObject": "", "lambda:InvokeFunction": "data events"}},
		{"single region", []snapshot.Trail{single}, 90, map[string]string{"s3:CreateBucket": "single-region"}},
		{"not logging", []snapshot.Trail{stopped}, 90, map[string]string{"s3:CreateBucket": "no trail"}},
		{"short window", []snapshot.Trail{mgmt}, 7, map[string]string{"s3:CreateBucket": "shorter than"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewModel(broadSnapshot(tc.trails...), catalog.Default())
			m.Now = end
			an := NewAnalysis(m, m.Attribute(Slice(rows), NewWindow(end, tc.days, end.AddDate(-1, 0, 0), end), false))
			r := an.Unused(m.Lookup("arn:aws:iam::"+hardAcct+":user/app"), true)
			for a, want := range tc.want {
				v, ok := verdictOf(r, a)
				if !ok {
					t.Fatalf("%s not unused", a)
				}
				if want == "" && v.Confidence != ConfUnused || want != "" && (v.Confidence != ConfUnknown || !strings.Contains(v.Why, want)) {
					t.Errorf("%s: %s %q, want %q", a, v.Confidence, v.Why, want)
				}
			}
		})
	}
}

func TestParseSelectors(t *testing.T) {
	tests := []struct {
		name      string
		basic     string
		advanced  string
		mgmt      bool
		data      []string
		wantError bool
	}{
		{"default", "", "", true, nil, false},
		{"basic data", `[{"ReadWriteType":"All","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]`, "", false, []string{DataS3Object}, false},
		{"write only does not cover", `[{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}]`, "", false, nil, false},
		{"advanced", "", `[{"Name":"m","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},{"Name":"d","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]}]`, true, []string{DataLambdaFunction}, false},
		{"broken", `{"x"`, "", false, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b, a json.RawMessage
			if tc.basic != "" {
				b = json.RawMessage(tc.basic)
			}
			if tc.advanced != "" {
				a = json.RawMessage(tc.advanced)
			}
			mgmt, data, err := ParseSelectors(b, a)
			if (err != nil) != tc.wantError || mgmt != tc.mgmt || !slices.Equal(data, tc.data) {
				t.Errorf("got %v %v %v", mgmt, data, err)
			}
		})
	}
}

func FuzzParseSelectors(f *testing.F) {
	f.Add([]byte(`[{"ReadWriteType":"All","DataResources":[{"Type":"AWS::S3::Object"}]}]`), []byte(nil))
	f.Add([]byte(nil), []byte(`[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]}]}]`))
	f.Add([]byte(`[`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, basic, advanced []byte) {
		mgmt, data, err := ParseSelectors(basic, advanced)
		if err != nil && (mgmt || len(data) > 0) {
			t.Fatalf("error with a result: %v %v %v", mgmt, data, err)
		}
		if err != nil && !strings.Contains(err.Error(), "selectors") {
			t.Fatalf("error does not say what failed: %v", err)
		}
	})
}

func TestSCPLevelsAndSharedGrants(t *testing.T) {
	s := benchOrg(3, 4)
	m := NewModel(s, catalog.Default())
	keys := map[string]bool{}
	for _, p := range m.Principals {
		keys[p.key] = true
		switch p.Account {
		case "100000000000":
			if len(p.SCPs) != 0 {
				t.Errorf("management account principal %s has SCPs", p.ARN)
			}
		default:
			if len(p.SCPs) != 2 || len(p.SCPs[0]) != 2 || len(p.SCPs[1]) < 1 {
				t.Errorf("%s: SCP levels %d (%v)", p.ARN, len(p.SCPs), p.SCPs)
			}
		}
	}
	// 3 accounts: the management account and two OUs with different SCPs;
	// 4 principals per account with 3 policy sets.
	if len(keys) > 9 {
		t.Errorf("%d policy sets for %d principals: grants are not shared", len(keys), len(m.Principals))
	}
	// The region SCP (a Deny with a condition) does not remove grants
	// without request context; the management account's admin is not
	// limited by the root's deny on LeaveOrganization, a member's is.
	adminMgmt := m.Granted(m.Lookup("arn:aws:iam::100000000000:user/u0"))
	adminMember := m.Granted(m.Lookup("arn:aws:iam::100000000001:user/u0"))
	if !adminMgmt.Has("organizations:LeaveOrganization") || adminMember.Has("organizations:LeaveOrganization") || !adminMember.Has("s3:GetObject") {
		t.Errorf("SCP effect wrong: mgmt %v member %v", adminMgmt.Has("organizations:LeaveOrganization"), adminMember.Has("organizations:LeaveOrganization"))
	}
}

// TestGeneratedCorpusProof: on the trail generator's sample corpus (every
// identity type, management and data events, cross-account calls, errors),
// every principal's generated policy validates and covers all its calls.
func TestGeneratedCorpusProof(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	accounts := []string{"111111111111", "222222222222"}
	spec := gen.Sample(5, accounts, end.AddDate(0, 0, -2), end, 0.2)
	spec.Parallel = 2
	rows := scanSpec(t, spec)
	admin := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	s := &snapshot.Snapshot{}
	for _, id := range accounts {
		s.Accounts = append(s.Accounts, &snapshot.Account{AccountID: id})
	}
	for _, p := range spec.Principals {
		a := s.Account(p.Account)
		switch p.Type {
		case gen.IAMUser:
			path := p.Path
			if path == "" {
				path = "/"
			}
			a.Users = append(a.Users, snapshot.User{ARN: "arn:aws:iam::" + p.Account + ":user" + path + p.Name, UserName: p.Name, Path: path,
				InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "admin", Document: admin}}})
		case gen.AssumedRole, gen.IdentityCenter:
			arn := p.RoleARN()
			name := arn[strings.LastIndexByte(arn, '/')+1:]
			a.Roles = append(a.Roles, snapshot.Role{ARN: arn, RoleName: name, InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "admin", Document: admin}}})
		}
	}
	m := NewModel(s, catalog.Default())
	m.Now = end
	an := NewAnalysis(m, m.Attribute(Slice(rows), NewWindow(end, 90, end.AddDate(0, 0, -2), end), true))
	n := 0
	for p, us := range an.Usage.By {
		if len(us.Calls) == 0 {
			continue
		}
		n++
		g, err := an.Generate(p, GenerateOptions{})
		if err != nil {
			t.Errorf("%s: %v", p.ARN, err)
			continue
		}
		if len(g.Proof.Uncovered) > 0 || g.Proof.Covered+len(g.Proof.Undetermined) != g.Proof.Total {
			t.Errorf("%s: %s; uncovered %+v", p.ARN, g.Proof, g.Proof.Uncovered)
		}
		// The corpus has no key policies: only calls on KMS keys are
		// undetermined, never proven.
		for _, c := range g.Proof.Undetermined {
			if !strings.HasPrefix(c.Action, "kms:") {
				t.Errorf("%s: %s undetermined", p.ARN, c.Action)
			}
		}
	}
	if n < 4 {
		t.Errorf("only %d principals attributed; skipped %v", n, an.Usage.Skipped)
	}
}

func TestTypePatterns(t *testing.T) {
	cat := catalog.Default()
	tests := []struct {
		action string
		want   []string
	}{
		{"ecs:UpdateService", []string{"arn:aws:ecs:*:123456789012:service/*/*"}},
		{"sqs:ReceiveMessage", []string{"arn:aws:sqs:*:123456789012:*"}},
	}
	for _, tc := range tests {
		a, ok := cat.Action(tc.action)
		if !ok {
			t.Fatalf("%s not in the catalog", tc.action)
		}
		if d := cmp.Diff(tc.want, typePatterns(a, "aws", hardAcct)); d != "" {
			t.Errorf("%s: %s", tc.action, d)
		}
	}
}

// TestOrganizationView: parallel grants, ranking and totals.
func TestOrganizationView(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := benchOrg(3, 10)
	cat := catalog.Default()
	m := NewModel(s, cat)
	m.Now = end
	an := NewAnalysis(m, m.Attribute(benchRows(s, cat, 3000, end), NewWindow(end, 90, end.AddDate(-1, 0, 0), end), false))
	v := an.Organization(m.Select("", ""), 4)
	if len(v.Principals) != 30 || len(v.Accounts) != 3 {
		t.Fatalf("%d principals, %d accounts", len(v.Principals), len(v.Accounts))
	}
	sum := 0
	for i, r := range v.Principals {
		if i > 0 && r.UnusedHighRisk > v.Principals[i-1].UnusedHighRisk {
			t.Errorf("not ranked at %d", i)
		}
		if len(r.Top) == 0 {
			t.Errorf("%s: used %d, top %v", r.Principal, r.Used, r.Top)
		}
		sum += r.Granted
	}
	tot := 0
	for _, a := range v.Accounts {
		tot += a.Granted
	}
	if sum != tot {
		t.Errorf("account totals %d ≠ principal sum %d", tot, sum)
	}
	// Counts without detail equal the detailed analysis.
	for _, r := range v.Principals[:5] {
		d := an.Unused(r.p, true)
		if d.Used != r.Used || d.UnusedCertain != r.UnusedCertain || d.UnusedHighRisk != r.UnusedHighRisk || len(d.Actions) != r.Unused {
			t.Errorf("%s: detail %d/%d/%d/%d vs %d/%d/%d/%d", r.Principal, d.Used, d.UnusedCertain, d.UnusedHighRisk, len(d.Actions), r.Used, r.UnusedCertain, r.UnusedHighRisk, r.Unused)
		}
	}
}
