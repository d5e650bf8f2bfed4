package org

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func demoOrg(t testing.TB) *snapshot.Organization {
	t.Helper()
	return demo.Generate(now, 1).Organization
}

// writeSpec writes spec text and policy files into a temp dir and parses it.
func writeSpec(t testing.TB, text string, files map[string][]byte) *Document {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Load(path)
	if err != nil {
		t.Fatalf("parse:\n%s\n%v", text, err)
	}
	return d
}

func compile(t testing.TB, d *Document) *State {
	t.Helper()
	s, ps := Compile(d, Options{})
	if len(ps) > 0 {
		t.Fatalf("problems:\n%v", ps)
	}
	return s
}

func TestTemplateValidatesClean(t *testing.T) {
	sp, cm, err := Template("aws-multi-account")
	if err != nil {
		t.Fatal(err)
	}
	text := string(Marshal(sp, cm))
	d := writeSpec(t, text, nil)
	if diff := cmp.Diff(*sp, d.Spec); diff != "" {
		t.Errorf("template does not round-trip through YAML (-want +got):\n%s", diff)
	}
	s := compile(t, d)
	for _, ou := range []string{"Security", "Infrastructure", "Workloads/Prod", "Workloads/SDLC", "Sandbox", "Deployments",
		"Policy Staging", "Suspended", "Individual Business Users", "Exceptions", "Transitional"} {
		if s.OUs[ou] == nil {
			t.Errorf("template lacks OU %s", ou)
		}
		if !strings.Contains(text, "# "+ouLast(ou)+": ") {
			t.Errorf("template has no purpose comment for %s", ou)
		}
	}
	if !s.Attachments[OUTarget("Suspended")][PolicyKey(SCP, "suspended-deny-all")] {
		t.Error("Suspended OU lacks the deny-all")
	}
}

func ouLast(p string) string { return p[strings.LastIndex(p, "/")+1:] }

func TestImportThenPlanIsEmpty(t *testing.T) {
	o := demoOrg(t)
	sp, files, cm, err := Import(o)
	if err != nil {
		t.Fatal(err)
	}
	text := string(Marshal(sp, cm))
	d := writeSpec(t, text, files)
	desired := compile(t, d)
	p, err := NewPlan(d, desired, o, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 {
		var lines []string
		for _, c := range p.Changes {
			lines = append(lines, c.Describe())
		}
		t.Errorf("plan after import is not empty:\n%s\nspec:\n%s", strings.Join(lines, "\n"), text)
	}
	// Names and emails are comments, ids are quoted.
	if !strings.Contains(text, `- id: "`+o.Accounts[0].ID+`" # `+o.Accounts[0].Name) {
		t.Errorf("account comment missing:\n%s", text)
	}
}

func TestImportHostileNames(t *testing.T) {
	o := demoOrg(t)
	o.Accounts[0].Name = "evil\nroot:\n  ous: []"
	o.OUs[0].Name = `Sec"urity: #x`
	o.Policies[2].Name = "../../etc/passwd"
	sp, files, cm, err := Import(o)
	if err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if strings.Contains(name, "..") {
			t.Errorf("file name %q escapes the policies folder", name)
		}
	}
	d := writeSpec(t, string(Marshal(sp, cm)), files)
	p, err := NewPlan(d, compile(t, d), o, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 {
		t.Errorf("%d changes after import of hostile names", len(p.Changes))
	}
}

const baseSpec = `version: 1
management_account: "111111111111"
root:
  policies: [FullAWSAccess, deny-leave]
  ous:
    - name: Workloads
      ous:
        - name: Prod
          policies: [FullAWSAccess, regions]
          accounts:
            - id: "222222222222"
    - name: Suspended
      policies: [FullAWSAccess, deny-all]
  accounts:
    - id: "111111111111"
policies:
  - name: deny-leave
    library: deny-leave-organization
  - name: regions
    library: allowed-regions
    params:
      regions: [eu-west-1]
  - name: deny-all
    library: suspended-deny-all
    params:
      break_glass_roles: break-glass
`

func TestValidationErrorsHaveLineAndColumn(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string // "LINE:COL: message part"
	}{
		{"unknown policy", "[FullAWSAccess, regions]", "[FullAWSAccess, regionz]", `9:37: unknown policy "regionz"`},
		{"no allow", "policies: [FullAWSAccess, deny-leave]", "policies: [deny-leave]", `4:13: no attached SCP has an Allow`},
		{"empty attachments", "policies: [FullAWSAccess, deny-leave]", "policies: []", `4:13: no SCP attached`},
		{"duplicate OU", "    - name: Suspended", "    - name: workloads", `12:13: duplicate OU name "workloads" under the same parent (first at line 6)`},
		{"placed twice", `    - id: "111111111111"`, `    - id: "222222222222"`, `15:9: account 222222222222 is placed twice (first at line 11)`},
		{"bad id", `    - id: "111111111111"`, `    - id: "11111"`, `15:11: "11111" is not a 12-digit account id`},
		{"unknown library", "library: allowed-regions", "library: allowed-regionz", `20:14: unknown library policy "allowed-regionz"`},
		{"bad param", "regions: [eu-west-1]", "regions: [moon-1]", `22:16: library policy "allowed-regions": parameter "regions": "moon-1": not a valid region`},
		{"unknown param", "regions: [eu-west-1]", "regionz: [eu-west-1]", `22:16: library policy "allowed-regions": parameter "regionz": unknown parameter`},
		{"bad type", "  - name: deny-leave\n", "  - name: deny-leave\n    type: scpx\n", `18:11: unknown policy type "scpx"`},
		{"two sources", "    library: deny-leave-organization\n", "    library: deny-leave-organization\n    content: '{}'\n", `17:9: policy "deny-leave" needs exactly one of file, library or content (has 2)`},
		{"missing file", "    library: deny-leave-organization\n", "    file: nope.json\n", `18:11: cannot read policy file`},
		{"new account without email", `    - id: "111111111111"`, `    - id: "111111111111"` + "\n    - name: new-one", `16:11: an account needs an id, or a name and an email`},
		{"bad email", `    - id: "111111111111"`, `    - id: "111111111111"` + "\n    - name: new-one\n      email: nope", `17:14: email "nope" must be an address`},
		{"version", "version: 1", "version: 2", `1:10: version 2 is not supported`},
		{"suspended missing", "version: 1\n", "version: 1\nsuspended_ou: Archive\n", `2:15: OU "Archive" is not in the tree`},
		{"OU name slash", "    - name: Suspended", "    - name: Sus/pended", `12:13: OU name "Sus/pended" contains "/"`},
		{"declared twice", "  - name: deny-all\n", "  - name: deny-leave\n", `23:11: policy "deny-leave" is declared twice (first at line 17)`},
		{"AWS managed declared", "  - name: deny-all\n", "  - name: FullAWSAccess\n", `23:11: "FullAWSAccess" is an AWS managed policy`},
		{"bad content", "    library: deny-leave-organization\n", "    content: '{\"Statement\": '\n", `18:14: policy "deny-leave" is not valid JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(baseSpec, tt.old, tt.new, 1)
			if text == baseSpec {
				t.Fatalf("replacement %q not found", tt.old)
			}
			d := writeSpec(t, text, nil)
			ps := Validate(d, Options{})
			var got []string
			for _, p := range ps {
				got = append(got, strings.TrimPrefix(p.Error(), d.Path+":"))
			}
			for _, g := range got {
				if strings.HasPrefix(g, tt.want) {
					return
				}
			}
			t.Errorf("want a problem starting %q, got:\n%s", tt.want, strings.Join(got, "\n"))
		})
	}
	if ps := Validate(writeSpec(t, baseSpec, nil), Options{}); len(ps) != 0 {
		t.Errorf("base spec has problems:\n%v", ps)
	}
}

func TestLimits(t *testing.T) {
	deep := "version: 1\nroot:\n  ous:\n"
	ind := "    "
	for i := 1; i <= 6; i++ {
		deep += ind + "- name: L" + string(rune('0'+i)) + "\n"
		if i < 6 {
			deep += ind + "  ous:\n"
			ind += "    "
		}
	}
	d := writeSpec(t, deep, nil)
	ps := Validate(d, Options{})
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "L1/L2/L3/L4/L5/L6\" is 6 levels under the root, over the limit of 5") || ps[0].Line != 14 || ps[0].Column != 33 {
		t.Errorf("depth: %v", ps)
	}
	l := DefaultLimits()
	l.OUDepth = 6
	if ps := Validate(d, Options{Limits: l}); len(ps) != 0 {
		t.Errorf("depth with raised limit: %v", ps)
	}

	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 10200) + `"}]}`
	files := map[string][]byte{"big.json": []byte(big)}
	text := "version: 1\nroot:\n  policies: [FullAWSAccess, big]\npolicies:\n  - name: big\n    file: big.json\n"
	ps = Validate(writeSpec(t, text, files), Options{})
	if len(ps) != 1 || ps[0].Line != 6 || !strings.Contains(ps[0].Message, "over the scp limit of 10240") {
		t.Errorf("size: %v", ps)
	}
	// As an RCP the limit is 5,120.
	text = strings.Replace(text, "    file:", "    type: rcp\n    file:", 1)
	ps = Validate(writeSpec(t, text, files), Options{})
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "over the rcp limit of 5120") {
		t.Errorf("rcp size: %v", ps)
	}

	var many strings.Builder
	many.WriteString("version: 1\nroot:\n  policies: [FullAWSAccess")
	for i := 0; i < 10; i++ {
		many.WriteString(", p" + string(rune('a'+i)))
	}
	many.WriteString("]\npolicies:\n")
	for i := 0; i < 10; i++ {
		many.WriteString("  - name: p" + string(rune('a'+i)) + "\n    library: deny-leave-organization\n")
	}
	ps = Validate(writeSpec(t, many.String(), nil), Options{})
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "11 scp policies attached, over the limit of 10 per target") || ps[0].Line != 3 {
		t.Errorf("per target: %v", ps)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"version: 1\nroot:\n  polices: []\n", "3:3: unknown field \"polices\""},
		{"version: [1\n", "1:10"},
		{"version: 1\nroot:\n  ous: {name: x}\n", "3:8"},
	}
	for _, tt := range tests {
		_, err := Parse("org.yaml", []byte(tt.text))
		if err == nil || !strings.HasPrefix(err.Error(), "org.yaml:"+tt.want) {
			t.Errorf("%q: error %v, want prefix org.yaml:%s", tt.text, err, tt.want)
		}
	}
}

func TestValidatorHook(t *testing.T) {
	d := writeSpec(t, baseSpec, nil)
	var kinds []string
	ps := Validate(d, Options{Validator: func(doc []byte, kind string) error {
		kinds = append(kinds, kind)
		if !json.Valid(doc) {
			t.Errorf("validator got invalid JSON %s", doc)
		}
		if strings.Contains(string(doc), "RequestedRegion") {
			return errTest
		}
		return nil
	}})
	if len(kinds) != 3 || kinds[0] != "scp" {
		t.Errorf("validator called for %v", kinds)
	}
	if len(ps) != 1 || !strings.Contains(ps[0].Error(), `org.yaml:20:14: policy "regions": engine says no`) {
		t.Errorf("problems: %v", ps)
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTest = testErr("engine says no")

func describe(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Describe())
	}
	return out
}
