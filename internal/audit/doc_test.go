package audit

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/config"
)

var update = flag.Bool("update", false, "rewrite RULES.md")

// TestRulesDoc keeps RULES.md (the rule reference with the default
// thresholds) in sync with the registry: go test -update rewrites it.
func TestRulesDoc(t *testing.T) {
	def := config.Default().Audit
	defaults := map[string]string{}
	rt := reflect.TypeOf(def)
	for i := 0; i < rt.NumField(); i++ {
		key := strings.Split(rt.Field(i).Tag.Get("yaml"), ",")[0]
		defaults[key] = fmt.Sprint(reflect.ValueOf(def).Field(i).Interface())
	}
	var b bytes.Buffer
	b.WriteString("# seiri audit rules\n\n")
	b.WriteString("Generated from `internal/audit/rules.go` by `go test ./internal/audit -update`; do not edit.\n")
	b.WriteString("Thresholds are keys under `audit:` in `seiri.yaml`; rules listed in `audit.disabled_rules` are skipped.\n\n")
	b.WriteString("| Rule id | Severity | Title | Threshold (default) |\n| --- | --- | --- | --- |\n")
	for _, r := range Rules() {
		th := "—"
		if k, ok := Thresholds[r.ID]; ok {
			key := strings.Fields(k)[0]
			th = fmt.Sprintf("`%s` (%s)%s", key, defaults[key], strings.TrimPrefix(k, key))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.ID, r.Severity, r.Title, th)
	}
	for _, r := range Rules() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n**Recommendation:** %s\n", r.ID, r.Description, r.Recommendation)
		if r.HelpURI != "" {
			fmt.Fprintf(&b, "\nAWS documentation: %s\n", r.HelpURI)
		}
	}
	for id := range Thresholds {
		if _, ok := Lookup(id); !ok {
			t.Errorf("Thresholds names unknown rule %s", id)
		}
	}
	if *update {
		if err := os.WriteFile("RULES.md", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("RULES.md")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("RULES.md is stale (go test ./internal/audit -update):\n%s", diff)
	}
}
