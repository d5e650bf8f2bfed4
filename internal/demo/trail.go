package demo

import (
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/trail/gen"
)

// eventFor maps an IAM action of a persona's Use to the CloudTrail event
// that needs it (the inverse of the trail mapping for the demo's actions;
// AWS-FACTS.md: s3:ListBucket is checked by ListObjects, the CloudWatch
// event source is monitoring). ok is false for permissions that are not
// API calls (iam:PassRole).
func eventFor(action string) (source, name string, ok bool) {
	svc, op, _ := strings.Cut(action, ":")
	switch action {
	case "iam:PassRole":
		return "", "", false
	case "s3:ListBucket":
		op = "ListObjects"
	}
	switch svc {
	case "cloudwatch":
		svc = "monitoring"
	}
	return svc + ".amazonaws.com", op, true
}

// genResource turns a Use's resource ARN into what the generator expects
// for the service: "bucket/key" for S3, a table name for DynamoDB, a queue
// name for SQS, the ARN otherwise; "*" means no resource.
func genResource(arn string) string {
	switch {
	case arn == "*" || arn == "":
		return ""
	case strings.HasPrefix(arn, "arn:aws:s3:::"):
		return strings.TrimPrefix(arn, "arn:aws:s3:::")
	case strings.HasPrefix(arn, "arn:aws:dynamodb:"):
		if i := strings.Index(arn, ":table/"); i >= 0 {
			return arn[i+len(":table/"):]
		}
	case strings.HasPrefix(arn, "arn:aws:sqs:"):
		return arn[strings.LastIndexByte(arn, ':')+1:]
	}
	return arn
}

// TrailSpec is the CloudTrail corpus of the demo's activity between start
// and end: the personas active in the usage window make their Uses with the
// same key, addresses, user agents and VPC endpoints as Usage reports, so a
// scan of the generated logs finds the same fingerprints.
func (o *Org) TrailSpec(start, end time.Time, perHour float64) gen.Spec {
	spec := gen.Spec{Seed: Seed, OrgID: OrgID, Start: start, End: end}
	keys := map[string]string{}
	for _, r := range o.Usage() {
		keys[r.Principal] = r.AccessKeyID
	}
	for _, p := range o.Personas {
		if p.LastActive == nil || o.Now.Sub(*p.LastActive) > UsageWindow || len(p.Uses) == 0 {
			continue
		}
		acct := o.account(p.Account)
		var arn string
		for _, u := range acct.Users {
			if u.UserName == p.UserName {
				arn = u.ARN
			}
		}
		fp := fingerprints[p.Runtime]
		if fp.ips == nil {
			fp = fingerprints["laptop"]
		}
		pr := gen.Principal{Type: gen.IAMUser, Account: p.Account, Name: p.UserName, AccessKeyID: keys[arn],
			SourceIPs: fp.ips, UserAgents: fp.uas}
		if len(fp.vpce) > 0 {
			pr.VPCEndpoint = fp.vpce[0]
		}
		for _, u := range p.Uses {
			src, name, ok := eventFor(u.Action)
			if !ok {
				continue
			}
			act := gen.Activity{EventSource: src, EventName: name, Region: "eu-west-1", PerHour: perHour}
			if r := genResource(u.Resource); r != "" {
				act.Resources = []string{r}
			}
			pr.Activities = append(pr.Activities, act)
		}
		spec.Principals = append(spec.Principals, pr)
	}
	return spec
}
