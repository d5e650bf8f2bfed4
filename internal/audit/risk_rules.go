package audit

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/risk"
)

// Privilege-escalation rule ids (internal/risk).
const (
	PrivescAdmin    = "SEIRI-PRIVESC-ADMIN"
	PrivescPossible = "SEIRI-PRIVESC-POSSIBLE"
	PrivescTarget   = "SEIRI-PRIVESC-TARGET"
)

var riskRules = []finding.Rule{
	{
		ID: PrivescAdmin, Title: "Principal can escalate to administrator", Severity: finding.High,
		Description:    "The principal is not an administrator but can make itself one, alone or through principals it can become (assume a role, pass a role to compute it controls, create keys or a password for a user, change the policies of itself, its groups or a role it can assume). Every step is allowed by the policy engine with the principal's identity policies, permissions boundary, SCPs and the target's trust policy; the evidence names the statement that allows each step.",
		Recommendation: "Remove the permission of the first step (it is listed first in `seiri unused`), or scope it to resources that do not lead to administrator (iam:PassRole to named roles with iam:PassedToService, IAM actions to the principal's own path), or add a permissions boundary.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
		Tags:           []string{"security", "privilege-escalation"},
	},
	{
		ID: PrivescTarget, Title: "Principal can reach a high-value principal", Severity: finding.High,
		Description:    "The principal can become a principal named as high-value (audit.high_value_principals), through the steps listed.",
		Recommendation: "Remove the permission of the first step, or tighten the target's trust policy.",
		Tags:           []string{"security", "privilege-escalation"},
	},
	{
		ID: PrivescPossible, Title: "Principal may escalate to administrator through existing resources", Severity: finding.Medium,
		Description:    "The principal can escalate if resources the snapshot does not describe exist: a Lambda function, EC2 instance, Glue endpoint, stack or notebook running with a stronger role, or an older, broader version of a managed policy it can make the default. The permissions are proven; the resources are not.",
		Recommendation: "Check whether such resources exist; remove the permission of the first step if it is not needed.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
		Tags:           []string{"security", "privilege-escalation"},
	},
}

// PrivescFindings turns an escalation analysis into findings: one per
// principal with a path to administrator (proven, else possible) and one
// per principal and reachable target. Pass them to RunWith through
// Options.Risk.
func PrivescFindings(an *risk.Analysis) []finding.Finding {
	var out []finding.Finding
	add := func(id string, p risk.Path, title string) {
		rule := &registry[ruleIndex(id)]
		out = append(out, finding.Finding{RuleID: id, Severity: rule.Severity, Account: arnAccount(p.Principal),
			Resource: p.Principal, Title: title, Evidence: pathEvidence(p), Recommendation: rule.Recommendation})
	}
	for _, p := range an.AdminPaths() {
		id := PrivescAdmin
		if p.Possible {
			id = PrivescPossible
		}
		of := ""
		if p.Account != arnAccount(p.Principal) {
			of = " of account " + p.Account
		}
		add(id, p, fmt.Sprintf("%s can become administrator%s in %s (%s)", who(p.Principal), of, plural(len(p.Steps), "step", "steps"), firstActions(p)))
	}
	for _, p := range an.TargetPaths() {
		title := fmt.Sprintf("%s can reach %s in %s (%s)", who(p.Principal), p.Goal, plural(len(p.Steps), "step", "steps"), firstActions(p))
		if p.Possible {
			title += ", if the resources exist"
		}
		add(PrivescTarget, p, title)
	}
	return out
}

// who names a principal by kind and name: "User alice", "Role ci".
func who(arn string) string {
	res := arn[strings.LastIndexByte(arn, ':')+1:]
	kind, _, _ := strings.Cut(res, "/")
	name := res[strings.LastIndexByte(res, '/')+1:]
	switch kind {
	case "user":
		return "User " + name
	case "role":
		return "Role " + name
	}
	return arn
}

func firstActions(p risk.Path) string {
	if len(p.Steps) == 0 {
		return ""
	}
	return strings.Join(p.Steps[0].Actions(), " + ")
}

func pathEvidence(p risk.Path) []finding.Evidence {
	var evs []finding.Evidence
	for i, s := range p.Steps {
		v := s.Title + ": " + s.From + " → " + s.To
		if s.Via != "" {
			v += " (via " + s.Via + ")"
		}
		if s.Possible {
			v += " [possible: depends on resources not in the snapshot]"
		}
		var allowed []string
		for _, e := range s.Allowed {
			allowed = append(allowed, e.String())
		}
		v += "; " + strings.Join(allowed, "; ")
		evs = append(evs, ev(fmt.Sprintf("step %d (%s)", i+1, s.Method), v))
	}
	if len(p.Steps) > 0 {
		if m := risk.MethodByID(p.Steps[0].Method); m != nil && len(m.Sources) > 0 {
			evs = append(evs, ev("method described in", m.Sources[0]))
		}
	}
	return evs
}

// addRisk records the findings of Options.Risk whose rule is enabled.
func (r *run) addRisk(opts Options) {
	if opts.Risk == nil {
		return
	}
	for _, f := range opts.Risk() {
		if r.enabled[f.RuleID] {
			r.findings = append(r.findings, f)
		}
	}
}

func init() {
	// The risk and account rules live in their own files; they join the
	// registry (and its index) here, after the base rules.
	registry = append(registry, riskRules...)
	registry = append(registry, accountRules...)
	for i, r := range registry {
		byID[r.ID] = i
	}
}

// arnAccount is the account field of an ARN.
func arnAccount(arn string) string {
	if p := strings.SplitN(arn, ":", 6); len(p) == 6 {
		return p[4]
	}
	return ""
}
