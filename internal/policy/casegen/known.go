package casegen

import (
	"regexp"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
)

// KnownDifference is a pattern of cases on which seiri and the independent
// evaluator disagree and AWS's documentation says seiri is right. Each entry
// quotes the page. The list is also in docs/policy.md.
type KnownDifference struct {
	Name  string
	Doc   string // AWS documentation page
	Quote string // what it says
	Match func(o *Outcome) bool
}

// KnownDifferences are the documented differences.
var KnownDifferences = []KnownDifference{
	{
		Name: "rcp-unsupported-service",
		Doc:  "AWS Organizations User Guide, \"Resource control policies (RCPs)\": list of AWS services that support RCPs",
		Quote: "RCPs apply only to resources of the services in the list of supported services; " +
			"\"RCPs don't affect resources of services that aren't in the list\". The evaluator applies a Deny in an RCP to every service.",
		Match: func(o *Outcome) bool {
			return hasLevels(o.Case["rcps"]) && !catalog.Default().SupportsRCP(service(o)) &&
				o.EvaluatorDecision() == "ExplicitDeny" && o.SeiriDecision() != "ExplicitDeny"
		},
	},
	{
		Name: "session-arn-grant-beats-session-policy",
		Doc:  "IAM User Guide, \"Session policies\"",
		Quote: "\"A resource-based policy can specify the ARN of the session as a principal. In that case, the permissions from the " +
			"resource-based policy are added after the session is created. The resource-based policy permissions are not limited by the session policy.\"",
		Match: func(o *Outcome) bool {
			r := o.Seiri.Result
			return o.Case["sessionPolicy"] != nil && r.Decision == policy.AllowDecision && r.Gate == policy.GateResource &&
				!r.CrossAccount && o.EvaluatorDecision() == "ImplicitDeny"
		},
	},
	{
		Name: "notipaddress-ipv4-address-vs-ipv6-request",
		Doc:  "IAM User Guide, \"IAM JSON policy elements: Condition operators\", IP address condition operators",
		Quote: "\"NotIpAddress: All IP addresses except the specified IP address or range\". An IPv6 source is not the IPv4 address " +
			"written without a prefix length, so NotIpAddress holds; the evaluator answers false only when the IPv4 value has no \"/32\".",
		Match: func(o *Outcome) bool {
			return strings.Contains(string(o.Line), `"NotIpAddress`) && strings.Contains(string(o.Line), `"aws:SourceIp":"2001:db8::1"`)
		},
	},
	{
		Name: "epoch-time-is-seconds",
		Doc:  "IAM User Guide, \"IAM JSON policy elements: Condition operators\", Date condition operators; \"AWS global condition context keys\", aws:EpochTime",
		Quote: "Date values are ISO 8601 dates \"or in epoch (UNIX) time\"; aws:EpochTime is \"the date and time of the request in epoch or Unix time\" " +
			"(seconds since 1970). The evaluator reads a number as milliseconds, so 1717243200 becomes a date in January 1970.",
		Match: func(o *Outcome) bool {
			return strings.Contains(string(o.Line), `"Date`) && epochValue.Match(o.Line)
		},
	},
}

var epochValue = regexp.MustCompile(`"1[0-9]{9}"`)

func hasLevels(v any) bool {
	l, _ := v.([]any)
	return len(l) > 0
}

func service(o *Outcome) string {
	rq, _ := o.Case["request"].(map[string]any)
	a, _ := rq["action"].(string)
	svc, _, _ := strings.Cut(a, ":")
	return strings.ToLower(svc)
}
