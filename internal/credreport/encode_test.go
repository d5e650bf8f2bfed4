package credreport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestEncodeRoundTrip(t *testing.T) {
	at := func(s string) Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return Time{Time: v}
	}
	na := Time{Missing: NA}
	rep := &Report{Rows: []Row{
		{User: RootUser, ARN: "arn:aws:iam::123456789012:root", UserCreationTime: at("2015-01-01T00:00:00Z"),
			PasswordEnabled: Bool{Missing: NotSupported}, PasswordLastUsed: at("2026-11-01T10:00:00Z"),
			PasswordLastChanged: Time{Missing: NotSupported}, PasswordNextRotation: Time{Missing: NotSupported}, MFAActive: false,
			AccessKeys: [2]KeySlot{{Active: true, LastRotated: at("2020-01-01T00:00:00Z"), LastUsedDate: at("2026-01-01T00:00:00Z"), LastUsedRegion: "us-east-1", LastUsedService: "s3"}, {LastRotated: na, LastUsedDate: na}},
			Certs:      [2]CertSlot{{LastRotated: na}, {LastRotated: na}}},
		{User: "bob", ARN: "arn:aws:iam::123456789012:user/bob", UserCreationTime: at("2022-08-07T12:55:43Z"),
			PasswordEnabled: Bool{Value: true}, PasswordLastUsed: Time{Missing: NoInformation}, PasswordLastChanged: at("2022-08-07T12:55:43Z"),
			PasswordNextRotation: na, MFAActive: true,
			AccessKeys: [2]KeySlot{{LastRotated: na, LastUsedDate: na}, {Active: true, LastRotated: at("2023-01-01T00:00:00Z"), LastUsedDate: na}},
			Certs:      [2]CertSlot{{Active: true, LastRotated: at("2023-02-01T00:00:00Z")}, {LastRotated: na}}},
	}}
	var buf bytes.Buffer
	if err := Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "user,arn,user_creation_time,") {
		t.Errorf("header: %q", strings.SplitN(buf.String(), "\n", 2)[0])
	}
	got, err := Parse(&buf, "encoded.csv")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Rows, got.Rows, cmpopts.IgnoreFields(Row{}, "Line")); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
