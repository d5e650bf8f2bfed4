package audit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

func withPasswordPolicy(p *snapshot.PasswordPolicy, summary bool) *snapshot.Account {
	a := account()
	a.PasswordPolicy = p
	if summary {
		a.Summary = map[string]int32{"Users": 0}
	}
	return a
}

// cisPolicy meets CIS 1.8/1.9 and Prowler's password checks.
func cisPolicy() *snapshot.PasswordPolicy {
	return &snapshot.PasswordPolicy{MinimumPasswordLength: 14, PasswordReusePrevention: 24, ExpirePasswords: true, MaxPasswordAge: 90,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, RequireNumbers: true, RequireSymbols: true}
}

func TestPasswordPolicyRules(t *testing.T) {
	runCases(t, PasswordPolicyMissing, []ruleCase{
		{name: "none set", a: withPasswordPolicy(nil, true), want: []string{"Account 111111111111 has no password policy"}},
		{name: "not collected (no account summary)", a: withPasswordPolicy(nil, false)},
		{name: "set", a: withPasswordPolicy(cisPolicy(), true)},
	})
	weak := cisPolicy()
	weak.MinimumPasswordLength, weak.PasswordReusePrevention, weak.RequireSymbols = 8, 0, false
	noExpiry := cisPolicy()
	noExpiry.ExpirePasswords, noExpiry.MaxPasswordAge = false, 0
	runCases(t, PasswordPolicyWeak, []ruleCase{
		{name: "CIS values", a: withPasswordPolicy(cisPolicy(), true)},
		{name: "short, no reuse prevention, no symbols", a: withPasswordPolicy(weak, true), want: []string{"Password policy of 111111111111 misses 3 requirements"}},
		{name: "never expires", a: withPasswordPolicy(noExpiry, true), want: []string{"Password policy of 111111111111 misses 1 requirement"}},
	})
	// Collect warned that the policy could not be read: nothing is said.
	s := snap(withPasswordPolicy(nil, true))
	s.Manifest.Accounts = []snapshot.AccountStatus{{AccountID: acct, Warnings: []string{"password policy not collected (iam GetAccountPasswordPolicy: AccessDenied)"}}}
	if rep := RunWith(s, cfg(), now, Options{Only: []string{PasswordPolicyMissing}}); len(rep.Findings) != 0 {
		t.Errorf("password policy not collected: findings %+v", rep.Findings)
	}
	rep := RunWith(snap(withPasswordPolicy(weak, true)), cfg(), now, Options{Only: []string{PasswordPolicyWeak}})
	want := []string{"MinimumPasswordLength: 8 (want at least 14, CIS 1.8)", "PasswordReusePrevention: 0 (want 24, CIS 1.9)", "RequireSymbols: false (want true)"}
	var got []string
	for _, e := range rep.Findings[0].Evidence {
		got = append(got, e.Name+": "+e.Value)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("evidence (-want +got):\n%s", d)
	}
}

func roleWith(name string, policies ...string) snapshot.Role {
	r := snapshot.Role{ARN: "arn:aws:iam::" + acct + ":role/" + name, RoleName: name, Path: "/"}
	for _, p := range policies {
		r.AttachedPolicies = append(r.AttachedPolicies, snapshot.AttachedPolicy{PolicyARN: p})
	}
	return r
}

func TestSupportRole(t *testing.T) {
	with := account()
	with.Roles = []snapshot.Role{roleWith("support", "arn:aws:iam::aws:policy/AWSSupportAccess")}
	without := account()
	without.Roles = []snapshot.Role{roleWith("app", "arn:aws:iam::aws:policy/ReadOnlyAccess")}
	runCases(t, SupportRoleMissing, []ruleCase{
		{name: "support role", a: with},
		{name: "no support role", a: without, want: []string{"Account 111111111111 has no AWS Support role"}},
		{name: "roles not collected", a: account()},
	})
}

func managed(name, doc string, attachments int32) snapshot.ManagedPolicy {
	return snapshot.ManagedPolicy{ARN: "arn:aws:iam::" + acct + ":policy/" + name, PolicyName: name, Document: json.RawMessage(doc), AttachmentCount: attachments}
}

// Policies from the AWS documentation: AdministratorAccess, PowerUserAccess
// (NotAction iam, organizations, account), and the "allow everything with
// MFA" pattern (IAM User Guide, "AWS: Allows access based on MFA").
const (
	powerUserDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`
	mfaAdminDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	assumeAnyDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"Hop","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	passAnyDoc   = `{"Version":"2012-10-17","Statement":[{"Sid":"Pass","Effect":"Allow","Action":["iam:PassRole","iam:GetRole"],"Resource":"*"}]}`
	passScoped   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`
	adminDenyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
)

func TestPolicyAdminRules(t *testing.T) {
	a := account(user("ops", func(u *snapshot.User) {
		u.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: "everything", Document: json.RawMessage(adminDoc)}, {PolicyName: "mfa-admin", Document: json.RawMessage(mfaAdminDoc)}}
	}))
	a.Policies = []snapshot.ManagedPolicy{
		managed("full", adminDoc, 2), managed("spare-full", adminDoc, 0), managed("power", powerUserDoc, 3),
		managed("mfa-full", mfaAdminDoc, 1), managed("full-but-iam", adminDenyDoc, 1),
		{ARN: "arn:aws:iam::aws:policy/AdministratorAccess", PolicyName: "AdministratorAccess", Document: json.RawMessage(adminDoc), AttachmentCount: 5},
	}
	runCases(t, PolicyAdmin, []ruleCase{{name: "customer managed", a: a, want: []string{"Policy full allows everything (*:*)"}}})
	runCases(t, PolicyAdminUnattached, []ruleCase{{name: "unattached", a: a, want: []string{"Unattached policy spare-full allows everything (*:*)"}}})
	runCases(t, InlinePolicyAdmin, []ruleCase{{name: "inline", a: a, want: []string{"Inline policy everything of user ops allows everything (*:*)"}}})
}

func TestPolicyAssumeAndPass(t *testing.T) {
	a := account()
	a.Roles = []snapshot.Role{{ARN: "arn:aws:iam::" + acct + ":role/ci", RoleName: "ci", Path: "/",
		InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "deploy", Document: json.RawMessage(passAnyDoc)}}}}
	a.Policies = []snapshot.ManagedPolicy{managed("hopper", assumeAnyDoc, 1), managed("scoped-pass", passScoped, 1), managed("idle-hopper", assumeAnyDoc, 0)}
	runCases(t, PolicyAssumeAnyRole, []ruleCase{{name: "assume any", a: a, want: []string{"Policy hopper allows sts:AssumeRole on any role"}}})
	runCases(t, PolicyPassAnyRole, []ruleCase{{name: "pass any", a: a, want: []string{"Inline policy deploy of role ci allows iam:PassRole on any role"}}})
}

func TestUserKeyAtSetup(t *testing.T) {
	created := ago(200, 0)
	setup := func(gap time.Duration, used *time.Time, console bool) *snapshot.Account {
		return account(user("new", func(u *snapshot.User) {
			u.CreateDate = created
			if console {
				u.LoginProfile = &snapshot.LoginProfile{CreateDate: created}
			}
			u.AccessKeys = []snapshot.AccessKey{{AccessKeyID: "AKIASETUP", Status: "Active", CreateDate: created.Add(gap)}}
			if used != nil {
				u.AccessKeys[0].LastUsed = &snapshot.KeyLastUsed{Date: *used}
			}
		}))
	}
	used := ago(1, 0)
	runCases(t, UserKeyAtSetup, []ruleCase{
		{name: "created with the user, never used", a: setup(2*time.Minute, nil, true), want: []string{"Access key AKIASETUP of new was created with the user and never used"}},
		{name: "used", a: setup(2*time.Minute, &used, true)},
		{name: "created later", a: setup(48*time.Hour, nil, true)},
		{name: "no console", a: setup(time.Minute, nil, false)},
	})
}

func TestCloudShellFullAccess(t *testing.T) {
	a := account(user("ops", func(u *snapshot.User) {
		u.AttachedPolicies = []snapshot.AttachedPolicy{{PolicyARN: "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"}}
	}), user("dev"))
	a.Roles = []snapshot.Role{roleWith("support", "arn:aws:iam::aws:policy/AWSSupportAccess")}
	runCases(t, CloudShellFullAccess, []ruleCase{{name: "user", a: a, want: []string{"User ops has AWSCloudShellFullAccess"}}})
}

func TestPolicyFullServiceAccess(t *testing.T) {
	a := account(user("sec", func(u *snapshot.User) {
		u.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: "trail", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"}]}`)}}
	}))
	a.Policies = []snapshot.ManagedPolicy{
		managed("kms-admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`, 1),
		// Key use only: no full control.
		managed("kms-user", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}]}`, 1),
		// Read-only trail access (the AWSCloudTrail_ReadOnlyAccess pattern).
		managed("trail-read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Get*","cloudtrail:Describe*","cloudtrail:List*","cloudtrail:LookupEvents"],"Resource":"*"}]}`, 1),
		// Full access is reported once, as full access.
		managed("full", adminDoc, 1),
	}
	runCases(t, PolicyFullKMS, []ruleCase{{name: "kms", a: a, want: []string{"Policy kms-admin allows full control of KMS keys"}}})
	runCases(t, PolicyFullCloudTrail, []ruleCase{{name: "cloudtrail", a: a, want: []string{"Inline policy trail of user sec allows full control of CloudTrail"}}})
}
