package org

import (
	"fmt"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// bigOrg generates an organization at AWS's limits: 2,000 OUs five levels
// deep, nAccounts accounts, 100 SCPs attached here and there.
func bigOrg(nAccounts int) *snapshot.Organization {
	o := &snapshot.Organization{ID: "o-big", ManagementAccount: "100000000000", Roots: []snapshot.Root{{ID: "r-big"}}}
	parents := []string{"r-big"}
	for i := 0; len(o.OUs) < 2000; i++ {
		parent := parents[i%len(parents)]
		id := fmt.Sprintf("ou-big-%05d", i)
		o.OUs = append(o.OUs, snapshot.OU{ID: id, Name: fmt.Sprintf("ou%d", i), ParentID: parent})
		if strings.Count(id, "") > 0 && depthOf(o, id) < 5 {
			parents = append(parents, id)
		}
	}
	all := []string{"r-big"}
	for _, ou := range o.OUs {
		all = append(all, ou.ID)
	}
	for i := 0; i < nAccounts; i++ {
		id := fmt.Sprintf("%012d", 100000000000+i)
		o.Accounts = append(o.Accounts, snapshot.OrgAccount{ID: id, Name: fmt.Sprintf("acct-%d", i), Email: fmt.Sprintf("a%d@big.example", i),
			Status: "ACTIVE", ParentID: o.OUs[(i*7)%len(o.OUs)].ID})
		all = append(all, id)
	}
	o.Policies = append(o.Policies, snapshot.OrgPolicy{ID: "p-FullAWSAccess", Name: FullAWSAccess, Type: string(SCP), AWSManaged: true, Content: allowAll, Targets: all})
	for i := 0; i < 100; i++ {
		p := snapshot.OrgPolicy{ID: fmt.Sprintf("p-big-%03d", i), Name: fmt.Sprintf("scp-%d", i), Type: string(SCP), Content: denyLeave}
		for j := i; j < len(o.OUs); j += 100 {
			p.Targets = append(p.Targets, o.OUs[j].ID)
		}
		o.Policies = append(o.Policies, p)
	}
	return o
}

func depthOf(o *snapshot.Organization, id string) int {
	d := 0
	for id != "r-big" {
		for _, ou := range o.OUs {
			if ou.ID == id {
				id = ou.ParentID
				break
			}
		}
		d++
	}
	return d
}

func benchSpec(b *testing.B, o *snapshot.Organization) ([]byte, Options) {
	b.Helper()
	sp, files, cm, err := Import(o)
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{ReadFile: func(p string) ([]byte, error) {
		for name, data := range files {
			if strings.HasSuffix(p, name) {
				return data, nil
			}
		}
		return nil, fmt.Errorf("no %s", p)
	}}
	return Marshal(sp, cm), opt
}

// BenchmarkValidate: parse and validate the spec of a 2,000-OU, 5,000-account organization.
func BenchmarkValidate(b *testing.B) {
	o := bigOrg(benchAccounts)
	text, opt := benchSpec(b, o)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := Parse("org.yaml", text)
		if err != nil {
			b.Fatal(err)
		}
		if _, ps := Compile(d, opt); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}

// BenchmarkPlan: diff that spec, edited to move 500 accounts and detach 20
// policies, against the organization, with the step-by-step safety check.
func BenchmarkPlan(b *testing.B) {
	o := bigOrg(benchAccounts)
	text, opt := benchSpec(b, o)
	d, err := Parse("org.yaml", text)
	if err != nil {
		b.Fatal(err)
	}
	// Move 500 accounts to the root and drop 20 attachments.
	var moved []Account
	var walk func(l []OU)
	walk = func(l []OU) {
		for i := range l {
			if len(moved) < 500 && len(l[i].Accounts) > 0 {
				moved = append(moved, l[i].Accounts...)
				l[i].Accounts = nil
			}
			if len(l[i].Policies) > 1 && len(moved) < 500 {
				l[i].Policies = l[i].Policies[:1]
			}
			walk(l[i].OUs)
		}
	}
	walk(d.Spec.Root.OUs)
	d.Spec.Root.Accounts = append(d.Spec.Root.Accounts, moved...)
	desired, ps := Compile(d, opt)
	if len(ps) > 0 {
		b.Fatal(ps)
	}
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		p, err := NewPlan(d, desired, o, now)
		if err != nil {
			b.Fatal(err)
		}
		n = len(p.Changes)
	}
	b.ReportMetric(float64(n), "changes")
}

var benchAccounts = 5000
