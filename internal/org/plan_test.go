package org

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

const (
	allowAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	allowS3   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	denyLeave = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
	denyAll   = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalARN":"arn:*:iam::*:role/break-glass"}}}]}`
)

var contents = []string{allowAll, allowS3, denyLeave, denyAll}

// randomOrg builds a random organization: a few OUs drawn from a small
// name pool (so that a random spec overlaps it), accounts anywhere, and
// random policies attached at random.
func randomOrg(r *rand.Rand) *snapshot.Organization {
	o := &snapshot.Organization{ID: "o-test", ManagementAccount: "100000000000", Roots: []snapshot.Root{{ID: "r-1", Name: "Root"}}}
	parents := []string{"r-1"}
	for i := 0; i < r.IntN(6); i++ {
		id := fmt.Sprintf("ou-%d", i)
		parent := parents[r.IntN(len(parents))]
		name := []string{"A", "B", "C", "Suspended"}[r.IntN(4)]
		dup := false
		for _, ou := range o.OUs {
			if ou.ParentID == parent && ou.Name == name {
				dup = true
			}
		}
		if dup {
			continue
		}
		o.OUs = append(o.OUs, snapshot.OU{ID: id, Name: name, ParentID: parent})
		parents = append(parents, id)
	}
	for i := 0; i < 5; i++ {
		o.Accounts = append(o.Accounts, snapshot.OrgAccount{ID: fmt.Sprintf("10000000000%d", i), Name: fmt.Sprintf("acct%d", i),
			Email: fmt.Sprintf("a%d@example.com", i), Status: "ACTIVE", ParentID: parents[r.IntN(len(parents))]})
	}
	targets := append([]string{}, parents...)
	for _, a := range o.Accounts {
		targets = append(targets, a.ID)
	}
	full := snapshot.OrgPolicy{ID: "p-FullAWSAccess", Name: FullAWSAccess, Type: string(SCP), AWSManaged: true, Content: allowAll}
	for _, t := range targets {
		if r.IntN(5) > 0 {
			full.Targets = append(full.Targets, t)
		}
	}
	o.Policies = append(o.Policies, full)
	for i := 0; i < 3; i++ {
		p := snapshot.OrgPolicy{ID: fmt.Sprintf("p-%d", i), Name: fmt.Sprintf("P%d", i), Type: string(SCP), Content: contents[r.IntN(len(contents))]}
		for _, t := range targets {
			if r.IntN(3) == 0 {
				p.Targets = append(p.Targets, t)
			}
		}
		o.Policies = append(o.Policies, p)
	}
	return o
}

// randomSpec builds a random spec over the same account ids, with a
// Suspended OU, or nil when the draw is not a valid spec.
func randomSpec(r *rand.Rand) *Spec {
	names := []string{"P0", "P1", "P2", "P3"}
	pols := func() []string {
		var out []string
		if r.IntN(4) > 0 {
			out = append(out, FullAWSAccess)
		}
		for _, n := range names {
			if r.IntN(4) == 0 {
				out = append(out, n)
			}
		}
		if len(out) == 1 && out[0] == FullAWSAccess && r.IntN(2) == 0 {
			return nil // default
		}
		return out
	}
	sp := &Spec{Version: 1, ManagementAccount: "100000000000", Root: Root{Policies: pols()}}
	// Build the tree first, then collect account slots: pointers into
	// slices are only stable once no more OUs are appended.
	var grow func(l *[]OU, depth int)
	grow = func(l *[]OU, depth int) {
		used := map[string]bool{}
		for i := 0; i < r.IntN(3); i++ {
			name := []string{"A", "B", "C"}[r.IntN(3)]
			if used[name] {
				continue
			}
			used[name] = true
			*l = append(*l, OU{Name: name, Policies: pols()})
		}
		if depth < 2 {
			for i := range *l {
				grow(&(*l)[i].OUs, depth+1)
			}
		}
	}
	grow(&sp.Root.OUs, 0)
	sp.Root.OUs = append(sp.Root.OUs, OU{Name: "Suspended", Policies: []string{FullAWSAccess, "P3"}})
	slots := []*[]Account{&sp.Root.Accounts}
	var walk func(l []OU)
	walk = func(l []OU) {
		for i := range l {
			slots = append(slots, &l[i].Accounts)
			walk(l[i].OUs)
		}
	}
	walk(sp.Root.OUs)
	for i := 0; i < 5; i++ {
		if r.IntN(6) == 0 && i != 0 {
			continue // removed from the spec: goes to Suspended
		}
		s := slots[r.IntN(len(slots))]
		*s = append(*s, Account{ID: fmt.Sprintf("10000000000%d", i), Policies: pols()})
	}
	if r.IntN(3) == 0 {
		s := slots[r.IntN(len(slots))]
		*s = append(*s, Account{Name: "new", Email: "new@example.com", Policies: pols()})
	}
	for i, n := range names {
		c := contents[r.IntN(len(contents))]
		if i == 3 {
			c = denyAll
		}
		sp.Policies = append(sp.Policies, Policy{Name: n, Content: c})
	}
	return sp
}

// TestPlanOrderingProperty: for random organizations and random specs,
// after every prefix of the plan every account that had an allowing SCP
// path still has one, every step is possible, and the whole plan reaches
// exactly the spec's state.
func TestPlanOrderingProperty(t *testing.T) {
	planned := 0
	for seed := uint64(0); seed < 400; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		o := randomOrg(r)
		o.Accounts[0].ID = "100000000000" // the management account
		for i := range o.Policies {
			for j, tg := range o.Policies[i].Targets {
				if tg == "100000000000" {
					o.Policies[i].Targets[j] = "100000000000"
				}
			}
		}
		sp := randomSpec(r)
		text := Marshal(sp, Comments{})
		d, err := Parse("org.yaml", text)
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, text)
		}
		desired, ps := Compile(d, Options{})
		if len(ps) > 0 {
			continue // an invalid random spec (a target without an allow)
		}
		current, err := FromSnapshot(o)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		changes, err := Diff(d, desired, current)
		if err != nil {
			t.Fatalf("seed %d: %v\nspec:\n%s", seed, err, text)
		}
		planned++
		before := gapAccounts(current)
		s := current.Clone()
		for i, c := range changes {
			if err := c.apply(s); err != nil {
				t.Fatalf("seed %d step %d %s: %v", seed, i+1, c.Describe(), err)
			}
			for _, g := range s.AllowGaps() {
				if !before[gapAccount(g)] {
					t.Fatalf("seed %d: after step %d (%s) %s has no allowing SCP", seed, i+1, c.Describe(), g)
				}
			}
		}
		for k, a := range s.Accounts {
			if desired.Accounts[k] == nil && a.Parent != "Suspended" {
				t.Fatalf("seed %d: account %s is not in the spec but in %q, not Suspended", seed, k, a.Parent)
			}
		}
		if diff := cmp.Diff(summarize(desired, desired), summarize(s, desired)); diff != "" {
			t.Fatalf("seed %d: final state differs from the spec (-spec +after plan):\n%s\nspec:\n%s", seed, diff, text)
		}
		// Planning again from the final state finds nothing to do.
		if again, err := Diff(d, desired, withIDs(s)); err != nil || len(again) != 0 {
			t.Fatalf("seed %d: second plan: %v %v", seed, err, describeAll(again))
		}
	}
	if planned < 100 {
		t.Errorf("only %d of 400 random cases produced a plan", planned)
	}
}

// withIDs gives objects created by a simulated plan ids, as apply would.
func withIDs(s *State) *State {
	s = s.Clone()
	i := 0
	for _, ou := range s.OUs {
		if ou.ID == "" {
			i++
			ou.ID = fmt.Sprintf("ou-new-%d", i)
		}
	}
	for _, p := range s.Policies {
		if p.ID == "" {
			i++
			p.ID = fmt.Sprintf("p-new-%d", i)
		}
	}
	for k, a := range s.Accounts {
		if a.ID == "" {
			i++
			a.ID = fmt.Sprintf("9999999999%02d", i)
			delete(s.Accounts, k)
			s.Accounts[a.ID] = a
			if set, ok := s.Attachments[AccountTarget(k)]; ok {
				s.Attachments[AccountTarget(a.ID)] = set
				delete(s.Attachments, AccountTarget(k))
			}
		}
	}
	return s
}

// summarize renders the governed parts of a state for comparison. Accounts
// outside the spec (moved to Suspended) are compared by placement only.
func summarize(s, spec *State) []string {
	var out []string
	for p := range s.OUs {
		out = append(out, "ou "+p)
	}
	for _, a := range s.Accounts {
		if spec.Accounts[a.Key()] != nil {
			out = append(out, "account "+a.Key()+" in "+a.Parent)
		}
	}
	for t, set := range s.Attachments {
		if strings.HasPrefix(t, "ou:") && s.OUs[t[3:]] == nil {
			continue
		}
		if strings.HasPrefix(t, "account:") && spec.Accounts[t[8:]] == nil {
			continue
		}
		for k := range set {
			out = append(out, "attach "+k+" to "+t)
		}
	}
	for k, p := range s.Policies {
		if p.AWSManaged {
			continue
		}
		out = append(out, "policy "+k+" "+compactJSON(p.Content))
	}
	sort.Strings(out)
	return out
}

func describeAll(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Describe())
	}
	return out
}

func TestPlanRemovedAccountsGoToSuspended(t *testing.T) {
	o := demoOrg(t)
	sp, files, cm, err := Import(o)
	if err != nil {
		t.Fatal(err)
	}
	// Drop the first Workloads/Prod account from the spec.
	prod := &sp.Root.OUs[indexOU(sp.Root.OUs, "Workloads")].OUs[0]
	gone := prod.Accounts[0].ID
	prod.Accounts = prod.Accounts[1:]
	// Declare a new account in Sandbox.
	sb := &sp.Root.OUs[indexOU(sp.Root.OUs, "Sandbox")]
	sb.Accounts = append(sb.Accounts, Account{Name: "sandbox-2", Email: "sandbox-2@acme.example", Tags: map[string]string{"owner": "platform"}})
	d := writeSpec(t, string(Marshal(sp, cm)), files)
	p, err := NewPlan(d, compile(t, d), o, now)
	if err != nil {
		t.Fatal(err)
	}
	got := describeAll(p.Changes)
	want := []string{
		`create account "sandbox-2" <sandbox-2@acme.example> in OU Sandbox`,
		"move account " + gone + " (" + accountName(o, gone) + ") from OU Workloads/Prod to OU Suspended (not in the spec; accounts are never closed)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The same without a Suspended OU is refused, naming the account.
	sp.Root.OUs = append(sp.Root.OUs[:indexOU(sp.Root.OUs, "Suspended")], sp.Root.OUs[indexOU(sp.Root.OUs, "Suspended")+1:]...)
	d = writeSpec(t, string(Marshal(sp, cm)), files)
	_, err = NewPlan(d, compile(t, d), o, now)
	if err == nil || !strings.Contains(err.Error(), gone) || !strings.Contains(err.Error(), `Suspended OU "Suspended", which the spec does not have`) {
		t.Errorf("without Suspended: %v", err)
	}
}

func indexOU(l []OU, name string) int {
	for i, ou := range l {
		if ou.Name == name {
			return i
		}
	}
	panic("no OU " + name)
}

func accountName(o *snapshot.Organization, id string) string {
	for _, a := range o.Accounts {
		if a.ID == id {
			return a.Name
		}
	}
	return ""
}

func TestPlanErrors(t *testing.T) {
	o := demoOrg(t)
	tests := []struct{ spec, want string }{
		{"version: 1\nroot:\n  accounts:\n    - id: \"999999999999\"\n", `org.yaml:4:11: account 999999999999 is not in the organization`},
		{"version: 1\nroot: {}\n", "the management account " + o.ManagementAccount + " is not placed in the spec"},
		{"version: 1\nmanagement_account: \"123456789012\"\nroot: {}\n", "2:21: the organization's management account is " + o.ManagementAccount},
		{"version: 1\nroot:\n  policies: [FullAWSAccess, b]\n  accounts: [{id: \"" + o.ManagementAccount + "\"}]\npolicies:\n  - name: b\n    type: backup\n    content: '{}'\n",
			"6:9: policy type BACKUP_POLICY is not enabled on the organization root"},
	}
	for _, tt := range tests {
		d, err := Parse("org.yaml", []byte(tt.spec))
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewPlan(d, compile(t, d), o, now)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestPlanJSONRoundTrip(t *testing.T) {
	o := demoOrg(t)
	sp, _, _ := Template("aws-multi-account")
	sp.Root.Accounts = []Account{{ID: o.ManagementAccount}, {Name: "new", Email: "new@acme.example"}}
	sb := &sp.Root.OUs[indexOU(sp.Root.OUs, "Security")]
	for _, a := range o.Accounts {
		if a.ID != o.ManagementAccount {
			sb.Accounts = append(sb.Accounts, Account{ID: a.ID})
		}
	}
	d, err := Parse("org.yaml", Marshal(sp, Comments{}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(d, compile(t, d), o, now)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, c := range p.Changes {
		kinds[c.Kind()] = true
	}
	for _, k := range []string{KindCreateOU, KindCreatePolicy, KindAttachPolicy, KindCreateAccount, KindMoveAccount, KindDetachPolicy, KindDeletePolicy} {
		if !kinds[k] {
			t.Errorf("template plan has no %s", k)
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(describeAll(p.Changes), describeAll(back.Changes)); diff != "" || back.BaseFingerprint != Fingerprint(o) {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	var raw struct{ Changes []map[string]any }
	json.Unmarshal(data, &raw)
	for _, c := range raw.Changes {
		for _, k := range []string{"kind", "action", "target", "description", "params"} {
			if _, ok := c[k]; !ok {
				t.Errorf("change JSON lacks %s: %v", k, c)
			}
		}
	}
	if err := json.Unmarshal([]byte(`{"version":1,"changes":[{"kind":"org.format-disk","params":{}}]}`), &back); err == nil || !strings.Contains(err.Error(), `unknown change kind "org.format-disk"`) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	o := demoOrg(t)
	f := Fingerprint(o)
	// Order of lists does not matter.
	o2 := demoOrg(t)
	o2.Accounts[0], o2.Accounts[1] = o2.Accounts[1], o2.Accounts[0]
	o2.Policies[0].Targets[0], o2.Policies[0].Targets[1] = o2.Policies[0].Targets[1], o2.Policies[0].Targets[0]
	if Fingerprint(o2) != f {
		t.Error("fingerprint depends on list order")
	}
	for name, mutate := range map[string]func(o *snapshot.Organization){
		"account moved": func(o *snapshot.Organization) {
			o.Accounts[1].ParentID = map[bool]string{true: o.OUs[1].ID, false: o.OUs[0].ID}[o.Accounts[1].ParentID == o.OUs[0].ID]
		},
		"policy edited":   func(o *snapshot.Organization) { o.Policies[2].Content += " " },
		"policy detached": func(o *snapshot.Organization) { o.Policies[2].Targets = nil },
		"OU renamed":      func(o *snapshot.Organization) { o.OUs[0].Name = "x" },
	} {
		o3 := demoOrg(t)
		mutate(o3)
		if Fingerprint(o3) == f {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
}

func TestLockoutRisks(t *testing.T) {
	o := demoOrg(t)
	base, err := FromSnapshot(o)
	if err != nil {
		t.Fatal(err)
	}
	base.SuspendedOU = "Suspended"
	member := ""
	for _, a := range o.Accounts {
		if a.ID != o.ManagementAccount && base.Accounts[a.ID].Parent != "Suspended" {
			member = a.ID
			break
		}
	}
	from := base.Accounts[member].Parent
	tests := []struct {
		name    string
		changes []Change
		caller  string
		want    []string
	}{
		{"deny-all to root", []Change{&AttachPolicy{PolicyName: "suspended-deny-all", PolicyType: SCP, TargetKey: RootTarget}}, member,
			[]string{"attaches a deny-all SCP to the root (only the exempted principals keep access)"}},
		{"caller to Suspended", []Change{&MoveAccount{AccountID: member, From: from, To: "Suspended"}}, member,
			[]string{"moves the account seiri runs from (" + member + ") into the Suspended OU"}},
		{"other account to Suspended", []Change{&MoveAccount{AccountID: member, From: from, To: "Suspended"}}, o.ManagementAccount, nil},
		{"root loses its allow", []Change{&DetachPolicy{PolicyName: FullAWSAccess, PolicyType: SCP, TargetKey: RootTarget}}, "",
			[]string{"leaves the root without an allowing SCP"}},
		{"deny-leave to root is fine", []Change{&AttachPolicy{PolicyName: "protect-security-services", PolicyType: SCP, TargetKey: RootTarget}}, member, nil},
		{"update into a deny-all", []Change{&UpdatePolicy{Name: "deny-leave-organization", Type: SCP, Content: `{"Statement":{"Effect":"Deny","Action":["*"],"Resource":"*"}}`}}, "",
			[]string{"turns an SCP attached to the root into a deny-all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range LockoutRisks(base, tt.changes, tt.caller) {
				got = append(got, r.Reason)
			}
			for i := range got {
				if i < len(tt.want) && strings.HasPrefix(got[i], tt.want[i]) {
					got[i] = tt.want[i]
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFacts(t *testing.T) {
	tests := []struct {
		doc  string
		want PolicyFacts
	}{
		{allowAll, PolicyFacts{Valid: true, HasAllow: true}},
		{denyLeave, PolicyFacts{Valid: true}},
		{denyAll, PolicyFacts{Valid: true, DenyAll: true, DenyAllExempt: true}},
		{`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, PolicyFacts{Valid: true, DenyAll: true}},
		// Deny-root-user denies everything only to root: not a deny-all.
		{`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:*:iam::*:root"}}}]}`, PolicyFacts{Valid: true}},
		{`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"ec2:RoleDelivery":"2.0"}}}]}`, PolicyFacts{Valid: true}},
		{`{"Statement":[{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}`, PolicyFacts{Valid: true}},
		{`not json`, PolicyFacts{}},
		{`{"Statement":"x"}`, PolicyFacts{}},
	}
	for _, tt := range tests {
		if got := Facts(tt.doc); got != tt.want {
			t.Errorf("Facts(%s) = %+v, want %+v", tt.doc, got, tt.want)
		}
	}
}

func TestUpdateDetails(t *testing.T) {
	u := &UpdatePolicy{Name: "p", Type: SCP,
		OldContent: `{"Statement":[{"Sid":"A","Effect":"Deny","Action":"x:Y","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"x:Z","Resource":"*"}]}`,
		Content:    `{"Statement":[{"Sid":"A","Effect":"Deny","Action":"x:W","Resource":"*"},{"Sid":"C","Effect":"Deny","Action":"x:Z","Resource":"*"}]}`}
	if diff := cmp.Diff([]string{"- statement B", "~ statement A", "+ statement C"}, u.Details()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var b strings.Builder
	WriteText(&b, &Plan{Organization: "o-x", Changes: []Change{u}})
	if !strings.Contains(b.String(), "  ~   1. update SCP \"p\": content 131 → 131 characters\n           - statement B\n") {
		t.Errorf("text:\n%s", b.String())
	}
}
