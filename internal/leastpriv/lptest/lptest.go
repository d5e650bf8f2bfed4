// Package lptest builds CloudTrail corpora for the demo organization, for the
// least-privilege tests of internal/leastpriv and internal/cmd.
package lptest

import (
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/trail/gen"
)

// EventFor turns a demo persona's use (IAM action on an ARN) into the
// CloudTrail event the generator writes, the inverse of the trail mapping
// for the actions the demo uses.
func EventFor(action, resource string) (gen.Activity, bool) {
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

// DemoSpec is a CloudTrail corpus for the demo organization: its active
// personas, an ECS task role, an Identity Center session (ReadOnly) and a
// service-linked role.
func DemoSpec(o *demo.Org, now time.Time, days int) gen.Spec {
	start := now.Add(-time.Duration(days) * 24 * time.Hour)
	spec := gen.Spec{Seed: 7, OrgID: demo.OrgID, Start: start, End: now, Parallel: 2}
	for _, p := range o.Personas {
		if p.LastActive == nil || p.LastActive.Before(start) || len(p.Uses) == 0 {
			continue
		}
		gp := gen.Principal{Type: gen.IAMUser, Account: p.Account, Name: p.UserName}
		for _, u := range p.Uses {
			if a, ok := EventFor(u.Action, u.Resource); ok {
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
		a, _ := EventFor(u[0], u[1])
		a.PerHour = 0.05
		task.Activities = append(task.Activities, a)
	}
	sso := gen.Principal{Type: gen.IdentityCenter, Account: "555555555555", Name: "ReadOnly"}
	a, _ := EventFor("ec2:DescribeInstances", "*")
	sso.Activities = append(sso.Activities, a)
	spec.Principals = append(spec.Principals, task, sso)
	return spec
}
