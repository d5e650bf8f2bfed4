package detect

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
)

// CloudTrail logs Lambda actions with their API version appended:
// AddPermission20150331v2, UpdateFunctionConfiguration20150331v2,
// AddLayerVersionPermission20181031, CreateFunctionUrlConfig20211031
// (Lambda Developer Guide, "Logging AWS Lambda API calls using AWS
// CloudTrail").
var lambdaVersion = regexp.MustCompile(`[0-9]{8}(v[0-9]+)?$`)

func lambdaAction(e *Event) string {
	if e.Source != "lambda.amazonaws.com" {
		return ""
	}
	return lambdaVersion.ReplaceAllString(e.Name, "")
}

var lambdaBackdoor = sensitiveRule{
	rule: rule("SEIRI-DETECT-LAMBDA-BACKDOOR", "Lambda function or layer opened to others, or given a foreign layer", finding.High,
		"A Lambda function's resource policy was opened to everyone or another account (AddPermission), a layer version was shared with everyone or another account (AddLayerVersionPermission), a function URL was made callable without authentication (AuthType NONE), or a function was given a layer from another account (CreateFunction / UpdateFunctionConfiguration): ways to keep access or run code inside the account.",
		"Check the function's policy, URL and layers (aws lambda get-policy, get-function-configuration); remove what was not intended, and investigate the caller. List layer accounts you trust in detect.lambda_trusted_layer_accounts.",
		nil, []string{"T1648", "T1098"}),
	match: func(e *Event) bool {
		switch lambdaAction(e) {
		case "AddPermission", "AddLayerVersionPermission", "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig",
			"CreateFunction", "UpdateFunctionConfiguration":
			return true
		}
		return false
	},
}

func init() {
	lambdaBackdoor.rule.Threshold = "LambdaTrustedAccounts"
	lambdaBackdoor.judgeD = (*Detector).judgeLambda
	sensitive = append(sensitive, lambdaBackdoor)
}

// judgeLambda reads the request (Lambda API Reference: AddPermission's
// principal, sourceAccount, sourceArn, principalOrgID, functionUrlAuthType;
// AddLayerVersionPermission's principal and organizationId;
// Create/UpdateFunctionUrlConfig's authType; CreateFunction /
// UpdateFunctionConfiguration's layers).
func (d *Detector) judgeLambda(e *Event) verdict {
	if e.Request == nil {
		return verdict{undetermined: true}
	}
	var p struct {
		FunctionName   string   `json:"functionName"`
		LayerName      string   `json:"layerName"`
		Principal      string   `json:"principal"`
		SourceAccount  string   `json:"sourceAccount"`
		SourceARN      string   `json:"sourceArn"`
		PrincipalOrgID string   `json:"principalOrgID"`
		OrganizationID string   `json:"organizationId"`
		AuthType       string   `json:"authType"`
		Layers         []string `json:"layers"`
	}
	if json.Unmarshal(e.Request, &p) != nil {
		return verdict{undetermined: true}
	}
	target := p.FunctionName
	if target == "" {
		target = p.LayerName
	}
	var ev []finding.Evidence
	switch lambdaAction(e) {
	case "AddPermission", "AddLayerVersionPermission":
		switch acct := principalAccount(p.Principal); {
		case p.Principal == "*" && p.SourceAccount == "" && p.SourceARN == "" && p.PrincipalOrgID == "" && p.OrganizationID == "":
			ev = append(ev, finding.Evidence{Name: "granted to", Value: "* (everyone)"})
		case acct != "" && acct != e.Account && !slices.Contains(d.cfg.LambdaTrustedAccounts, acct):
			ev = append(ev, finding.Evidence{Name: "granted to", Value: "account " + acct})
		}
	case "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig":
		if p.AuthType == "NONE" {
			ev = append(ev, finding.Evidence{Name: "function URL", Value: "AuthType NONE (no authentication)"})
		}
	default:
		for _, l := range p.Layers {
			// arn:aws:lambda:region:account:layer:name:version
			parts := strings.Split(l, ":")
			if len(parts) < 7 || parts[5] != "layer" {
				continue
			}
			if acct := parts[4]; acct != e.Account && !slices.Contains(d.cfg.LambdaTrustedAccounts, acct) {
				ev = append(ev, finding.Evidence{Name: "layer from account " + acct, Value: l})
			}
		}
	}
	if len(ev) == 0 {
		return verdict{}
	}
	return verdict{hit: true, evidence: append([]finding.Evidence{{Name: "function or layer", Value: target}}, ev...)}
}

// principalAccount is the account of an AWS principal given as an account
// id or an IAM ARN; "" for services and "*".
func principalAccount(p string) string {
	if len(p) == 12 && strings.Trim(p, "0123456789") == "" {
		return p
	}
	if strings.HasPrefix(p, "arn:aws") {
		if parts := strings.Split(p, ":"); len(parts) >= 5 && parts[2] == "iam" {
			return parts[4]
		}
	}
	return ""
}
