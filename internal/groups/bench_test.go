package groups_test

import (
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/groups"
)

// BenchmarkAnalyzeDemoOrg analyses and plans every account of the demo
// organization (125 users) with a fresh engine each time: the cost of a
// `seiri groups plan` run.
func BenchmarkAnalyzeDemoOrg(b *testing.B) {
	f := demotest.Scanned(b, demoNow)
	org, used := f.Org, usedByPrincipal(f.Rows)
	b.ReportAllocs()
	for b.Loop() {
		eng := groups.NewEngine(catalog.Embedded())
		opt := groups.Options{Effective: eng.Effective, Used: used}
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
// catalog action through the engine.
func BenchmarkEffectiveAdmin(b *testing.B) {
	g := &groups.Grants{Principal: "arn:aws:iam::123456789012:user/a", UserName: "a",
		Identity: []groups.Doc{{Name: "admin", JSON: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}}
	b.ReportAllocs()
	for b.Loop() {
		eng := groups.NewEngine(catalog.Embedded())
		if s, err := eng.Effective(g); err != nil || len(s) < 10000 {
			b.Fatal(len(s), err)
		}
	}
}
