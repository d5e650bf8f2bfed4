package trail_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/trail"
)

// The raw members a reader decodes on demand: eventID, and the exact bytes
// of requestParameters, responseElements and additionalEventData (absent,
// null or not an object: nil). The ConsoleLogin record follows the example
// of the CloudTrail User Guide, "AWS Management Console sign-in events".
func TestRecordRawMembers(t *testing.T) {
	log := `{"Records":[
{"eventVersion":"1.08","eventID":"3fcfb7ab-0f8e-4e08-8d2b-6e1e1a1b2c3d","eventTime":"2026-11-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
 "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},
 "requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},
 "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/","MobileVersion":"No","MFAUsed":"No"}},
{"eventID":"e2","eventTime":"2026-11-01T10:01:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy",
 "requestParameters":{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*"}]}},
 "responseElements":"not an object"},
{"eventTime":"2026-11-01T10:02:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity"}
]}`
	type got struct{ ID, Req, Resp, Add string }
	var out []got
	var rec trail.Record
	if _, err := trail.ScanLog([]byte(log), &rec, func(r *trail.Record) {
		out = append(out, got{string(r.EventID), string(r.RequestRaw), string(r.ResponseRaw), string(r.AdditionalRaw)})
	}, func(i int, why string) { t.Errorf("record %d: %s", i, why) }); err != nil {
		t.Fatal(err)
	}
	want := []got{
		{"3fcfb7ab-0f8e-4e08-8d2b-6e1e1a1b2c3d", "", `{"ConsoleLogin":"Success"}`, `{"LoginTo":"https://console.aws.amazon.com/","MobileVersion":"No","MFAUsed":"No"}`},
		{"e2", `{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*"}]}}`, "", ""},
		{"", "", "", ""},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The raw members are whole JSON objects: '{' … '}', and valid JSON when
// the input is.
func FuzzRecordRawMembers(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"},"requestParameters":null}]}`,
		`{"Records":[{"eventName":"PutBucketPolicy","requestParameters":{"bucketPolicy":{"Statement":[{"Principal":"*"}]}},"responseElements":[1]}]}`,
		`{"eventName":"X","additionalEventData":"s","requestParameters":{"a":{"b":"}"}}}`,
		`{"Records":[{"requestParameters":{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec trail.Record
		valid := json.Valid(data)
		trail.ScanLog(data, &rec, func(r *trail.Record) {
			for _, raw := range [][]byte{r.RequestRaw, r.ResponseRaw, r.AdditionalRaw} {
				if raw == nil {
					continue
				}
				if raw[0] != '{' || raw[len(raw)-1] != '}' {
					t.Fatalf("raw member %q is not an object", raw)
				}
				if valid && !json.Valid(raw) {
					t.Fatalf("raw member %q of valid input is not valid JSON", raw)
				}
			}
		}, nil)
	})
}
