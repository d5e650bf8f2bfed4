package report

import (
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/version"
)

// Validation problems (`seiri policy validate`, `seiri org validate`) as a
// findings report, so that they render as SARIF for code scanning with a
// physical location in the file at fault. Each validation code is a rule;
// its severity maps onto seiri's: error → high, warning → medium,
// suggestion → low (see docs/outputs.md).

// ValidationDocs is the page that lists every validation code.
const ValidationDocs = InformationURI + "/blob/main/docs/policy.md#validation-codes"

// OrgSpecRule is the rule of a problem in org.yaml itself.
var OrgSpecRule = finding.Rule{
	ID:       "org.spec",
	Title:    "org.yaml problem",
	Severity: finding.High,
	Description: "org.yaml breaks an AWS Organizations limit or one of seiri's safety rules (an unknown policy, a " +
		"duplicate OU, an account placed twice, a value AWS would refuse): seiri org plan refuses the spec until it is fixed.",
	Recommendation: "Fix the spec at the line shown, then run seiri org validate again.",
	HelpURI:        InformationURI + "/blob/main/docs/org.md",
	Tags:           []string{"security", "organizations"},
}

// ValidationSeverity is seiri's severity of a validation severity word
// (error, warning, suggestion).
func ValidationSeverity(sev string) finding.Severity {
	switch sev {
	case "error":
		return finding.High
	case "warning":
		return finding.Medium
	}
	return finding.Low
}

// ValidationRule is the rule of a policy validation code
// (STATEMENT_MISSING_EFFECT → "Statement missing effect").
func ValidationRule(code, sev string) finding.Rule {
	title := strings.ToLower(strings.ReplaceAll(code, "_", " "))
	if title != "" {
		title = strings.ToUpper(title[:1]) + title[1:]
	}
	tags := []string{"security", "iam-policy"}
	return finding.Rule{
		ID: code, Title: title, Severity: ValidationSeverity(sev),
		Description: "seiri policy validate reports " + code + " (severity " + sev + "): " + title + ". " +
			"The checks follow IAM Access Analyzer's policy checks and the IAM JSON policy reference.",
		Recommendation: "Fix the statement or element at the line shown; seiri policy validate FILE lists every issue with its JSON path.",
		HelpURI:        ValidationDocs,
		Tags:           tags,
	}
}

// ValidationReport starts an empty report of validation problems.
func ValidationReport() *finding.Report {
	return &finding.Report{Tool: "seiri", Version: version.String(), Rules: []finding.Rule{}, Findings: []finding.Finding{}}
}

// AddRule adds ru to r unless a rule of that id is there.
func AddRule(r *finding.Report, ru finding.Rule) {
	for _, x := range r.Rules {
		if x.ID == ru.ID {
			return
		}
	}
	r.Rules = append(r.Rules, ru)
}
