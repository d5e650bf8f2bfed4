package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

const acct = "111111111111"

var now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// ago returns now minus d days and extra.
func ago(days int, extra time.Duration) time.Time {
	return now.Add(-time.Duration(days)*24*time.Hour - extra)
}

func ptr[T any](v T) *T { return &v }

func userARN(name string) string { return "arn:aws:iam::" + acct + ":user/" + name }

func user(name string, mods ...func(*snapshot.User)) snapshot.User {
	u := snapshot.User{ARN: userARN(name), UserName: name, UserID: "AIDA" + strings.ToUpper(name), Path: "/", CreateDate: ago(1000, 0)}
	for _, m := range mods {
		m(&u)
	}
	return u
}

func withKey(id string, created time.Time, lastUsed *time.Time, status string) func(*snapshot.User) {
	return func(u *snapshot.User) {
		k := snapshot.AccessKey{AccessKeyID: id, Status: status, CreateDate: created}
		if lastUsed != nil {
			k.LastUsed = &snapshot.KeyLastUsed{Date: *lastUsed, ServiceName: "s3", Region: "us-east-1"}
		}
		u.AccessKeys = append(u.AccessKeys, k)
	}
}

func withConsole(lastUsed *time.Time) func(*snapshot.User) {
	return func(u *snapshot.User) {
		u.LoginProfile = &snapshot.LoginProfile{CreateDate: ago(10, 0)}
		u.PasswordLastUsed = lastUsed
	}
}

func withMFA(u *snapshot.User) {
	u.MFADevices = []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::" + acct + ":mfa/" + u.UserName, EnableDate: ago(500, 0)}}
}

func account(users ...snapshot.User) *snapshot.Account {
	return &snapshot.Account{AccountID: acct, Users: users}
}

func snap(accts ...*snapshot.Account) *snapshot.Snapshot {
	return &snapshot.Snapshot{Dir: "/ws/snapshots/20250601T000000Z", Accounts: accts}
}

func cfg() config.Audit { return config.Default().Audit }

// fired runs one rule and returns the titles of its findings.
func fired(t *testing.T, rule string, a *snapshot.Account, c config.Audit) []string {
	t.Helper()
	rep := RunWith(snap(a), c, now, Options{Only: []string{rule}})
	titles := []string{}
	for _, f := range rep.Findings {
		if f.RuleID != rule {
			t.Fatalf("rule %s produced a finding of %s", rule, f.RuleID)
		}
		titles = append(titles, f.Title)
	}
	return titles
}

type ruleCase struct {
	name string
	a    *snapshot.Account
	cfg  func(*config.Audit)
	want []string
}

func runCases(t *testing.T, rule string, cases []ruleCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg()
			if tt.cfg != nil {
				tt.cfg(&c)
			}
			got := fired(t, rule, tt.a, c)
			if tt.want == nil {
				tt.want = []string{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserInactive(t *testing.T) {
	runCases(t, UserInactive, []ruleCase{
		{"console used exactly 90 days ago", account(user("a", withConsole(ptr(ago(90, 0))))), nil, nil},
		{"console used 90 days and 1s ago", account(user("a", withConsole(ptr(ago(90, time.Second))))), nil,
			[]string{"User a not active for 90 days"}},
		{"key used recently keeps user active", account(user("a", withConsole(ptr(ago(200, 0))), withKey("AKIA1", ago(300, 0), ptr(ago(5, 0)), "Active"))), nil, nil},
		{"never used, created 90 days ago", account(user("a", func(u *snapshot.User) { u.CreateDate = ago(90, 0) })), nil, nil},
		{"never used, created 91 days ago", account(user("a", func(u *snapshot.User) { u.CreateDate = ago(91, 0) })), nil,
			[]string{"User a never used (created 91 days ago)"}},
		{"threshold from config", account(user("a", withConsole(ptr(ago(40, 0))))), func(c *config.Audit) { c.InactiveUserDays = 30 },
			[]string{"User a not active for 40 days"}},
		{"credential report key use counts", func() *snapshot.Account {
			a := account(user("a", withKey("AKIA1", ago(300, 0), nil, "Active")))
			a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
				r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(300, 0)), LastUsedDate: rt(ago(3, 0))}
			})}}
			return a
		}(), nil, nil},
		{"credential report password use counts", func() *snapshot.Account {
			a := account(user("a", withConsole(nil)))
			a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
				r.PasswordEnabled = credreport.Bool{Value: true}
				r.PasswordLastUsed = rt(ago(120, 0))
			})}}
			return a
		}(), nil, []string{"User a not active for 120 days"}},
	})
}

func rt(t time.Time) credreport.Time { return credreport.Time{Time: t} }

var na = credreport.Time{Missing: credreport.NA}

func reportRow(name string, mods ...func(*credreport.Row)) credreport.Row {
	r := credreport.Row{
		User: name, ARN: userARN(name), UserCreationTime: rt(ago(1000, 0)), Line: 2,
		PasswordEnabled: credreport.Bool{Value: false}, PasswordLastUsed: na, PasswordLastChanged: na, PasswordNextRotation: na,
		AccessKeys: [2]credreport.KeySlot{{LastRotated: na, LastUsedDate: na}, {LastRotated: na, LastUsedDate: na}},
		Certs:      [2]credreport.CertSlot{{LastRotated: na}, {LastRotated: na}},
	}
	for _, m := range mods {
		m(&r)
	}
	return r
}

func TestKeyUnused(t *testing.T) {
	runCases(t, KeyUnused, []ruleCase{
		{"used exactly 90 days ago", account(user("a", withKey("AKIA1", ago(400, 0), ptr(ago(90, 0)), "Active"))), nil, nil},
		{"used 90 days and 1s ago", account(user("a", withKey("AKIA1", ago(400, 0), ptr(ago(90, time.Second)), "Active"))), nil,
			[]string{"Access key AKIA1 of a not used for 90 days"}},
		{"never used, created 90 days ago", account(user("a", withKey("AKIA1", ago(90, 0), nil, "Active"))), nil, nil},
		{"never used, created 91 days ago", account(user("a", withKey("AKIA1", ago(91, 0), nil, "Active"))), nil,
			[]string{"Access key AKIA1 of a never used (created 91 days ago)"}},
		{"inactive key ignored", account(user("a", withKey("AKIA1", ago(400, 0), nil, "Inactive"))), nil, nil},
		{"report slot use (matched) counts", func() *snapshot.Account {
			a := account(user("a", withKey("AKIA1", ago(400, 0), nil, "Active")))
			a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
				r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(400, 0)), LastUsedDate: rt(ago(1, 0))}
			})}}
			return a
		}(), nil, nil},
		{"report slot of another key is not used", func() *snapshot.Account {
			// Slot 1 describes a deleted key created a day earlier: its
			// recent use must not be attributed to AKIA1.
			a := account(user("a", withKey("AKIA1", ago(400, 0), nil, "Active")))
			a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
				r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(401, 0)), LastUsedDate: rt(ago(1, 0))}
			})}}
			return a
		}(), nil, []string{"Access key AKIA1 of a never used (created 400 days ago)"}},
	})
}

func TestKeyOldAndTwoActive(t *testing.T) {
	runCases(t, KeyOld, []ruleCase{
		{"90 days old", account(user("a", withKey("AKIA1", ago(90, 0), ptr(now), "Active"))), nil, nil},
		{"90 days and 1s old", account(user("a", withKey("AKIA1", ago(90, time.Second), ptr(now), "Active"))), nil,
			[]string{"Access key AKIA1 of a is 90 days old"}},
		{"old but inactive", account(user("a", withKey("AKIA1", ago(900, 0), ptr(now), "Inactive"))), nil, nil},
		{"rotation age from config", account(user("a", withKey("AKIA1", ago(31, 0), ptr(now), "Active"))), func(c *config.Audit) { c.KeyRotationDays = 30 },
			[]string{"Access key AKIA1 of a is 31 days old"}},
	})
	runCases(t, KeyTwoActive, []ruleCase{
		{"one active, one inactive", account(user("a", withKey("AKIA1", ago(9, 0), nil, "Active"), withKey("AKIA2", ago(8, 0), nil, "Inactive"))), nil, nil},
		{"two active", account(user("a", withKey("AKIA1", ago(9, 0), nil, "Active"), withKey("AKIA2", ago(8, 0), nil, "Active"))), nil,
			[]string{"User a has 2 active access keys"}},
	})
}

func TestConsoleRules(t *testing.T) {
	runCases(t, UserNoMFA, []ruleCase{
		{"console with MFA", account(user("a", withConsole(nil), withMFA)), nil, nil},
		{"console without MFA", account(user("a", withConsole(nil))), nil, []string{"Console user a has no MFA"}},
		{"no console, no MFA", account(user("a")), nil, nil},
		{"console known from the report only", func() *snapshot.Account {
			a := account(user("a"))
			a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) { r.PasswordEnabled.Value = true })}}
			return a
		}(), nil, []string{"Console user a has no MFA"}},
		{"MFA known from the report only", func() *snapshot.Account {
			a := account(user("a", withConsole(nil)))
			a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) { r.MFAActive = true })}}
			return a
		}(), nil, nil},
	})
	pwChanged := func(days int, extra time.Duration) *snapshot.Account {
		a := account(user("a", withConsole(nil)))
		a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
			r.PasswordEnabled.Value = true
			r.PasswordLastChanged = rt(ago(days, extra))
		})}}
		return a
	}
	withPolicy := func(a *snapshot.Account, maxAge int32) *snapshot.Account {
		a.PasswordPolicy = &snapshot.PasswordPolicy{ExpirePasswords: maxAge > 0, MaxPasswordAge: maxAge}
		return a
	}
	runCases(t, PasswordOld, []ruleCase{
		{"changed 90 days ago", pwChanged(90, 0), nil, nil},
		{"changed 90 days and 1s ago", pwChanged(90, time.Second), nil, []string{"Password of a is 90 days old"}},
		{"policy max age 180 wins", withPolicy(pwChanged(120, 0), 180), nil, nil},
		{"policy max age 60", withPolicy(pwChanged(61, 0), 60), nil, []string{"Password of a is 61 days old"}},
		{"policy without expiry uses config", withPolicy(pwChanged(100, 0), 0), nil, []string{"Password of a is 100 days old"}},
		{"login profile date without report", account(user("a", func(u *snapshot.User) {
			u.LoginProfile = &snapshot.LoginProfile{CreateDate: ago(95, 0)}
		})), nil, []string{"Password of a is 95 days old"}},
	})
	runCases(t, UserConsoleAndKeys, []ruleCase{
		{"console and active key", account(user("a", withConsole(nil), withKey("AKIA1", ago(1, 0), nil, "Active"))), nil,
			[]string{"User a has a console password and active access keys"}},
		{"console and inactive key", account(user("a", withConsole(nil), withKey("AKIA1", ago(1, 0), nil, "Inactive"))), nil, nil},
		{"keys only", account(user("a", withKey("AKIA1", ago(1, 0), nil, "Active"))), nil, nil},
	})
}

func rootRow(mods ...func(*credreport.Row)) credreport.Row {
	r := reportRow("x", mods...)
	r.User, r.ARN = credreport.RootUser, "arn:aws:iam::"+acct+":root"
	r.PasswordEnabled = credreport.Bool{Missing: credreport.NotSupported}
	return r
}

func rootAccount(mods ...func(*credreport.Row)) *snapshot.Account {
	a := account()
	row := rootRow(func(r *credreport.Row) { r.MFAActive = true })
	for _, m := range mods {
		m(&row)
	}
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{row}}
	return a
}

func TestRootRules(t *testing.T) {
	runCases(t, RootKeys, []ruleCase{
		{"no keys", rootAccount(), nil, nil},
		{"active key", rootAccount(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(10, 0)), LastUsedDate: na}
		}), nil, []string{"Root user has access keys"}},
		{"inactive key still present", rootAccount(func(r *credreport.Row) {
			r.AccessKeys[1] = credreport.KeySlot{Active: false, LastRotated: rt(ago(10, 0)), LastUsedDate: na}
		}), nil, []string{"Root user has access keys"}},
		{"summary only", &snapshot.Account{AccountID: acct, Summary: map[string]int32{"AccountAccessKeysPresent": 1}}, nil,
			[]string{"Root user has access keys"}},
		{"summary says none", &snapshot.Account{AccountID: acct, Summary: map[string]int32{"AccountAccessKeysPresent": 0}}, nil, nil},
	})
	runCases(t, RootNoMFA, []ruleCase{
		{"MFA on", rootAccount(), nil, nil},
		{"MFA off", rootAccount(func(r *credreport.Row) { r.MFAActive = false }), nil, []string{"Root user has no MFA"}},
		{"summary MFA off", &snapshot.Account{AccountID: acct, Summary: map[string]int32{"AccountMFAEnabled": 0}}, nil, []string{"Root user has no MFA"}},
		{"nothing known", &snapshot.Account{AccountID: acct}, nil, nil},
	})
	runCases(t, RootUsed, []ruleCase{
		{"never used", rootAccount(), nil, nil},
		{"password used 30 days ago", rootAccount(func(r *credreport.Row) { r.PasswordLastUsed = rt(ago(30, 0)) }), nil,
			[]string{"Root user used in the last 30 days"}},
		{"password used 30 days and 1s ago", rootAccount(func(r *credreport.Row) { r.PasswordLastUsed = rt(ago(30, time.Second)) }), nil, nil},
		{"key used yesterday", rootAccount(func(r *credreport.Row) {
			r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(100, 0)), LastUsedDate: rt(ago(1, 0))}
		}), nil, []string{"Root user used in the last 30 days"}},
	})
}

func TestPolicyAndGroupRules(t *testing.T) {
	runCases(t, UserDirectPolicy, []ruleCase{
		{"none", account(user("a")), nil, nil},
		{"attached", account(user("a", func(u *snapshot.User) {
			u.AttachedPolicies = []snapshot.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
		})), nil, []string{"User a has 1 managed policy attached directly"}},
	})
	runCases(t, UserInlinePolicy, []ruleCase{
		{"none", account(user("a")), nil, nil},
		{"inline", account(user("a", func(u *snapshot.User) {
			u.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: "p", Document: json.RawMessage(`{}`)}}
		})), nil, []string{"User a has 1 inline policy"}},
	})
	groups := func(n int) func(*snapshot.User) {
		return func(u *snapshot.User) {
			for i := 0; i < n; i++ {
				u.Groups = append(u.Groups, "g"+string(rune('a'+i)))
			}
		}
	}
	runCases(t, UserManyGroups, []ruleCase{
		{"7 groups", account(user("a", groups(7))), nil, nil},
		{"8 groups", account(user("a", groups(8))), nil, []string{"User a is in 8 groups (IAM limit: 10)"}},
		{"threshold 10", account(user("a", groups(9))), func(c *config.Audit) { c.GroupsPerUserWarn = 10 }, nil},
	})
	g := func(name string, policies bool) snapshot.Group {
		gr := snapshot.Group{ARN: "arn:aws:iam::" + acct + ":group/" + name, GroupName: name, CreateDate: ago(50, 0)}
		if policies {
			gr.AttachedPolicies = []snapshot.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
		}
		return gr
	}
	a := account(user("a", func(u *snapshot.User) { u.Groups = []string{"devs"} }))
	a.Groups = []snapshot.Group{g("devs", true), g("old", true), g("bare", false)}
	runCases(t, GroupEmpty, []ruleCase{{"members counted", a, nil, []string{"Group bare has no members", "Group old has no members"}}})
	runCases(t, GroupNoPolicy, []ruleCase{{"policies counted", a, nil, []string{"Group bare has no policies"}}})
}

const adminDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func TestMachineUserAdmin(t *testing.T) {
	machine := func(mods ...func(*snapshot.User)) *snapshot.Account {
		a := account(user("ci", append([]func(*snapshot.User){withKey("AKIA1", ago(5, 0), ptr(ago(1, 0)), "Active")}, mods...)...))
		a.Groups = []snapshot.Group{{ARN: "arn:aws:iam::" + acct + ":group/admins", GroupName: "admins",
			AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}}}
		a.Policies = []snapshot.ManagedPolicy{
			{ARN: "arn:aws:iam::" + acct + ":policy/all", PolicyName: "all", Document: json.RawMessage(adminDoc)},
			{ARN: "arn:aws:iam::" + acct + ":policy/s3", PolicyName: "s3", Document: json.RawMessage(`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)},
		}
		return a
	}
	attach := func(name string) func(*snapshot.User) {
		return func(u *snapshot.User) {
			u.AttachedPolicies = append(u.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: name, PolicyARN: "arn:aws:iam::" + acct + ":policy/" + name})
		}
	}
	want := []string{"Machine user ci has administrator access"}
	runCases(t, MachineUserAdmin, []ruleCase{
		{"customer policy Action *", machine(attach("all")), nil, want},
		{"s3 only", machine(attach("s3")), nil, nil},
		{"via group AdministratorAccess", machine(func(u *snapshot.User) { u.Groups = []string{"admins"} }), nil, want},
		{"inline iam:*", machine(func(u *snapshot.User) {
			u.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: "x", Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":["IAM:*"],"Resource":["*"]}]}`)}}
		}), nil, want},
		{"console user is not a machine user", machine(attach("all"), withConsole(nil)), nil, nil},
		{"boundary limits it", machine(attach("all"), func(u *snapshot.User) { u.PermissionsBoundary = "arn:aws:iam::" + acct + ":policy/s3" }), nil, nil},
		{"inactive keys only", func() *snapshot.Account {
			a := machine(attach("all"))
			a.Users[0].AccessKeys[0].Status = "Inactive"
			return a
		}(), nil, nil},
	})
}

func TestEngineAdmin(t *testing.T) {
	s3Boundary := &Policy{Name: "b", Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}
	allBoundary := &Policy{Name: "b", Document: json.RawMessage(adminDoc)}
	tests := []struct {
		name     string
		p        Policy
		boundary *Policy
		want     bool
	}{
		{"boundary caps admin", Policy{Document: json.RawMessage(adminDoc)}, s3Boundary, false},
		{"allow-all boundary keeps admin", Policy{Document: json.RawMessage(adminDoc)}, allBoundary, true},
		{"unreadable boundary", Policy{Document: json.RawMessage(adminDoc)}, &Policy{ARN: "arn:aws:iam::1:policy/gone"}, false},
		{"PowerUserAccess is not admin", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`)}, nil, false},
		{"IAM escalation by wildcards", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":["iam:Attach*","iam:Put*Policy","iam:CreatePolicyVersion","iam:PassRole"],"Resource":"*"}]}`)}, nil, true},
		{"deny on iam beats allow all", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`)}, nil, false},
		{"AdministratorAccess by ARN", Policy{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}, nil, true},
		{"AdministratorAccess in GovCloud", Policy{ARN: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}, nil, true},
		{"customer policy named like it", Policy{ARN: "arn:aws:iam::1:policy/AdministratorAccess"}, nil, false},
		{"Action *", Policy{Document: json.RawMessage(adminDoc)}, nil, true},
		{"Action *:*", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}`)}, nil, true},
		{"single statement object", Policy{Document: json.RawMessage(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}, nil, true},
		{"with condition", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}, nil, false},
		{"Deny", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)}, nil, false},
		{"resource scoped", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}]}`)}, nil, false},
		{"s3:*", Policy{Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}, nil, false},
		{"garbage", Policy{Document: json.RawMessage(`{"Statement":`)}, nil, false},
		{"empty", Policy{}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := EngineAdmin()([]Policy{tt.p}, tt.boundary); got != tt.want {
				t.Errorf("EngineAdmin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRoleUnused(t *testing.T) {
	role := func(name, path string, created time.Time, last *time.Time) *snapshot.Account {
		ro := snapshot.Role{ARN: "arn:aws:iam::" + acct + ":role" + path + name, RoleName: name, Path: path, CreateDate: created}
		if last != nil {
			ro.LastUsed = &snapshot.RoleLastUsed{Date: *last, Region: "eu-west-1"}
		}
		return &snapshot.Account{AccountID: acct, Roles: []snapshot.Role{ro}}
	}
	runCases(t, RoleUnused, []ruleCase{
		{"used 90 days ago", role("r", "/", ago(500, 0), ptr(ago(90, 0))), nil, nil},
		{"used 90 days and 1s ago", role("r", "/", ago(500, 0), ptr(ago(90, time.Second))), nil, []string{"Role r not used for 90 days"}},
		{"never used, new", role("r", "/", ago(90, 0), nil), nil, nil},
		{"never used, old", role("r", "/", ago(91, 0), nil), nil, []string{"Role r never used (created 91 days ago)"}},
		{"service-linked skipped", role("AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/", ago(900, 0), nil), nil, nil},
	})
}

func TestServiceUnused(t *testing.T) {
	withAA := func(collected bool, created time.Time, aa ...snapshot.ServiceAccess) *snapshot.Account {
		a := account(user("a", func(u *snapshot.User) { u.CreateDate = created; u.AccessAdvisor = aa }))
		a.AccessAdvisorCollected = collected
		return a
	}
	s3 := snapshot.ServiceAccess{ServiceNamespace: "s3", LastAuthenticated: ptr(ago(1, 0))}
	ec2Old := snapshot.ServiceAccess{ServiceNamespace: "ec2", LastAuthenticated: ptr(ago(90, time.Second))}
	ec2Edge := snapshot.ServiceAccess{ServiceNamespace: "ec2", LastAuthenticated: ptr(ago(90, 0))}
	never := snapshot.ServiceAccess{ServiceNamespace: "iam"}
	runCases(t, ServiceUnused, []ruleCase{
		{"all used", withAA(true, ago(400, 0), s3, ec2Edge), nil, nil},
		{"one old, one never", withAA(true, ago(400, 0), s3, ec2Old, never), nil, []string{"User a has 2 of 3 granted services not accessed in 90 days"}},
		{"not collected", withAA(false, ago(400, 0), never), nil, nil},
		{"principal too new", withAA(true, ago(10, 0), never), nil, nil},
	})
}

func TestCredReportUnmatched(t *testing.T) {
	a := account(user("a", withKey("AKIA1", ago(10, 0), nil, "Active")))
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
		r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(11, 0)), LastUsedDate: na}
	})}}
	rep := RunWith(snap(a), cfg(), now, Options{Only: []string{CredReportUnmatched}})
	want := []finding.Finding{{
		RuleID: CredReportUnmatched, Severity: finding.Info, Account: acct, Resource: userARN("a"),
		Title: "Credential report key slots of a do not match its access keys",
		Evidence: []finding.Evidence{
			{Name: "access_key_1 (credential report, line 2)", Value: "no key was created at 2025-05-21T00:00:00Z (deleted or rotated since the report?)"},
			{Name: "access key AKIA1", Value: "no report slot was rotated at its creation time 2025-05-22T00:00:00Z (key created after the report?)"},
		},
		Recommendation: mustRule(CredReportUnmatched).Recommendation,
	}}
	if diff := cmp.Diff(want, rep.Findings); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Rows of a stored snapshot carry no CSV line: the evidence names the
// row's user, never "line 0".
func TestCredReportUnmatchedWithoutLine(t *testing.T) {
	a := account(user("a", withKey("AKIA1", ago(10, 0), nil, "Active")))
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
		r.Line = 0
		r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(11, 0)), LastUsedDate: na}
	})}}
	rep := RunWith(snap(a), cfg(), now, Options{Only: []string{CredReportUnmatched}})
	if len(rep.Findings) != 1 || rep.Findings[0].Evidence[0].Name != `access_key_1 (credential report, row of user "a")` {
		t.Errorf("findings %+v", rep.Findings)
	}
}

func TestRecreatedUserRowIgnored(t *testing.T) {
	// alice was deleted and re-created after the report: the old row's
	// recent key use must not keep the new alice's key "used".
	a := account(user("alice", func(u *snapshot.User) { u.CreateDate = ago(200, 0) }, withKey("AKIANEW", ago(200, 0), nil, "Active")))
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("alice", func(r *credreport.Row) {
		r.UserCreationTime = rt(ago(900, 0))
		r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(200, 0)), LastUsedDate: rt(ago(1, 0))}
	})}}
	rep := RunWith(snap(a), cfg(), now, Options{Only: []string{KeyUnused, CredReportUnmatched}})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.RuleID+": "+f.Title)
	}
	want := []string{
		"SEIRI-KEY-UNUSED: Access key AKIANEW of alice never used (created 200 days ago)",
		"SEIRI-CREDREPORT-UNMATCHED: Credential report row of alice describes another user",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestKeyCreatedAfterReportIsExpected(t *testing.T) {
	a := account(user("a", withKey("AKIA1", ago(400, 0), nil, "Active"), withKey("AKIA2", ago(0, time.Hour), nil, "Active")))
	a.CredentialReport = &credreport.Report{GeneratedTime: ago(0, 3*time.Hour), Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
		r.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(ago(400, 0)), LastUsedDate: na}
	})}}
	if got := fired(t, CredReportUnmatched, a, cfg()); len(got) != 0 {
		t.Errorf("findings = %q, want none", got)
	}
	a.CredentialReport.GeneratedTime = time.Time{} // unknown: reported
	if got := fired(t, CredReportUnmatched, a, cfg()); len(got) != 1 {
		t.Errorf("findings = %q, want one", got)
	}
}

func mustRule(id string) finding.Rule {
	r, ok := Lookup(id)
	if !ok {
		panic(id)
	}
	return r
}

// TestKeyUnusedEvidence checks that evidence names both sources and gives
// RFC 3339 dates with their age.
func TestKeyUnusedEvidence(t *testing.T) {
	a := account(user("a", withKey("AKIA1", ago(400, 0), ptr(ago(200, 0)), "Active")))
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{reportRow("a", func(r *credreport.Row) {
		r.AccessKeys[1] = credreport.KeySlot{Active: true, LastRotated: rt(ago(400, 0)), LastUsedDate: rt(ago(150, 0))}
		r.Line = 7
	})}}
	rep := RunWith(snap(a), cfg(), now, Options{Only: []string{KeyUnused}})
	if len(rep.Findings) != 1 {
		t.Fatalf("findings = %+v", rep.Findings)
	}
	f := rep.Findings[0]
	want := []finding.Evidence{
		{Name: "access_key_id", Value: "AKIA1"},
		{Name: "status", Value: "Active"},
		{Name: "created", Value: "2024-04-27T00:00:00Z (400 days ago)"},
		{Name: "last_used (GetAccessKeyLastUsed)", Value: "2024-11-13T00:00:00Z (200 days ago) s3 in us-east-1"},
		{Name: "access_key_2_last_used_date (credential report, line 7)", Value: "2025-01-02T00:00:00Z (150 days ago)"},
		{Name: "last call (CloudTrail)", Value: "no logs scanned for this account"},
		{Name: "threshold", Value: "90 days"},
	}
	if diff := cmp.Diff(want, f.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if f.Title != "Access key AKIA1 of a not used for 150 days" || f.Severity != finding.Medium || f.Account != acct || f.Resource != userARN("a") {
		t.Errorf("finding = %+v", f)
	}
}

func TestDisabledAndOrder(t *testing.T) {
	a := account(
		user("b", withConsole(nil), withKey("AKIA2", ago(400, 0), nil, "Active")),
		user("a", withConsole(nil)),
	)
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{rootRow()}}
	c := cfg()
	c.Disabled = []string{UserInactive, PasswordOld}
	rep := Run(snap(a), c, now)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Severity.String()+" "+f.RuleID+" "+f.Resource)
	}
	want := []string{
		"critical SEIRI-ROOT-NO-MFA arn:aws:iam::111111111111:root",
		"high SEIRI-USER-NO-MFA arn:aws:iam::111111111111:user/a",
		"high SEIRI-USER-NO-MFA arn:aws:iam::111111111111:user/b",
		"medium SEIRI-KEY-UNUSED arn:aws:iam::111111111111:user/b",
		"medium SEIRI-KEY-OLD arn:aws:iam::111111111111:user/b",
		"medium SEIRI-USER-CONSOLE-AND-KEYS arn:aws:iam::111111111111:user/b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, r := range rep.Rules {
		if r.ID == UserInactive || r.ID == PasswordOld {
			t.Errorf("disabled rule %s listed", r.ID)
		}
	}
	if len(rep.Rules) != len(Rules())-2 || rep.Snapshot != "20250601T000000Z" || rep.Tool != "seiri" {
		t.Errorf("report header = %d rules, %q, %q", len(rep.Rules), rep.Snapshot, rep.Tool)
	}
}

func TestRulesRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || !strings.HasPrefix(r.ID, "SEIRI-") || r.Title == "" || r.Description == "" || r.Recommendation == "" || len(r.Tags) == 0 {
			t.Errorf("bad rule %+v", r)
		}
		seen[r.ID] = true
	}
	if got := UnknownRules([]string{KeyOld, "SEIRI-NOPE"}); !cmp.Equal(got, []string{"SEIRI-NOPE"}) {
		t.Errorf("UnknownRules = %v", got)
	}
}

func TestEmptySnapshot(t *testing.T) {
	rep := Run(&snapshot.Snapshot{}, cfg(), now)
	if rep.Findings == nil || len(rep.Findings) != 0 {
		t.Errorf("findings = %#v", rep.Findings)
	}
}
