package leastpriv

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/usage"
)

// demoNow is the fixed clock of the demo tests.
var demoNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// demoDays is how many days of logs the demo fixture generates.
const demoDays = 100

// eventFor turns a demo persona's use (IAM action on an ARN) into the
// CloudTrail event the generator writes, the inverse of the trail mapping
// for the actions the demo uses.
func eventFor(action, resource string) (gen.Activity, bool) {
	svc, name, _ := strings.Cut(action, ":")
	if action == "iam:PassRole" {
		return gen.Activity{}, false // never an event of its own
	}
	source := svc
	switch svc {
	case "cloudwatch":
		source = "monitoring"
	}
	switch action {
	case "s3:ListBucket":
		name = "ListObjectsV2"
	}
	region := "eu-west-1"
	var res []string
	if resource != "*" && resource != "" {
		parts := strings.SplitN(resource, ":", 6)
		if len(parts) == 6 && parts[3] != "" {
			region = parts[3]
		}
		r := resource
		switch svc {
		case "s3":
			r = strings.TrimPrefix(resource, "arn:aws:s3:::")
		case "dynamodb":
			r = resource[strings.LastIndex(resource, "table/")+len("table/"):]
		case "sqs", "sns":
			r = resource[strings.LastIndexByte(resource, ':')+1:]
		case "iam", "ecr":
			r = resource[strings.LastIndexByte(resource, '/')+1:]
		}
		res = []string{r}
	}
	return gen.Activity{EventSource: source + ".amazonaws.com", EventName: name, Region: region, Resources: res, PerHour: 0.01}, true
}

// demoSpec is a CloudTrail corpus for the demo organization: its active
// personas, an ECS task role, an Identity Center session (ReadOnly) and a
// service-linked role.
func demoSpec(o *demo.Org) gen.Spec {
	start := demoNow.Add(-demoDays * 24 * time.Hour)
	spec := gen.Spec{Seed: 7, OrgID: demo.OrgID, Start: start, End: demoNow, Parallel: 2}
	for _, p := range o.Personas {
		if p.LastActive == nil || p.LastActive.Before(start) || len(p.Uses) == 0 {
			continue
		}
		gp := gen.Principal{Type: gen.IAMUser, Account: p.Account, Name: p.UserName}
		for _, u := range p.Uses {
			if a, ok := eventFor(u.Action, u.Resource); ok {
				gp.Activities = append(gp.Activities, a)
			}
		}
		spec.Principals = append(spec.Principals, gp)
	}
	task := gen.Principal{Type: gen.AssumedRole, Account: "555555555555", Name: "payments-api-task"}
	for _, u := range [][2]string{
		{"dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:555555555555:table/payments"},
		{"s3:GetObject", "arn:aws:s3:::acme-payments-555555555555/reports/daily.csv"},
	} {
		a, _ := eventFor(u[0], u[1])
		a.PerHour = 0.05
		task.Activities = append(task.Activities, a)
	}
	sso := gen.Principal{Type: gen.IdentityCenter, Account: "555555555555", Name: "ReadOnly"}
	a, _ := eventFor("ec2:DescribeInstances", "*")
	sso.Activities = append(sso.Activities, a)
	spec.Principals = append(spec.Principals, task, sso)
	return spec
}

type demoFixture struct {
	org   *demo.Org
	snap  *snapshot.Snapshot
	rows  []usage.Row
	first time.Time
	last  time.Time
}

var (
	demoOnce sync.Once
	demoFix  *demoFixture
	demoErr  error
)

// loadDemo runs the demo flow once per test binary: snapshot, generated
// CloudTrail logs, trail scan into a real usage store, and reads it back.
func loadDemo(t *testing.T) *demoFixture {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := mkdirTemp()
		if err != nil {
			demoErr = err
			return
		}
		o := demo.Generate(demoNow, demo.Seed)
		snapDir, err := o.WriteSnapshot(filepath.Join(dir, "snapshots"))
		if err != nil {
			demoErr = err
			return
		}
		s, err := snapshot.Open(snapDir)
		if err != nil {
			demoErr = err
			return
		}
		logs := filepath.Join(dir, "logs")
		if _, err := gen.Generate(demoSpec(o), gen.DirSink(logs)); err != nil {
			demoErr = err
			return
		}
		ctx := context.Background()
		res, err := trail.Scan(ctx, &trail.DirSource{Dir: logs}, trail.Options{Parallel: 2, Mapper: &trail.Mapper{Catalog: catalog.Default()}})
		if err != nil {
			demoErr = err
			return
		}
		st, err := usage.Open(ctx, filepath.Join(dir, "usage.db"))
		if err != nil {
			demoErr = err
			return
		}
		defer st.Close()
		if err := st.Commit(ctx, usage.Batch{Rows: res.Rows}); err != nil {
			demoErr = err
			return
		}
		rows, err := st.Usage(ctx, usage.Query{})
		if err != nil {
			demoErr = err
			return
		}
		tot, err := st.Totals(ctx)
		if err != nil {
			demoErr = err
			return
		}
		demoFix = &demoFixture{org: o, snap: s, rows: rows, first: tot.FirstSeen, last: tot.LastSeen}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoFix
}

func (f *demoFixture) analysis(days int) *Analysis {
	m := NewModel(f.snap, catalog.Default())
	m.Now = demoNow
	u := m.Attribute(Slice(f.rows), NewWindow(demoNow, days, f.first, f.last))
	return NewAnalysis(m, u)
}
