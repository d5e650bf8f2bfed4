package policy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestSimulationSummaryGolden(t *testing.T) {
	const allow = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	req := `"request":{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"}`
	in := strings.Join([]string{
		`{"id":"ok",` + req + `,"identityPolicies":[` + allow + `],"expected":"Allow"}`,
		`{"id":"wrong",` + req + `,"identityPolicies":[],"expected":"Allow"}`,
		`{"id":"none",` + req + `}`,
		`{"id":"broken"`,
		`{"id":"kms","request":{"principal":"arn:aws:iam::111122223333:user/a","action":"kms:Decrypt","resource":"arn:aws:kms:us-east-1:111122223333:key/k"},"identityPolicies":[` + allow + `],"expected":"ImplicitDeny"}`,
	}, "\n")
	for _, check := range []bool{false, true} {
		name := "summary-nocheck.txt"
		if check {
			name = "summary-check.txt"
		}
		t.Run(name, func(t *testing.T) {
			s := NewSimulationSummary(check)
			if err := Simulate(strings.NewReader(in), nil, 1, func(cr CaseResult) error { s.Add(cr); return nil }); err != nil {
				t.Fatal(err)
			}
			got := s.Render()
			path := filepath.Join("testdata", "summary", name)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("summary:\n%s\nwant:\n%s", got, want)
			}
			if s.Failed() != check {
				t.Errorf("Failed() = %v with check %v (one case differs, one is broken)", s.Failed(), check)
			}
		})
	}
}
