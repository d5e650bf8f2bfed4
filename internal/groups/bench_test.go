package groups_test

import (
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// BenchmarkAnalyzeDemoOrg analyses and plans every account of the demo
// organization (125 users) with a fresh judge (leastpriv's model of the
// demo snapshot, its SCPs included) each time: the cost of a `seiri groups
// plan` run.
func BenchmarkAnalyzeDemoOrg(b *testing.B) {
	f := demotest.Scanned(b, demoNow)
	org, used := f.Org, usedByPrincipal(f.Rows)
	b.ReportAllocs()
	for b.Loop() {
		m := leastpriv.NewModel(f.Snap, catalog.Embedded())
		m.Now = demoNow
		opt := groups.Options{Effective: groups.Judge(m), Used: used}
		for _, a := range org.Accounts {
			an, err := groups.Analyze(groups.NewModel(a), opt)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := groups.Propose(an, groups.PlanOptions{Options: opt}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEffectiveAdmin is one uncached AdministratorAccess user: every
// catalog action through the judge.
func BenchmarkEffectiveAdmin(b *testing.B) {
	g := &groups.Grants{Principal: "arn:aws:iam::123456789012:user/a", UserName: "a",
		Identity: []groups.Doc{{Name: "admin", JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}}
	b.ReportAllocs()
	for b.Loop() {
		eff := groups.Judge(leastpriv.NewModel(&snapshot.Snapshot{}, catalog.Embedded()))
		if s, err := eff(g); err != nil || len(s) < 10000 {
			b.Fatal(len(s), err)
		}
	}
}
