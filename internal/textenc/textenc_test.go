package textenc

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16le(s string, bom bool) []byte {
	var out []byte
	if bom {
		out = append(out, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

func utf16be(s string, bom bool) []byte {
	var out []byte
	if bom {
		out = append(out, 0xFE, 0xFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

func TestUTF8(t *testing.T) {
	doc := `{"Version":"2012-10-17"}`
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr string
	}{
		{"plain", []byte(doc), doc, ""},
		{"UTF-8 BOM (PowerShell, Notepad)", append([]byte{0xEF, 0xBB, 0xBF}, doc...), doc, ""},
		{"empty", nil, "", ""},
		{"BOM only", []byte{0xEF, 0xBB, 0xBF}, "", ""},
		{"non-ASCII UTF-8 kept", []byte("name: Zoë\n"), "name: Zoë\n", ""},
		{"UTF-16 LE with BOM (PowerShell 5 > file)", utf16le(doc, true), "", "the file is UTF-16 (little-endian) text; re-save it as UTF-8"},
		{"UTF-16 BE with BOM", utf16be(doc, true), "", "the file is UTF-16 (big-endian) text; re-save it as UTF-8"},
		{"UTF-16 LE without BOM", utf16le("version: 1\n", false), "", "the file is UTF-16 (little-endian) text; re-save it as UTF-8"},
		{"UTF-16 BE without BOM", utf16be(doc, false), "", "the file is UTF-16 (big-endian) text; re-save it as UTF-8"},
		{"UTF-32 LE with BOM", []byte{0xFF, 0xFE, 0, 0, '{', 0, 0, 0}, "", "the file is UTF-32 (little-endian) text; re-save it as UTF-8"},
		{"UTF-32 BE without BOM", []byte{0, 0, 0, '{', 0, 0, 0, '}'}, "", "the file is UTF-32 (big-endian) text; re-save it as UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UTF8(tt.in)
			if tt.wantErr != "" {
				var ee *EncodingError
				if !errors.As(err, &ee) || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				r, _ := io.ReadAll(NewReader(strings.NewReader(string(tt.in))))
				if _, rerr := NewReader(strings.NewReader(string(tt.in))).Read(make([]byte, 8)); rerr == nil || rerr.Error() != tt.wantErr || len(r) != 0 {
					t.Errorf("reader: %v %q", rerr, r)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q %v, want %q", got, err, tt.want)
			}
			r, err := io.ReadAll(NewReader(strings.NewReader(string(tt.in))))
			if err != nil || string(r) != tt.want {
				t.Errorf("reader: %q %v", r, err)
			}
		})
	}
}

type authDetails struct {
	UserDetailList []struct {
		UserName string
		Tags     []struct{ Key, Value string }
	}
	Count int
}

func TestJSONError(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"list where an object is expected", "[\n  {}\n]", "line 1, column 1: the document should be an object ({...}) but is a list ([...])"},
		{"object where a list is expected", `{"UserDetailList": {"UserName": "a"}}`, `line 1, column 20: field "UserDetailList" should be a list ([...]) but is an object ({...})`},
		{"number where a string is expected", "{\"UserDetailList\": [\n {\"UserName\": 42}]}", `line 2, column 15: field "UserDetailList.UserName" should be a string but is a number`},
		{"string where a number is expected", `{"Count": "7 \" 8"}`, `line 1, column 11: field "Count" should be a whole number but is a string`},
		{"syntax", "{\n  \"Count\": 1,\n}", "line 3, column 1: invalid character '}' where a quoted field name should start"},
		{"truncated", "{\"UserDetailList\": [", "line 1, column 21: unexpected end of JSON input: an object, list or string is not closed (is the file cut short?)"},
		{"empty", "", "line 1, column 1: unexpected end of JSON input: an object, list or string is not closed (is the file cut short?)"},
		{"BOM not stripped", "\xEF\xBB\xBF{}", "line 1, column 1: invalid character 'ï' where a value (object, list, string, number, true, false or null) should start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d authDetails
			err := json.Unmarshal([]byte(tt.in), &d)
			if err == nil {
				t.Fatal("no error")
			}
			got := JSONError([]byte(tt.in), err)
			if got != tt.want {
				t.Errorf("\n got %s\nwant %s\n(json: %v)", got, tt.want, err)
			}
			if strings.Contains(got, "Go value") || strings.Contains(got, "textenc.") {
				t.Errorf("Go type names in %q", got)
			}
		})
	}
}

func FuzzUTF8(f *testing.F) {
	f.Add([]byte{0xEF, 0xBB, 0xBF, '{', '}'})
	f.Add([]byte{0xFF, 0xFE, '{', 0})
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := UTF8(b)
		if err == nil && len(out) > len(b) {
			t.Fatal("grew")
		}
		var d authDetails
		if jerr := json.Unmarshal(b, &d); jerr != nil {
			_ = JSONError(b, jerr)
		}
	})
}
