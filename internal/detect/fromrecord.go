package detect

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// FromRecord copies the fields the rules read out of a scanner record (the
// record's bytes are reused by the scanner; the event owns its strings).
// The raw requestParameters are copied only for the event names a rule
// parses them for, and ConsoleLogin's outcome and MFA flag are decoded only
// for ConsoleLogin records, so the cost on other records is the string
// copies of the identity fields.
func FromRecord(r *trail.Record) Event {
	return fromRecord(r, nil)
}

// fromRecord interns repeated strings through in when it is not nil.
func fromRecord(r *trail.Record, in *interner) Event {
	s := func(b []byte) string { return string(b) }
	if in != nil {
		s = in.str
	}
	e := Event{
		EventID:      string(r.EventID),
		Source:       s(r.EventSource),
		Name:         s(r.EventName),
		Type:         s(r.EventType),
		Region:       s(r.AWSRegion),
		SourceIP:     s(r.SourceIP),
		UserAgent:    s(r.UserAgent),
		ErrorCode:    s(r.ErrorCode),
		Account:      s(r.RecipientAccount),
		IdentityType: s(r.Identity.Type),
		ARN:          s(r.Identity.ARN),
		AccessKeyID:  s(r.Identity.AccessKeyID),
		UserName:     s(r.Identity.UserName),
		InvokedBy:    s(r.Identity.InvokedBy),
		IssuerARN:    s(r.Identity.IssuerARN),
		ReqUserName:  s(r.Req.UserName),
		EC2Role:      len(r.Identity.EC2RoleDelivery) > 0,
	}
	if e.Account == "" {
		e.Account = s(r.Identity.AccountID)
	}
	if t, err := time.Parse(time.RFC3339, string(r.EventTime)); err == nil {
		e.Time = t.UTC()
	}
	if len(r.RequestRaw) > 0 && needsRequest(e.Source, e.Name) {
		e.Request = json.RawMessage(bytes.Clone(r.RequestRaw))
	}
	if e.Name == "ConsoleLogin" && e.Source == "signin.amazonaws.com" {
		// responseElements.ConsoleLogin and additionalEventData.MFAUsed:
		// CloudTrail User Guide, "AWS console sign-in events".
		var resp struct{ ConsoleLogin string }
		var add struct{ MFAUsed string }
		if len(r.ResponseRaw) > 0 && json.Unmarshal(r.ResponseRaw, &resp) == nil {
			e.LoginResult = resp.ConsoleLogin
		}
		if len(r.AdditionalRaw) > 0 && json.Unmarshal(r.AdditionalRaw, &add) == nil {
			e.MFAUsed = add.MFAUsed
		}
	}
	return e
}

// needsRequest: the event names whose requestParameters a rule parses.
func needsRequest(source, name string) bool {
	switch source {
	case "ec2.amazonaws.com":
		return name == "ModifySnapshotAttribute" || name == "ModifyImageAttribute" || name == "AuthorizeSecurityGroupIngress"
	case "s3.amazonaws.com":
		return name == "PutBucketPolicy" || name == "PutBucketAcl"
	case "guardduty.amazonaws.com":
		return name == "UpdateDetector"
	case "iam.amazonaws.com":
		switch name {
		case "AttachUserPolicy", "PutUserPolicy", "AddUserToGroup", "AttachGroupPolicy", "PutGroupPolicy":
			return true
		}
	case "ssm.amazonaws.com":
		return name == "GetParameter" || name == "GetParameters"
	case "secretsmanager.amazonaws.com":
		return name == "GetSecretValue" || name == "BatchGetSecretValue"
	case "lambda.amazonaws.com":
		return lambdaVersion.ReplaceAllString(name, "") != name || name == "AddPermission" || name == "CreateFunction" ||
			name == "UpdateFunctionConfiguration" || name == "AddLayerVersionPermission" || name == "CreateFunctionUrlConfig" || name == "UpdateFunctionUrlConfig"
	}
	return false
}

// interner shares the strings repeated across events (sources, names,
// regions, agents, identities) so a batch held for sorting stays small.
type interner struct{ m map[string]string }

func (in *interner) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if v, ok := in.m[string(b)]; ok {
		return v
	}
	v := string(b)
	if in.m == nil {
		in.m = map[string]string{}
	}
	if len(in.m) < 1<<20 {
		in.m[v] = v
	}
	return v
}
