package demo

import (
	"hash/fnv"
	"strings"

	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Usage returns, without generating and scanning logs, the usage rows of the
// IAM users in the demo's CloudTrail history (TrailSpec): one successful row
// per user, key and action, with the same source addresses, user agents and
// VPC endpoints the logs carry. Tests of the analyses use it; `seiri demo`
// scans the real logs into the usage store.
func (o *Org) Usage() []usage.Row {
	spec := o.TrailSpec()
	var out []usage.Row
	for _, p := range spec.Principals {
		if p.Type != gen.IAMUser {
			continue
		}
		arn := "arn:aws:iam::" + p.Account + ":user" + pathOr(p.Path) + p.Name
		end := spec.End
		if !p.Until.IsZero() {
			end = p.Until
		}
		for _, a := range p.Activities {
			if a.ErrorRate >= 1 {
				continue // every call fails: nothing used
			}
			action := actionOf(a.EventSource, a.EventName)
			h := fnv.New32a()
			h.Write([]byte(p.Name + action))
			res := ""
			if len(a.Resources) > 0 {
				res = resourceARN(a, p.Account)
			}
			r := usage.Row{
				Key:       usage.Key{Account: p.Account, Principal: arn, PrincipalType: "IAMUser", AccessKeyID: p.AccessKeyID, Action: action, Resource: res},
				FirstSeen: spec.Start, LastSeen: end, Count: int64(1 + h.Sum32()%200), Authz: true,
				SourceIPs: usage.MergeSet(nil, p.SourceIPs, usage.MaxSamples), UserAgents: usage.MergeSet(nil, p.UserAgents, usage.MaxSamples),
			}
			if p.VPCEndpoint != "" {
				r.VPCEndpoints = []string{p.VPCEndpoint}
			}
			for _, ip := range p.SourceIPs {
				class := "public"
				if strings.HasPrefix(ip, "10.") || strings.HasPrefix(ip, "192.168.") || strings.HasPrefix(ip, "172.") {
					class = "private"
				}
				r.IPClasses = usage.MergeSet(r.IPClasses, []string{class}, 0)
			}
			out = append(out, r)
		}
	}
	return out
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// actionOf is eventOf backwards for the demo's events.
func actionOf(source, name string) string {
	svc := strings.TrimSuffix(source, ".amazonaws.com")
	switch {
	case svc == "monitoring":
		svc = "cloudwatch"
	case svc == "s3" && strings.HasPrefix(name, "ListObjects"):
		name = "ListBucket"
	case svc == "cloudfront":
		name = strings.TrimSuffix(name, "2020_05_31")
	}
	return svc + ":" + name
}

// resourceARN turns a generator resource back into the ARN the scanner
// reports (the first one of the activity).
func resourceARN(a gen.Activity, account string) string {
	r := a.Resources[0]
	switch {
	case strings.HasPrefix(r, "arn:"):
		return r
	case a.EventSource == "s3.amazonaws.com":
		return "arn:aws:s3:::" + r
	case a.EventSource == "dynamodb.amazonaws.com":
		return "arn:aws:dynamodb:" + a.Region + ":" + account + ":table/" + r
	case a.EventSource == "lambda.amazonaws.com":
		return "arn:aws:lambda:" + a.Region + ":" + account + ":function:" + r
	case a.EventSource == "sqs.amazonaws.com":
		return "arn:aws:sqs:" + a.Region + ":" + account + ":" + r
	case a.EventSource == "sns.amazonaws.com":
		return "arn:aws:sns:" + a.Region + ":" + account + ":" + r
	case a.EventSource == "ecr.amazonaws.com":
		return "arn:aws:ecr:" + a.Region + ":" + account + ":repository/" + r
	case a.EventSource == "ssm.amazonaws.com":
		return "arn:aws:ssm:" + a.Region + ":" + account + ":parameter" + r
	case a.EventSource == "logs.amazonaws.com":
		return "arn:aws:logs:" + a.Region + ":" + account + ":log-group:" + r
	case a.EventSource == "monitoring.amazonaws.com":
		return "arn:aws:cloudwatch::" + account + ":dashboard/" + r
	case a.EventSource == "iam.amazonaws.com" && strings.Contains(a.EventName, "Role"):
		return "arn:aws:iam::" + account + ":role/" + r
	case a.EventSource == "iam.amazonaws.com":
		return "arn:aws:iam::" + account + ":user/" + r
	}
	return r
}
