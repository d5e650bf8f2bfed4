package detect

import (
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// The adapter from the scanner's record. It lives in a test file because
// internal/trail imports the AWS SDK (S3 and LookupEvents sources) and an
// analysis package may not (internal/archtest): the command or trail scan
// wiring owns the production copy (docs/detect.md).
// FromRecord copies the fields the rules read out of a scanner record.
// trail.Record does not carry eventID, additionalEventData,
// responseElements.ConsoleLogin nor the full requestParameters: those
// fields stay empty (absent, not "no").
func FromRecord(r *trail.Record) Event {
	e := Event{
		Source:       string(r.EventSource),
		Name:         string(r.EventName),
		Type:         string(r.EventType),
		Region:       string(r.AWSRegion),
		SourceIP:     string(r.SourceIP),
		UserAgent:    string(r.UserAgent),
		ErrorCode:    string(r.ErrorCode),
		Account:      string(r.RecipientAccount),
		IdentityType: string(r.Identity.Type),
		ARN:          string(r.Identity.ARN),
		AccessKeyID:  string(r.Identity.AccessKeyID),
		UserName:     string(r.Identity.UserName),
		InvokedBy:    string(r.Identity.InvokedBy),
		IssuerARN:    string(r.Identity.IssuerARN),
		ReqUserName:  string(r.Req.UserName),
	}
	if t, err := time.Parse(time.RFC3339, string(r.EventTime)); err == nil {
		e.Time = t.UTC()
	}
	return e
}
