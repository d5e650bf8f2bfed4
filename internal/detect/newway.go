package detect

import (
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
)

// AWSRanges says whether an address belongs to AWS's published ranges
// (internal/roles.Ranges satisfies it through RangesFunc in the caller).
// Complete is false for a subset (the built-in sample): an address outside
// it is then not known to be outside AWS.
type AWSRanges interface {
	InAWS(ip string) bool
	Complete() bool
}

// The rules of credentials used in a new way, judged against the baseline.
var (
	ruleNewNetwork = rule("SEIRI-DETECT-NEW-NETWORK", "Credential used from a network never seen for it", finding.Medium,
		"A credential was used from a public network (IPv4 /NetworkPrefix, IPv6 /32) it was never used from in its baseline.",
		"Confirm with the credential's owner that the new network is theirs (a new office, VPN, CI runner); if not, deactivate the credential and review what it did.",
		[]string{"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "CredentialAccess:IAMUser/AnomalousBehavior"}, []string{"T1078.004"})
	ruleWorkloadOutside = rule("SEIRI-DETECT-WORKLOAD-CREDS-OUTSIDE", "Workload credentials used from outside AWS", finding.High,
		"Credentials of a workload inside AWS (an EC2 instance's from its metadata service; a role whose sessions run in Lambda functions or ECS tasks) were used from a public address outside AWS's published ranges: the classic credential exfiltration.",
		"Revoke the role's active sessions (an aws:TokenIssueTime deny), find how the credentials left the instance (SSRF, IMDSv1), require IMDSv2.",
		[]string{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"}, []string{"T1552.005", "T1078.004"})
	ruleNewAgent = rule("SEIRI-DETECT-NEW-AGENT-CLASS", "Credential used by a new kind of client", finding.Medium,
		"A credential was used by a class of client (SDK, CLI, console, raw HTTP, a penetration-testing OS) never seen for it.",
		"Confirm the new client with the credential's owner; a penetration-testing OS on a workload's credential means it was taken.",
		[]string{"PenTest:IAMUser/KaliLinux", "PenTest:IAMUser/ParrotLinux", "PenTest:IAMUser/PentooLinux"}, []string{"T1078.004"})
	ruleNewRegionKey = rule("SEIRI-DETECT-NEW-REGION", "Credential used in a region never used by it", finding.Low,
		"A credential called AWS in a region it never used in its baseline.",
		"Confirm the region is expected for this credential; deny unused regions with an SCP on aws:RequestedRegion.",
		nil, []string{"T1535"})
	ruleNewRegionAccount = rule("SEIRI-DETECT-NEW-REGION-ACCOUNT", "Account used in a region never used before", finding.Medium,
		"A call was made in a region no credential of the account used in the baseline: resources started in unused regions escape attention.",
		"Check what was created in the region; deny unused regions with an SCP on aws:RequestedRegion.",
		nil, []string{"T1535"})
	ruleSilentKey = rule("SEIRI-DETECT-SILENT-KEY-USED", "Access key used after a long silence", finding.Medium,
		"A long-term access key was used again after a silence longer than the threshold: forgotten keys are the ones that leak.",
		"Confirm the owner still needs the key; rotate it, or disable it (seiri keys plan).",
		nil, []string{"T1078.004"})
	ruleTravel = rule("SEIRI-DETECT-IMPOSSIBLE-TRAVEL", "Same access key from two networks in too little time", finding.High,
		"One access key was used from two distinct public networks within the travel window: two parties hold it. seiri has no geolocation data: it compares networks (and AWS or not), not distances.",
		"Confirm with the owner (VPN switch, mobile hotspot); if not explained, deactivate the key (or revoke the role's sessions) now.",
		[]string{"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"}, []string{"T1078.004"})
)

var baselineRules = []*Rule{&ruleNewNetwork, &ruleWorkloadOutside, &ruleNewAgent, &ruleNewRegionKey, &ruleNewRegionAccount, &ruleSilentKey, &ruleTravel}

func init() {
	ruleNewNetwork.Threshold = "NetworkPrefix, MinHistory"
	ruleNewAgent.Threshold = "MinHistory"
	ruleNewRegionKey.Threshold = "MinHistory"
	ruleNewRegionAccount.Threshold = "MinHistory"
	ruleSilentKey.Threshold = "Silence"
	ruleTravel.Threshold = "TravelWindow, NetworkPrefix"
}

// instanceSession reports EC2 instance credentials: sessionContext's
// ec2RoleDelivery is set, or the role session is named after an instance
// id, as EC2 names it (IAM User Guide, "Use an IAM role to grant
// permissions to applications running on Amazon EC2 instances").
func instanceSession(e *Event) bool {
	if e.IdentityType != "AssumedRole" {
		return false
	}
	if e.EC2Role {
		return true
	}
	i := strings.LastIndexByte(e.ARN, '/')
	if i < 0 || !strings.Contains(e.ARN, ":assumed-role/") {
		return false
	}
	s := e.ARN[i+1:]
	if !strings.HasPrefix(s, "i-") || (len(s) != 10 && len(s) != 19) {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// workloadMark names the compute service an SDK says it runs in: the AWS
// SDKs append "exec-env/" and the AWS_EXECUTION_ENV variable to their user
// agent, which Lambda sets to AWS_Lambda_<runtime> and ECS to
// AWS_ECS_EC2 / AWS_ECS_FARGATE (AWS SDKs and Tools Reference Guide,
// "Application ID"/execution environment; Lambda Developer Guide, "Defined
// runtime environment variables").
func workloadMark(ua string) string {
	i := strings.Index(ua, "exec-env/")
	if i < 0 {
		return ""
	}
	env := ua[i+len("exec-env/"):]
	switch {
	case strings.HasPrefix(env, "AWS_Lambda_"):
		return "Lambda function"
	case strings.HasPrefix(env, "AWS_ECS_"):
		return "ECS task"
	}
	return ""
}

// newWay judges e against the baseline, then learns from it.
func (d *Detector) newWay(e *Event) {
	b := d.base
	if b == nil || e.Time.IsZero() {
		return
	}
	id := credentialOf(e)
	if id == "" {
		b.accountRegion(e.Account, e.Region)
		return
	}
	p := b.profile(id)
	kind, nw := addrKind(e.SourceIP, d.cfg.NetworkPrefix)
	class := AgentClass(e.UserAgent)
	known := !p.First.IsZero() && !p.First.After(e.Time.Add(-d.cfg.MinHistory))
	if !known {
		d.stats.Learning++
	}

	// Workload credentials outside AWS: needs no history.
	workload := ""
	switch {
	case instanceSession(e):
		workload = "instance credentials of " + id
	case p.Workload != "" && e.IdentityType == "AssumedRole":
		workload = p.Workload + " credentials of " + id
	}
	if w := workloadMark(e.UserAgent); w != "" && e.IdentityType == "AssumedRole" && kind != kindPublic && kind != kindIPv6 {
		p.Workload = w // learned from inside AWS only (also from this event, judged next time)
	} else if w != "" && e.IdentityType == "AssumedRole" && d.ranges != nil && d.ranges.Complete() && d.ranges.InAWS(e.SourceIP) {
		p.Workload = w
	}
	if workload != "" && (kind == kindPublic || kind == kindIPv6) {
		switch {
		case d.ranges == nil:
			d.stats.Undetermined[ruleWorkloadOutside.ID]++
		case d.ranges.InAWS(e.SourceIP):
		case !d.ranges.Complete():
			d.stats.Undetermined[ruleWorkloadOutside.ID]++
		default:
			d.emitKey(&ruleWorkloadOutside, e, id+"|"+nw, []finding.Evidence{
				{Name: "credential", Value: workload},
				{Name: "source", Value: e.SourceIP + " (not in AWS's published ranges)"}})
		}
	}

	if known || d.country != nil || d.asn != nil {
		d.geo(e, p, kind == kindPublic || kind == kindIPv6)
	}
	if known {
		if nw != "" && !p.Networks[nw] {
			switch {
			case p.NetworksMany:
				d.stats.Roaming++
			case p.NetworksPartial:
				d.stats.Undetermined[ruleNewNetwork.ID]++
			default:
				d.emitKey(&ruleNewNetwork, e, id+"|"+nw, []finding.Evidence{
					{Name: "credential", Value: id},
					{Name: "new network", Value: nw},
					{Name: "known networks", Value: fmt.Sprint(len(p.Networks))}})
			}
		}
		if class != "" && class != AgentService && !p.Agents[class] {
			if p.AgentsPartial && class != AgentPentest {
				d.stats.Undetermined[ruleNewAgent.ID]++
			} else {
				r := ruleNewAgent
				if class == AgentPentest {
					r.Severity = finding.High
				}
				d.emitKey(&r, e, id+"|"+class, []finding.Evidence{
					{Name: "credential", Value: id},
					{Name: "new client class", Value: class},
					{Name: "known classes", Value: strings.Join(sortedKeys(p.Agents), ", ")}})
			}
		}
		if e.Region != "" && !p.Regions[e.Region] && e.ErrorCode == "" {
			acct := b.AccountRegions[e.Account]
			if len(acct) > 0 && !acct[e.Region] {
				d.emitKey(&ruleNewRegionAccount, e, e.Account+"|"+e.Region, []finding.Evidence{
					{Name: "credential", Value: id}, {Name: "new region", Value: e.Region},
					{Name: "account regions", Value: strings.Join(sortedKeys(acct), ", ")}})
			} else {
				d.emitKey(&ruleNewRegionKey, e, id+"|"+e.Region, []finding.Evidence{
					{Name: "credential", Value: id}, {Name: "new region", Value: e.Region},
					{Name: "known regions", Value: strings.Join(sortedKeys(p.Regions), ", ")}})
			}
		}
	}
	if strings.HasPrefix(id, "AKIA") && !p.Last.IsZero() && e.Time.Sub(p.Last) >= d.cfg.Silence {
		if p.LastUncertain {
			d.stats.Undetermined[ruleSilentKey.ID]++
		} else {
			d.emitKey(&ruleSilentKey, e, id+"|"+e.Time.Format(time.RFC3339), []finding.Evidence{
				{Name: "credential", Value: id},
				{Name: "last use before", Value: p.Last.Format(time.RFC3339)},
				{Name: "silence", Value: fmt.Sprintf("%d days (threshold %d)", int(e.Time.Sub(p.Last).Hours()/24), int(d.cfg.Silence.Hours()/24))}})
		}
	}
	// Impossible travel: per access key (a session key is one session).
	if nw != "" && e.AccessKeyID != "" {
		if p.Travel == nil {
			p.Travel = map[string]Sighting{}
		}
		prev, ok := p.Travel[e.AccessKeyID]
		// Two networks the credential's baseline already holds are its
		// owner moving between known places (office, VPN, CI runners): the
		// rule needs one of them to be new to the credential.
		novel := !p.NetworksMany && !p.NetworksPartial && (!p.Networks[nw] || !p.Networks[prev.Network])
		if ok && known && novel && prev.Network != nw && !e.Time.Before(prev.Time) && e.Time.Sub(prev.Time) <= d.cfg.TravelWindow {
			ev := []finding.Evidence{
				{Name: "access key", Value: e.AccessKeyID},
				{Name: "first network", Value: prev.Network + " at " + prev.Time.Format(time.RFC3339)},
				{Name: "second network", Value: nw + " at " + e.Time.Format(time.RFC3339)},
			}
			if d.ranges != nil && d.ranges.Complete() && d.ranges.InAWS(prev.IP) != d.ranges.InAWS(e.SourceIP) {
				ev = append(ev, finding.Evidence{Name: "networks", Value: "one inside AWS, one outside"})
			}
			f := d.emitKey(&ruleTravel, e, e.AccessKeyID+"|"+prev.Network+"|"+nw, ev)
			f.Support = append([]Support{{EventID: prev.EventID, Time: prev.Time, SourceIP: prev.IP, UserAgent: prev.Agent}}, f.Support...)
			f.Events++
		}
		if !ok && len(p.Travel) >= maxTravel {
			var oldest string
			for k, s := range p.Travel {
				if oldest == "" || s.Time.Before(p.Travel[oldest].Time) {
					oldest = k
				}
			}
			delete(p.Travel, oldest)
		}
		if !ok || !e.Time.Before(prev.Time) {
			p.Travel[e.AccessKeyID] = Sighting{Network: nw, IP: e.SourceIP, Time: e.Time, EventID: e.EventID, Agent: e.UserAgent}
		}
	}

	// Learn.
	if p.First.IsZero() || e.Time.Before(p.First) {
		p.First = e.Time
	}
	if e.Time.After(p.Last) {
		p.Last = e.Time
		p.LastUncertain = false
	}
	p.Events++
	if nw != "" {
		p.addNetwork(nw)
	}
	if class != "" {
		p.Agents[class] = true
	}
	if e.Region != "" && e.ErrorCode == "" {
		p.Regions[e.Region] = true
	}
	if kind != "" {
		p.Kinds[kind] = true
	}
	if e.ErrorCode == "" {
		b.accountRegion(e.Account, e.Region)
	}
	if e.Time.After(b.Through) {
		b.Through = e.Time
	}
}
