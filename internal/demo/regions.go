package demo

import "strings"

// The demo's workloads run in eu-west-1 — except one: backup-agent, in the
// production account, copies the nightly dump to a bucket in us-east-1 (the
// disaster-recovery copy). A region-restriction SCP allowing only eu-west-1
// breaks that workload, which `seiri org plan`'s impact replay shows on the
// demo (demoorg.Plan).

// DRAccount, DRPersona and DRRegion name the cross-region workload.
const (
	DRAccount = "555555555555"
	DRPersona = "backup-agent"
	DRRegion  = "us-east-1"
)

// globalServices are served from us-east-1 whatever region a client names,
// and CloudTrail records their events there (CloudTrail User Guide, "Global
// service events").
var globalServices = map[string]bool{"iam": true, "sts": true, "organizations": true, "cloudfront": true,
	"budgets": true, "ce": true, "support": true, "route53": true}

// UseRegion is the region a use's calls are made in (CloudTrail's
// awsRegion), as the demo's trail generator writes it: the use's Region,
// us-east-1 for global services, else the home region.
func UseRegion(u Use) string {
	if u.Region != "" {
		return u.Region
	}
	if svc, _, _ := strings.Cut(u.Action, ":"); globalServices[svc] {
		return "us-east-1"
	}
	return HomeRegion
}
