package org

import (
	"bytes"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("org.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("org.schema.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return s
}

func validateYAML(t *testing.T, s *jsonschema.Schema, text []byte) error {
	t.Helper()
	j, err := yaml.YAMLToJSON(text)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// TestSchema: what seiri writes validates against the schema it publishes,
// and the schema rejects what validation rejects structurally.
func TestSchema(t *testing.T) {
	s := compileSchema(t)
	sp, cm, _ := Template("aws-multi-account")
	if err := validateYAML(t, s, Marshal(sp, cm)); err != nil {
		t.Errorf("template: %v", err)
	}
	isp, _, icm, err := Import(demoOrg(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateYAML(t, s, Marshal(isp, icm)); err != nil {
		t.Errorf("import: %v", err)
	}
	if err := validateYAML(t, s, []byte(baseSpec)); err != nil {
		t.Errorf("base spec: %v", err)
	}
	for name, bad := range map[string]string{
		"unknown key":      "version: 1\nroot:\n  polices: []\n",
		"bad id":           "version: 1\nroot:\n  accounts: [{id: \"12\"}]\n",
		"account no email": "version: 1\nroot:\n  accounts: [{name: x}]\n",
		"two sources":      "version: 1\nroot: {}\npolicies: [{name: a, library: deny-root-user, content: x}]\n",
		"unknown library":  "version: 1\nroot: {}\npolicies: [{name: a, library: nope}]\n",
		"OU name with /":   "version: 1\nroot:\n  ous: [{name: a/b}]\n",
		"version 2":        "version: 2\nroot: {}\n",
		"unknown type":     "version: 1\nroot: {}\npolicies: [{name: a, type: scpx, content: x}]\n",
	} {
		if err := validateYAML(t, s, []byte(bad)); err == nil {
			t.Errorf("%s: schema accepts it", name)
		}
	}
	if !strings.Contains(string(Schema()), `"enum": ["allowed-regions",`) {
		t.Errorf("library names not filled in")
	}
}
