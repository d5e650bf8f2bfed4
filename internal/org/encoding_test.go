package org

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// org.yaml and its policy files saved by PowerShell or Notepad (UTF-8 with a
// byte-order mark) are read; UTF-16 is refused with "re-save as UTF-8"; a
// policy file that is not JSON is reported at its own line and column.
func TestSpecEncodingsAndPolicyFiles(t *testing.T) {
	spec := "version: 1\nroot:\n  policies: [FullAWSAccess, custom]\n  accounts:\n    - id: \"111111111111\"\npolicies:\n  - name: custom\n    file: custom.json\n"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`
	tests := []struct {
		name         string
		spec, policy string
		wantParseErr string
		wantProblem  string // "" : compiles cleanly
	}{
		{"plain", spec, policy, "", ""},
		{"BOM in org.yaml and in the policy file", "\xEF\xBB\xBF" + spec, "\xEF\xBB\xBF" + policy, "", ""},
		{"org.yaml in UTF-16", "\xFF\xFEv\x00e\x00", policy, "org.yaml: the file is UTF-16 (little-endian) text; re-save it as UTF-8", ""},
		{"policy file in UTF-16", spec, "\xFF\xFE{\x00}\x00", "", "org.yaml:8:11: policy file custom.json: the file is UTF-16 (little-endian) text; re-save it as UTF-8"},
		{"policy file not JSON", spec, "{\n  \"Version\": \"2012-10-17\",\n  Statement: []\n}", "",
			"org.yaml:8:11: policy file custom.json is not valid JSON: line 3, column 3: invalid character 'S' where a quoted field name should start"},
		{"policy file cut short", spec, "{\"Version\": \"2012-10-17\",\n", "",
			"org.yaml:8:11: policy file custom.json is not valid JSON: line 2, column 1: unexpected end of JSON input: an object, list or string is not closed (is the file cut short?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "org.yaml")
			os.WriteFile(p, []byte(tt.spec), 0o600)
			os.WriteFile(filepath.Join(dir, "custom.json"), []byte(tt.policy), 0o600)
			d, err := Load(p)
			if tt.wantParseErr != "" {
				if err == nil || err.Error() != filepath.Join(dir, tt.wantParseErr) {
					t.Fatalf("parse error\n got %v\nwant %s", err, filepath.Join(dir, tt.wantParseErr))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, ps := Compile(d, Options{})
			var got []string
			for _, pr := range ps {
				got = append(got, pr.Error())
			}
			want := ""
			if tt.wantProblem != "" {
				want = filepath.Join(dir, tt.wantProblem)
			}
			if strings.Join(got, "\n") != want {
				t.Errorf("problems\n got %s\nwant %s", strings.Join(got, "\n"), want)
			}
		})
	}
}
