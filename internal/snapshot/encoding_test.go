package snapshot

import (
	"os"
	"testing"
)

// Authorization details saved by PowerShell (`aws iam
// get-account-authorization-details > f.json` writes UTF-16 in Windows
// PowerShell 5, UTF-8 with a BOM when re-saved by Notepad).
func TestAuthorizationDetailsEncodings(t *testing.T) {
	data, err := os.ReadFile("testdata/authdetails-cli.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAuthorizationDetails(append([]byte("\xEF\xBB\xBF"), data...), "f.json", "")
	if err != nil || a.AccountID != "123456789012" {
		t.Fatalf("UTF-8 with BOM: %v", err)
	}
	utf16 := []byte{0xFF, 0xFE}
	for _, c := range string(data[:40]) {
		utf16 = append(utf16, byte(c), 0)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"UTF-16", string(utf16), "f.json: the file is UTF-16 (little-endian) text; re-save it as UTF-8"},
		{"a list instead of the object", "[\n  {\"UserName\": \"bob\"}\n]",
			"f.json: line 1, column 1: the document should be an object ({...}) but is a list ([...])"},
		{"a number instead of a name", "{\"UserDetailList\": [\n  {\"UserName\": 7}]}",
			"f.json: line 2, column 16: field \"UserDetailList.UserName\" should be a string but is a number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAuthorizationDetails([]byte(tt.in), "f.json", "")
			if err == nil || err.Error() != tt.want {
				t.Errorf("\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}
