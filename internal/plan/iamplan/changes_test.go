package iamplan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/plan"
)

// Every kind survives Wrap → JSON plan file → Decode, as the same struct.
func TestWrapDecodeEveryKind(t *testing.T) {
	h := Header{Account: "111122223333", User: "u", UserScope: true}
	all := []Change{
		&UpdateAccessKey{Header: h, Status: "Inactive"}, &DeleteAccessKey{Header: h, Before: "Inactive"},
		&TagUser{Header: h, Key: "k", Value: "v", SameState: true}, &UntagUser{Header: h, Key: "k"},
		&CreatePolicy{Header: h, PolicyARN: "arn", Name: "n", Path: "/p/", Document: "{}"}, &AttachUserPolicy{Header: h, PolicyARN: "arn"},
		&DetachUserPolicy{Header: h, PolicyARN: "arn"}, &PutUserPolicy{Header: h, PolicyName: "i", Document: "{}"},
		&DeleteUserPolicy{Header: h, PolicyName: "i"}, &AddUserToGroup{Header: h, GroupName: "g"}, &RemoveUserFromGroup{Header: h, GroupName: "g"},
		&DeleteLoginProfile{Header: h}, &DeactivateMFADevice{Header: h, SerialNumber: "s"}, &DeleteUserBoundary{Header: h, PolicyARN: "b"},
		&DeleteSigningCert{Header: h, CertificateID: "c"}, &DeleteSSHPublicKey{Header: h, SSHPublicKeyID: "s"},
		&DeleteServiceCred{Header: h, CredentialID: "x"}, &DeleteUser{Header: h, Before: "AIDA1"},
		&CreateUser{Header: h, Path: "/", Tags: map[string]string{"a": "b"}}, &CreateGroup{Header: h, GroupName: "g"},
		&AttachGroupPolicy{Header: h, GroupName: "g", PolicyARN: "arn"},
	}
	var cs []plan.Change
	kinds := map[string]bool{}
	for _, c := range all {
		if kinds[c.Kind()] {
			t.Errorf("kind %s twice", c.Kind())
		}
		kinds[c.Kind()] = true
		cs = append(cs, Wrap(c, "target", "describe "+c.Kind()))
	}
	p := plan.New("test", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "base", cs)
	path := t.TempDir() + "/p.json"
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := plan.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, pc := range back.Changes {
		got, err := Decode(pc)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(all[i], got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", pc.Kind, diff)
		}
		if pc.Op != all[i].Op() {
			t.Errorf("%s: op %s", pc.Kind, pc.Op)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	c := Wrap(&DeleteUser{Header: Header{Account: "111122223333", User: "u"}}, "t", "d")
	c.Account = "999999999999"
	if _, err := Decode(c); err == nil || !strings.Contains(err.Error(), "parameters name account") {
		t.Errorf("account mismatch: %v", err)
	}
	c.Kind = "iam:DeleteEverything"
	if _, err := Decode(c); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("unknown kind: %v", err)
	}
}
