package root

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/report/sariftest"
)

// Issue 18 §2: machine outputs that fit the ecosystem. Every command that
// declares sarif is run on the demo workspace and its log validated against
// the SARIF 2.1.0 schema and GitHub code scanning's rules; every command
// that declares json has a JSON Schema in docs/schemas/<command>.json and,
// where the demo workspace can run it without AWS, its document is
// validated against it.

var updateSchemas = flag.Bool("update-schemas", false, "write docs/schemas/<command>.json from the demo outputs (then review them by hand)")

const schemasDir = "../../../docs/schemas"

// noJSONSchema are commands that declare json but cannot have a schema
// checked here, each with the reason. Keep it short: an entry is a gap.
var noJSONSchema = map[string]string{
	"seiri keys":  "group command: prints its help, writes no document",
	"seiri users": "group command: prints its help, writes no document",
	// users retire lists its subcommands' help unless given a subcommand.
	"seiri users retire": "prints its help, writes no document",
}

// notRun are json commands this test cannot make write their document
// (they need an earlier apply's journal or backup): their schema file must
// exist all the same (the plan schema, shared with keys disable).
var notRun = map[string]string{
	"seiri keys restore":              "needs a journal entry of a deleted key",
	"seiri users restore-from-backup": "needs a backup file of a deleted user",
	"seiri users retire restore":      "needs a journal entry of a quarantined user",
	// Applies: their document is the apply flow's report.
	"seiri groups apply": "an apply (AWS writes): its report is checked against apply.json by TestGroupsApplyJSON",
	"seiri org apply":    "an apply (AWS writes): its report is checked by TestOrgApplyJSON",
}

// applyReports are commands whose only json document is the apply flow's
// report: their schema is docs/schemas/apply.json (the other write
// commands write their plan's document without --apply, the report with it;
// docs/outputs.md).
var applyReports = map[string]bool{"seiri groups apply": true, "seiri org apply": true}

// onFake are json commands that read AWS: they run against the fake, on a
// workspace that "seiri collect" (first in the sorted order) fills.
var onFake = map[string][]string{
	"seiri collect":                 {"collect"},
	"seiri keys delete":             {"keys", "delete"},
	"seiri keys watch":              {"keys", "watch"},
	"seiri users retire delete":     {"users", "retire", "delete"},
	"seiri users retire quarantine": {"users", "retire", "quarantine"},
	"seiri users retire watch":      {"users", "retire", "watch"},
	"seiri daily":                   {"daily"},
}

// jsonLines are commands that stream one document per line (for speed):
// the lines carry no schemaVersion; the schema describes a line.
var jsonLines = map[string]bool{"seiri policy simulate": true}

func schemaFile(cmdPath string) string {
	if applyReports[cmdPath] {
		return filepath.Join(schemasDir, "apply.json")
	}
	return filepath.Join(schemasDir, strings.ReplaceAll(strings.TrimPrefix(cmdPath, "seiri "), " ", "-")+".json")
}

func declaring(format string) []string {
	var out []string
	for path, formats := range commandOutputs {
		if slices.Contains(formats, format) {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out
}

// TestEveryJSONCommandHasASchema fails when a command declares json but
// docs/schemas has no schema for it.
func TestEveryJSONCommandHasASchema(t *testing.T) {
	if *updateSchemas {
		t.Skip("schemas being written")
	}
	for _, path := range declaring("json") {
		if _, ok := noJSONSchema[path]; ok {
			continue
		}
		if _, err := os.Stat(schemaFile(path)); err != nil {
			t.Errorf("%s declares --output json but has no schema %s", path, schemaFile(path))
		}
	}
}

var machineNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// machineWorkspace is the full demo (snapshot, CloudTrail logs scanned into
// the usage store) made by `seiri demo --output sarif`, whose SARIF it
// returns too; plus an org.yaml, a policy file, cases and an SCP draft.
func machineWorkspace(t *testing.T) (string, []byte) {
	t.Helper()
	ws := filepath.Join(t.TempDir(), "ws")
	out, errOut, code := cmdtest.RunWS(t, NewRootCmd, machineNow, nil, ws, "demo", "--output", "sarif")
	if code != cmdutil.ExitOK && code != cmdutil.ExitFindings {
		t.Fatalf("demo exit %d: %s", code, errOut)
	}
	if _, errOut, code := cmdtest.RunWS(t, NewRootCmd, machineNow, nil, ws, "org", "import", "--out", filepath.Join(ws, "org.yaml")); code != 0 {
		t.Fatalf("org import exit %d: %s", code, errOut)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// AWS IAM User Guide, "Example IAM identity-based policies": read one bucket.
	write("policy.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::example-bucket","arn:aws:s3:::example-bucket/*"]}]}`)
	write("deny-regions.json", `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutside","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`)
	// Issue 18: what org validate and policy validate report as SARIF — a
	// policy with a wrong action and a malformed ARN, and a spec naming an
	// unknown policy and that policy file.
	write("bad-policy.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Deny\", \"Action\": \"ec2:FlyToTheMoon\", \"Resource\": \"arn:aws:s3:bucket/*\"}]\n}\n")
	write("bad-org.yaml", "version: 1\nroot:\n  policies: [\"FullAWSAccess\", \"no-such-policy\", \"bad\"]\npolicies:\n  - name: bad\n    type: scp\n    file: bad-policy.json\n")
	write("cases.jsonl", `{"id":"read","request":{"principal":"arn:aws:iam::111111111111:user/amy","action":"s3:GetObject","resource":"arn:aws:s3:::example-bucket/a"},"identity":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}]}`+"\n")
	return ws, []byte(out)
}

// jsonInvocations are the arguments that make each json command write its
// document on the machine workspace.
func jsonInvocations(ws string) map[string][]string {
	p := func(n string) string { return filepath.Join(ws, n) }
	return map[string][]string{
		"seiri audit":             {"audit"},
		"seiri demo":              {"demo", "--no-trail"},
		"seiri unused":            {"unused"},
		"seiri catalog expand":    {"catalog", "expand", "s3:GetObj*"},
		"seiri catalog search":    {"catalog", "search", "bucket", "policy"},
		"seiri catalog show":      {"catalog", "show", "s3:GetObject"},
		"seiri groups analyze":    {"groups", "analyze"},
		"seiri groups plan":       {"groups", "plan"},
		"seiri keys plan":         {"keys", "plan"},
		"seiri keys disable":      {"keys", "disable"},
		"seiri org plan":          {"org", "plan", "--spec", p("org.yaml")},
		"seiri org report":        {"org", "report"},
		"seiri org validate":      {"org", "validate", p("org.yaml")},
		"seiri policy simulate":   {"policy", "simulate", "--cases", p("cases.jsonl"), "--workers", "1"},
		"seiri policy validate":   {"policy", "validate", p("policy.json")},
		"seiri roles suggest":     {"roles", "suggest"},
		"seiri scp list":          {"scp", "list"},
		"seiri scp show":          {"scp", "show", "deny-root-user"},
		"seiri scp simulate":      {"scp", "simulate", "--policy", p("deny-regions.json"), "--target", "root"},
		"seiri scp suggest":       {"scp", "suggest", "--target", "root"},
		"seiri snapshot list":     {"snapshot", "list"},
		"seiri risk paths":        {"risk", "paths"},
		"seiri risk external":     {"risk", "external"},
		"seiri sso plan":          {"sso", "plan"},
		"seiri trail errors":      {"trail", "errors"},
		"seiri trail scan":        {"trail", "scan", "--source", p("demo/cloudtrail")},
		"seiri trail stats":       {"trail", "stats"},
		"seiri trail unmapped":    {"trail", "unmapped"},
		"seiri trail usage":       {"trail", "usage"},
		"seiri users retire plan": {"users", "retire", "plan"},
		"seiri detect":            {"detect", "--source", p("demo/cloudtrail"), "--rejudge"},
		"seiri detect findings":   {"detect", "findings", "--all"},
		"seiri detect rules":      {"detect", "rules"},
	}
}

// sarifInvocations are the arguments of the sarif commands that need more
// than their name (detect reads the demo's logs first; detect findings then
// lists what it raised).
func sarifInvocations(ws string) map[string][]string {
	return map[string][]string{
		"seiri detect":          {"detect", "--source", filepath.Join(ws, "demo", "cloudtrail")},
		"seiri org validate":    {"org", "validate", filepath.Join(ws, "bad-org.yaml")},
		"seiri policy validate": {"policy", "validate", filepath.Join(ws, "bad-policy.json")},
	}
}

// sarifExit are sarif commands whose exit code with results is not 0 or 1:
// org validate exits 2 on a spec with problems (bad input), the log written
// all the same.
var sarifExit = map[string]int{"seiri org validate": cmdutil.ExitUsage}

// TestMachineOutputs runs every sarif and json command on the demo.
func TestMachineOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the full demo (CloudTrail scan included)")
	}
	ws, demoSARIF := machineWorkspace(t)

	t.Run("sarif", func(t *testing.T) {
		for _, path := range declaring("sarif") {
			t.Run(path, func(t *testing.T) {
				var data []byte
				switch path {
				case "seiri demo":
					data = demoSARIF
				default:
					args := strings.Fields(strings.TrimPrefix(path, "seiri "))
					if inv, ok := sarifInvocations(ws)[path]; ok {
						args = inv
					}
					args = append(args, "--output", "sarif")
					out, errOut, code := cmdtest.RunWS(t, NewRootCmd, machineNow, nil, ws, args...)
					if want, ok := sarifExit[path]; ok && code != want {
						t.Fatalf("exit %d, want %d: %s", code, want, errOut)
					} else if !ok && code != cmdutil.ExitOK && code != cmdutil.ExitFindings {
						t.Fatalf("exit %d: %s", code, errOut)
					}
					data = []byte(out)
				}
				if n := len(fingerprints(t, data)); n == 0 {
					t.Fatalf("no results: the check would prove nothing")
				}
				if err := sariftest.Check(data); err != nil {
					t.Error(err)
				}
			})
		}
	})

	t.Run("fingerprints a day apart", func(t *testing.T) {
		// The same organization audited a day later: titles and ages move
		// ("not used for 221 days" → 222), the fingerprints must not.
		day1, _, _ := cmdtest.RunWS(t, NewRootCmd, machineNow, nil, ws, "audit", "--output", "sarif")
		day2, _, _ := cmdtest.RunWS(t, NewRootCmd, machineNow.Add(24*time.Hour), nil, ws, "audit", "--output", "sarif")
		f1, f2 := fingerprints(t, []byte(day1)), fingerprints(t, []byte(day2))
		changedText := 0
		for fp, msg1 := range f1 {
			msg2, ok := f2[fp]
			if !ok {
				t.Errorf("fingerprint %s (%s) gone a day later", fp, msg1)
				continue
			}
			if msg1 != msg2 {
				changedText++
			}
		}
		for fp, msg := range f2 {
			if _, ok := f1[fp]; !ok {
				t.Errorf("fingerprint %s (%s) new a day later", fp, msg)
			}
		}
		if changedText == 0 {
			t.Errorf("no finding text changed in a day: the test proves nothing")
		}
	})

	t.Run("json", func(t *testing.T) {
		inv := jsonInvocations(ws)
		cmdtest.IsolateAWS(t)
		fake := awsfake.New(awsfake.SampleScenario(machineNow, 2, 3))
		defer fake.Close()
		fakeWS := filepath.Join(t.TempDir(), "fake")
		for _, path := range declaring("json") {
			if _, ok := noJSONSchema[path]; ok {
				continue
			}
			if _, ok := notRun[path]; ok {
				continue
			}
			t.Run(path, func(t *testing.T) {
				args, ok := inv[path]
				runWS, srv := ws, (*awsfake.Server)(nil)
				if fa, isFake := onFake[path]; isFake {
					args, ok, runWS, srv = fa, true, fakeWS, fake
				}
				if !ok {
					t.Fatalf("%s declares json: add its invocation to jsonInvocations or onFake (or its reason to notRun)", path)
				}
				if path == "seiri demo" {
					runWS = filepath.Join(t.TempDir(), "demo")
				}
				out, errOut, code := cmdtest.RunWS(t, NewRootCmd, machineNow, srv, runWS, append(args, "--output", "json")...)
				if code != cmdutil.ExitOK && code != cmdutil.ExitFindings {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				docs := jsonDocuments(t, out)
				if *updateSchemas {
					writeInferred(t, path, docs)
					return
				}
				sch := compileSchema(t, schemaFile(path))
				for i, d := range docs {
					if err := sch.Validate(d); err != nil {
						t.Errorf("document %d does not match %s: %v", i, schemaFile(path), err)
					}
					if m, ok := d.(map[string]any); ok && !jsonLines[path] {
						if _, ok := m["schemaVersion"]; !ok {
							t.Errorf("document %d has no schemaVersion", i)
						}
					}
				}
			})
		}
	})
}

// fingerprints maps each result's partial fingerprints to its message.
func fingerprints(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var log struct {
		Runs []struct {
			Results []struct {
				Message             struct{ Text string } `json:"message"`
				PartialFingerprints map[string]string     `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, data)
	}
	out := map[string]string{}
	for _, r := range log.Runs {
		for _, res := range r.Results {
			var keys []string
			for k, v := range res.PartialFingerprints {
				keys = append(keys, k+"="+v)
			}
			sort.Strings(keys)
			out[strings.Join(keys, ",")] = res.Message.Text
		}
	}
	return out
}

// jsonDocuments parses out as one JSON document or as JSON Lines.
func jsonDocuments(t *testing.T, out string) []any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var docs []any
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("not JSON: %v\n%.300s", err, out)
		}
		docs = append(docs, v)
	}
	if len(docs) == 0 {
		t.Fatalf("no JSON document written")
	}
	return docs
}

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(filepath.Base(file), doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(filepath.Base(file))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return sch
}

// writeInferred writes a first schema for path from its documents: types,
// and every object field present in all samples as required. A person
// then reviews it (descriptions, enums, maps keyed by ids).
func writeInferred(t *testing.T, path string, docs []any) {
	t.Helper()
	s := infer(docs)
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://github.com/seiri-dev/seiri/docs/schemas/" + filepath.Base(schemaFile(path))
	s["title"] = path + " --output json"
	if len(docs) > 1 || strings.Contains(path, "policy simulate") {
		s["description"] = "One JSON document per line (JSON Lines); this schema describes each line."
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(schemaFile(path), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// infer merges samples into one schema.
func infer(samples []any) map[string]any {
	types := map[string]bool{}
	var objs []map[string]any
	var items []any
	for _, v := range samples {
		switch x := v.(type) {
		case nil:
			types["null"] = true
		case bool:
			types["boolean"] = true
		case json.Number:
			if strings.ContainsAny(x.String(), ".eE") {
				types["number"] = true
			} else {
				types["integer"] = true
			}
		case string:
			types["string"] = true
		case []any:
			types["array"] = true
			items = append(items, x...)
		case map[string]any:
			types["object"] = true
			objs = append(objs, x)
		}
	}
	if types["number"] && types["integer"] {
		delete(types, "integer")
	}
	s := map[string]any{}
	var ts []string
	for k := range types {
		ts = append(ts, k)
	}
	sort.Strings(ts)
	switch len(ts) {
	case 0:
		return s // no sample: anything
	case 1:
		s["type"] = ts[0]
	default:
		s["type"] = ts
	}
	if types["array"] {
		s["items"] = infer(items)
	}
	if types["object"] {
		if isMap(objs) {
			var vals []any
			for _, o := range objs {
				for _, v := range o {
					vals = append(vals, v)
				}
			}
			s["additionalProperties"] = infer(vals)
			return s
		}
		props := map[string]any{}
		count := map[string]int{}
		byKey := map[string][]any{}
		for _, o := range objs {
			for k, v := range o {
				count[k]++
				byKey[k] = append(byKey[k], v)
			}
		}
		var req []string
		for k, vs := range byKey {
			props[k] = infer(vs)
			if count[k] == len(objs) {
				req = append(req, k)
			}
		}
		sort.Strings(req)
		if schemaV, ok := props["schemaVersion"].(map[string]any); ok {
			schemaV["const"] = cmdutil.JSONSchemaVersion
		}
		s["properties"] = props
		if len(req) > 0 {
			s["required"] = req
		}
	}
	return s
}

// isMap tells objects keyed by data (account ids, ARNs, actions, dates)
// from records with fixed field names.
func isMap(objs []map[string]any) bool {
	n, data := 0, 0
	for _, o := range objs {
		for k := range o {
			n++
			if looksLikeData(k) {
				data++
			}
		}
	}
	return n > 0 && data*2 >= n
}

func looksLikeData(k string) bool {
	if k == "" {
		return true
	}
	if strings.ContainsAny(k, ":/*. ") {
		return true
	}
	digits := 0
	for _, r := range k {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits*2 >= len(k)
}

var _ = fmt.Sprintf
