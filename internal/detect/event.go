// Package detect finds suspicious use of credentials in CloudTrail records:
// a rule engine fed record by record (as the trail scanner reads them) that
// produces findings carrying the events that support them. It is pure: no
// I/O, no clock; the caller feeds events and collects findings.
package detect

import (
	"encoding/json"
	"time"
)

// Event is the part of one CloudTrail record the rules read. Strings are
// copies: an Event outlives the scanner's reused trail.Record.
// CloudTrail record contents: AWS CloudTrail User Guide, "CloudTrail record contents".
type Event struct {
	EventID   string
	Time      time.Time // zero when eventTime was missing or malformed
	Source    string    // eventSource, e.g. "cloudtrail.amazonaws.com"
	Name      string    // eventName
	Type      string    // eventType
	Region    string
	SourceIP  string
	UserAgent string
	ErrorCode string
	Account   string // recipientAccountId

	IdentityType string // userIdentity.type
	ARN          string // userIdentity.arn
	AccessKeyID  string
	UserName     string // userIdentity.userName (IAM users, root alias)
	InvokedBy    string // userIdentity.invokedBy (an AWS service acting)
	IssuerARN    string // sessionContext.sessionIssuer.arn

	ReqUserName string // requestParameters.userName
	// EC2Role is set when userIdentity.sessionContext.ec2RoleDelivery is:
	// credentials an EC2 instance got from its metadata service.
	EC2Role bool

	// Rules that need the fields below count the record as undetermined
	// when they are absent.

	// MFAUsed is additionalEventData.MFAUsed of a ConsoleLogin ("Yes"/"No").
	MFAUsed string
	// LoginResult is responseElements.ConsoleLogin ("Success"/"Failure").
	LoginResult string
	// Request is requestParameters, raw; nil when absent, and FromRecord
	// copies it only for the event names a rule parses (needsRequest).
	Request json.RawMessage
}

// identity is the key a stateful rule groups by: the principal ARN (a role
// session's ARN names the session), else the access key.
func (e *Event) identity() string {
	if e.ARN != "" {
		return e.ARN
	}
	if e.AccessKeyID != "" {
		return e.AccessKeyID
	}
	return ""
}

// Support is one event that supports a finding.
type Support struct {
	EventID   string    `json:"eventId"`
	Time      time.Time `json:"time"`
	Name      string    `json:"eventName"`
	SourceIP  string    `json:"sourceIp"`
	UserAgent string    `json:"userAgent"`
}

func supportOf(e *Event) Support {
	return Support{EventID: e.EventID, Time: e.Time, Name: e.Source + ":" + e.Name, SourceIP: e.SourceIP, UserAgent: e.UserAgent}
}
