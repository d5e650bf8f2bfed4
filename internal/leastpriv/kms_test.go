package leastpriv

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Key policies from the AWS KMS Developer Guide, "Default key policy":
// the statement that "allows the AWS account ... to use IAM policies"
// (Principal the account's root, kms:*), and the console's key-users
// statement naming a role, without the account statement — then IAM
// policies alone give no access ("Unless the key policy explicitly allows
// it, you cannot use IAM policies to allow access to a KMS key").
const (
	kmsAcct    = "111122223333"
	kmsOther   = "444455556666" // key policies not collected
	keyDefault = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyUsers   = "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
	keyOther   = "arn:aws:kms:us-west-2:444455556666:key/1a2b3c4d-5e6f-1a2b-3c4d-5e6f1a2b3c4d"
	aliasARN   = "arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias"

	defaultKeyPolicy = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",
"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	keyUsersPolicy = `{"Version":"2012-10-17","Id":"key-consolepolicy-3","Statement":[{"Sid":"Allow use of the key","Effect":"Allow",
"Principal":{"AWS":"arn:aws:iam::111122223333:role/ExampleRole"},
"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}]}`
)

func kmsSnapshot() *snapshot.Snapshot {
	allow := func(res ...string) []snapshot.InlinePolicy {
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Action": []string{"kms:Decrypt", "kms:Encrypt"}, "Resource": res}}})
		return []snapshot.InlinePolicy{{PolicyName: "kms", Document: b}}
	}
	user := func(acct, name string, res ...string) snapshot.User {
		return snapshot.User{ARN: "arn:aws:iam::" + acct + ":user/" + name, UserName: name, Path: "/", InlinePolicies: allow(res...)}
	}
	a := &snapshot.Account{AccountID: kmsAcct, Users: []snapshot.User{
		user(kmsAcct, "on-default-key", keyDefault),
		user(kmsAcct, "on-users-key", keyUsers),
		user(kmsAcct, "on-any-key", "*"),
		user(kmsAcct, "on-other-key", keyOther),
		user(kmsAcct, "on-alias", aliasARN),
	}, Roles: []snapshot.Role{{ARN: "arn:aws:iam::111122223333:role/ExampleRole", RoleName: "ExampleRole", Path: "/",
		InlinePolicies: allow(keyUsers)}},
		ResourcePolicies: &snapshot.ResourcePolicies{Regions: []string{"us-west-2"},
			Scopes: []snapshot.CollectScope{{Service: snapshot.ResourceKMSKey, Region: "us-west-2"}},
			Items: []snapshot.ResourcePolicy{
				{Type: snapshot.ResourceKMSKey, ARN: keyDefault, Region: "us-west-2", Policy: json.RawMessage(defaultKeyPolicy), KeyManager: "CUSTOMER"},
				{Type: snapshot.ResourceKMSKey, ARN: keyUsers, Region: "us-west-2", Policy: json.RawMessage(keyUsersPolicy), KeyManager: "CUSTOMER"},
			}}}
	b := &snapshot.Account{AccountID: kmsOther, Users: []snapshot.User{user(kmsOther, "uncollected", "*")}}
	return &snapshot.Snapshot{Accounts: []*snapshot.Account{a, b}}
}

// Grants on KMS keys follow the key policy where it was collected and are
// undetermined where it was not; an alias is not a key.
func TestKMSGrantsFollowKeyPolicies(t *testing.T) {
	m := NewModel(kmsSnapshot(), catalog.Default())
	type got struct {
		Granted      bool
		Undetermined string
		Resources    []string
	}
	want := map[string]got{
		// Default key policy: IAM policies decide.
		"user/on-default-key": {true, "", []string{keyDefault}},
		// Key users policy names only ExampleRole: the user's IAM policy is not enough.
		"user/on-users-key": {false, "", nil},
		// "*": the collected keys decide; the default-policy key allows.
		"user/on-any-key": {true, "", []string{"*"}},
		// A key seiri has no policy for.
		"user/on-other-key": {true, KeyPolicyNotCollected, []string{keyOther}},
		// An account whose key policies were not collected.
		"user/uncollected": {true, KeyPolicyNotCollected, []string{"*"}},
		// An alias ARN is not a key: the identity policy decides.
		"user/on-alias": {true, "", []string{aliasARN}},
		// The key policy names the role: allowed.
		"role/ExampleRole": {true, "", []string{keyUsers}},
	}
	for suffix, w := range want {
		var p *Principal
		for _, q := range m.Principals {
			if len(q.ARN) > len(suffix) && q.ARN[len(q.ARN)-len(suffix):] == suffix {
				p = q
			}
		}
		if p == nil {
			t.Fatalf("no principal %s", suffix)
		}
		gr, ok := m.Granted(p).Get("kms:Decrypt")
		if d := cmp.Diff(w, got{ok, gr.Undetermined, gr.Resources}); d != "" {
			t.Errorf("%s kms:Decrypt (-want +got):\n%s", suffix, d)
		}
	}
}

// unused says "undetermined" for an unused action on a key whose policy was
// not collected, never "unused"; policy generate's proof names the call as
// undetermined, never covered.
func TestKMSUndeterminedInUnusedAndProof(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	m := NewModel(kmsSnapshot(), catalog.Default())
	m.Now = now
	rows := []usage.Row{
		{Key: usage.Key{Account: kmsAcct, Principal: "arn:aws:iam::111122223333:user/on-other-key", PrincipalType: "IAMUser", Action: "kms:Encrypt", Resource: keyOther},
			FirstSeen: now.AddDate(0, 0, -40), LastSeen: now.AddDate(0, 0, -1), Count: 3, Authz: true},
		{Key: usage.Key{Account: kmsAcct, Principal: "arn:aws:iam::111122223333:user/on-default-key", PrincipalType: "IAMUser", Action: "kms:Encrypt", Resource: keyDefault},
			FirstSeen: now.AddDate(0, 0, -40), LastSeen: now.AddDate(0, 0, -1), Count: 3, Authz: true},
	}
	an := NewAnalysis(m, m.Attribute(Slice(rows), NewWindow(now, 90, now.AddDate(0, 0, -95), now), true))
	for _, tc := range []struct {
		user, conf string
	}{{"on-other-key", ConfUndetermined}, {"on-default-key", ConfUnused}} {
		p := m.Lookup("arn:aws:iam::111122223333:user/" + tc.user)
		r := an.Unused(p, true)
		v, ok := verdictOf(r, "kms:Decrypt")
		if !ok || v.Confidence != tc.conf {
			t.Errorf("%s: kms:Decrypt verdict %+v (found %v), want confidence %s", tc.user, v, ok, tc.conf)
		}
		if tc.conf == ConfUndetermined && v.Why != KeyPolicyNotCollected {
			t.Errorf("%s: why %q", tc.user, v.Why)
		}
		g, err := an.Generate(p, GenerateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		switch tc.conf {
		case ConfUndetermined:
			if g.Proof.Covered != 0 || len(g.Proof.Undetermined) != 1 || len(g.Proof.Uncovered) != 0 {
				t.Errorf("%s: proof %s", tc.user, g.Proof)
			}
			if want := "covers 0/1 observed calls; 1 call on KMS keys undetermined (key policy not collected)"; g.Proof.String() != want {
				t.Errorf("proof %q, want %q", g.Proof, want)
			}
		default:
			if g.Proof.Covered != 1 || g.Proof.Total != 1 {
				t.Errorf("%s: proof %s", tc.user, g.Proof)
			}
		}
	}
}
