package demo

import "strings"

// The demo's workloads run in eu-west-1 — except one: the payments team
// keeps a disaster-recovery copy of its API in eu-west-3 (Paris), deployed
// by the ci-deployer machine user of the production account. A
// region-restriction SCP allowing only eu-west-1 would break that deploy,
// which is what `seiri org plan`'s impact replay shows on the demo.

// DRAccount and DRPersona are the account and user of the eu-west-3 workload.
const (
	DRAccount = "555555555555"
	DRPersona = "ci-deployer"
	DRRegion  = "eu-west-3"
)

// AddDisasterRecovery gives the ci-deployer persona its eu-west-3 deploys.
// It is idempotent. Call it before generating CloudTrail logs from the
// personas.
func (o *Org) AddDisasterRecovery() {
	for _, p := range o.Personas {
		if p.Account != DRAccount || p.UserName != DRPersona {
			continue
		}
		for _, u := range p.Uses {
			if UseRegion(u) == DRRegion {
				return
			}
		}
		p.Uses = append(p.Uses,
			Use{"ecs:UpdateService", "arn:aws:ecs:" + DRRegion + ":" + DRAccount + ":service/prod-dr/payments-api"},
			Use{"ecr:PutImage", "arn:aws:ecr:" + DRRegion + ":" + DRAccount + ":repository/payments-api"})
	}
}

// globalServices are served from us-east-1 whatever region a client names,
// and CloudTrail logs them there (CloudTrail User Guide, "Understanding
// CloudTrail events": global service events).
var globalServices = map[string]bool{"iam": true, "sts": true, "organizations": true, "cloudfront": true,
	"budgets": true, "ce": true, "support": true, "route53": true, "waf": true, "health": true}

// HomeRegion is where the demo's regional workloads run.
const HomeRegion = "eu-west-1"

// UseRegion is the region a use's calls are made in (CloudTrail's
// awsRegion): the region of its resource ARN, us-east-1 for global
// services, otherwise the demo's home region.
func UseRegion(u Use) string {
	svc, _, _ := strings.Cut(u.Action, ":")
	if globalServices[svc] {
		return "us-east-1"
	}
	if parts := strings.SplitN(u.Resource, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[3] != "" {
		return parts[3]
	}
	return HomeRegion
}
