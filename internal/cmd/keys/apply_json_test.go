package keys_test

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// applySchema is the JSON Schema of the apply flow's report.
const applySchema = "../../../docs/schemas/apply.json"

// oneDocument checks that out is exactly one JSON document matching the
// apply report's schema, with no secret in it.
func oneDocument(t *testing.T, out string) {
	t.Helper()
	doc := cmdtest.OneJSON[any](t, out)
	data, err := os.ReadFile(applySchema)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("apply.json", sd); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("apply.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("report does not match %s: %v", applySchema, err)
	}
	if strings.Contains(out, awsfake.SecretAccessKey) {
		t.Errorf("the secret access key is in the report")
	}
}

// TestApplyJSON: with -o json, --apply writes the apply flow's report as
// the one document on stdout (what was planned, each change's outcome, the
// journal, the exit code), and the progress and summary on stderr; a
// refusal is a report too.
func TestApplyJSON(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	// Plan ids are content hashes over the workspace's temporary path.
	anyPlanID := regexp.MustCompile(`\b(keys|users)\.[a-z.-]*-[0-9a-f]{16}\b`)
	norm := func(s string) string {
		return anyPlanID.ReplaceAllString(planIDs.ReplaceAllString(strings.ReplaceAll(s, h.ws, "$WS"), "${1}PLANID"), "PLANID")
	}
	for _, c := range []struct {
		file string
		args []string
		code int
	}{
		// No terminal and no --yes: refused before any write.
		{"keys-disable-apply-refused-json.golden", []string{"keys", "disable", "--days", "30", "--apply", "-o", "json"}, cmdutil.ExitUsage},
		{"keys-disable-apply-json.golden", []string{"keys", "disable", "--days", "30", "--apply", "--yes", "-o", "json"}, cmdutil.ExitOK},
		// Again: every change already in effect.
		{"keys-disable-apply-again-json.golden", []string{"keys", "disable", "--days", "30", "--apply", "--yes", "-o", "json"}, cmdutil.ExitOK},
		{"users-retire-quarantine-apply-json.golden", []string{"users", "retire", "quarantine", "--days", "30", "--apply", "--yes", "-o", "json"}, cmdutil.ExitOK},
	} {
		out, errOut, code := h.run(c.args...)
		if code != c.code {
			t.Fatalf("%s: exit %d, want %d\n%s%s", strings.Join(c.args, " "), code, c.code, out, errOut)
		}
		oneDocument(t, out)
		golden(t, c.file, "$ seiri "+strings.Join(c.args, " ")+"\n--- stdout\n"+norm(out)+"--- stderr\n"+norm(errOut))
	}
}

// mustContainWords is mustContain over the words of out: the keys and users
// views fit 120 columns wherever they go, so a long line is wrapped at
// spaces (cmdutil.FitAnnotation).
func mustContainWords(t *testing.T, out string, want ...string) {
	t.Helper()
	words := strings.Join(strings.Fields(out), " ")
	for _, w := range want {
		if !strings.Contains(words, strings.Join(strings.Fields(w), " ")) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
