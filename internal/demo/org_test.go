package demo

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func TestDeterministic(t *testing.T) {
	a, _ := json.Marshal(Generate(now, Seed))
	b, _ := json.Marshal(Generate(now, Seed))
	if string(a) != string(b) {
		t.Fatal("same seed and clock gave different organizations")
	}
	c, _ := json.Marshal(Generate(now, Seed+1))
	if string(a) == string(c) {
		t.Fatal("different seeds gave the same organization")
	}
}

func TestShape(t *testing.T) {
	o := Generate(now, Seed)
	if len(o.Accounts) != 6 {
		t.Errorf("%d accounts, want 6", len(o.Accounts))
	}
	users, keys, never, inactive := 0, 0, 0, 0
	groupsOf := map[string]int{}
	for _, a := range o.Accounts {
		groups := map[string]bool{}
		for _, g := range a.Groups {
			groups[g.GroupName] = true
		}
		policies := map[string]bool{}
		for _, p := range a.Policies {
			policies[p.ARN] = true
			var d map[string]any
			if err := json.Unmarshal(p.Document, &d); err != nil {
				t.Errorf("%s: policy %s: %v", a.AccountID, p.PolicyName, err)
			}
		}
		for _, u := range a.Users {
			users++
			groupsOf[u.UserName] = len(u.Groups)
			for _, gn := range u.Groups {
				if !groups[gn] {
					t.Errorf("%s: user %s in unknown group %s", a.AccountID, u.UserName, gn)
				}
			}
			for _, p := range u.AttachedPolicies {
				if !policies[p.PolicyARN] {
					t.Errorf("%s: user %s: policy %s not in the account's policies", a.AccountID, u.UserName, p.PolicyARN)
				}
			}
			for _, k := range u.AccessKeys {
				keys++
				if k.LastUsed == nil {
					never++
				} else if now.Sub(k.LastUsed.Date) > 90*24*time.Hour {
					inactive++
				}
				if k.CreateDate.Before(u.CreateDate) {
					t.Errorf("key %s created before its user", k.AccessKeyID)
				}
			}
		}
		if a.CredentialReport == nil || len(a.CredentialReport.Rows) != len(a.Users)+1 || a.CredentialReport.Root() == nil {
			t.Errorf("%s: credential report does not match users", a.AccountID)
		}
	}
	if users < 100 {
		t.Errorf("%d users, want 100+", users)
	}
	if never == 0 || inactive == 0 || keys-never-inactive == 0 {
		t.Errorf("keys: %d never used, %d unused 90d, %d in use: want some of each", never, inactive, keys-never-inactive)
	}
	if groupsOf["maria.schneider"] != 9 {
		t.Errorf("maria.schneider in %d groups, want 9 (near the limit of 10)", groupsOf["maria.schneider"])
	}
	if o.Organization.ManagementAccount != ManagementAccount || len(o.Organization.OUs) < 5 {
		t.Errorf("organization: %+v", o.Organization)
	}
	for _, a := range o.Organization.Accounts {
		found := a.ParentID == rootID
		for _, ou := range o.Organization.OUs {
			found = found || ou.ID == a.ParentID
		}
		if !found {
			t.Errorf("account %s has unknown parent %s", a.ID, a.ParentID)
		}
	}
}

func TestWriteSnapshot(t *testing.T) {
	o := Generate(now, Seed)
	dir := filepath.Join(t.TempDir(), "snapshots")
	p, err := o.WriteSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapshot.Load(dir, snapshot.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != p || s.Manifest.Source != "demo" || len(s.Accounts) != 6 || s.Organization == nil {
		t.Fatalf("loaded %s: %+v", s.Dir, s.Manifest)
	}
	want, _ := json.Marshal(o.Accounts[0])
	got, _ := json.Marshal(s.Accounts[0])
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("round trip changed the account (-want +got):\n%s", diff)
	}
}
